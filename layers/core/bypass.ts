import { attributeNamesLongestFirst, findAttribute } from './attributes.js';
import type { ScopeVariableDoc } from './schemas/scope.js';

/** Why a dotted bypass string could not be read. */
export class DottedSelectorError extends Error {
  override readonly name = 'DottedSelectorError';
}

/** Reads one dotted segment: `"quoted.part"` or a bare run up to the next dot. */
function readSegment(text: string, start: number, untilEnd: boolean): { value: string; next: number } {
  if (text[start] === '"') {
    const close = text.indexOf('"', start + 1);
    if (close < 0) throw new DottedSelectorError(`unclosed quote at position ${start}`);
    const next = close + 1;
    if (next < text.length && text[next] !== '.') throw new DottedSelectorError(`expected "." after the quoted part at position ${next}`);
    return { value: text.slice(start + 1, close), next };
  }
  if (untilEnd) return { value: text.slice(start), next: text.length };
  const dot = text.indexOf('.', start);
  const end = dot < 0 ? text.length : dot;
  return { value: text.slice(start, end), next: end };
}

/**
 * Parses the dotted form users know from the console, e.g.
 * `container.label."io.kubernetes.pod.namespace"."kube-system"` or `kubernetes.namespace.kube-system`.
 * Unquoted values run to the end of the string, so `container.image.nginx:1.25` keeps its dots.
 */
export function parseDottedSelector(text: string): ScopeVariableDoc {
  const attribute = attributeNamesLongestFirst.find((name) => text.startsWith(`${name}.`));
  if (!attribute)
    throw new DottedSelectorError(
      `"${text}" does not start with a known attribute followed by "." (e.g. kubernetes.namespace.kube-system)`,
    );
  const definition = findAttribute(attribute);
  let position = attribute.length + 1;
  let name: string | undefined;
  if (definition?.keyed) {
    const key = readSegment(text, position, false);
    if (key.value === '')
      throw new DottedSelectorError(`attribute "${attribute}" needs a key before the value (e.g. ${attribute}."app"."web")`);
    if (key.next >= text.length) throw new DottedSelectorError(`attribute "${attribute}" needs a value after the key "${key.value}"`);
    name = key.value;
    position = key.next + 1;
  }
  const value = readSegment(text, position, true);
  if (value.next !== text.length) throw new DottedSelectorError(`unexpected text after the value at position ${value.next}`);
  if (value.value === '') throw new DottedSelectorError(`"${text}" has an empty value`);
  return name === undefined ? { attribute, value: value.value } : { attribute, name, value: value.value };
}

/** Writes a selector in the dotted form, quoting parts that contain dots or quotes-free specials. */
export function formatDottedSelector(selector: ScopeVariableDoc): string {
  const quote = (part: string) => (part.includes('.') || part.startsWith('"') ? `"${part}"` : part);
  return selector.name === undefined
    ? `${selector.attribute}.${selector.value}`
    : `${selector.attribute}.${quote(selector.name)}.${quote(selector.value)}`;
}
