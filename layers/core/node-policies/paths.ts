/**
 * Path globs (`*` only) lowered to Tetragon's string operators. A pattern with "/" matches the full path,
 * one without matches the basename, as everywhere else in Vigil. What one operator cannot express is
 * widened when it selects what to refuse (refusing a little more than asked) and dropped when it is an
 * exception (again refusing a little more): a lowered rule set never lets through what Vigil would refuse.
 */
import { TETRAGON_LIMITS, type StringOperator } from './tetragon.js';

/** How a positive operator reads as an exception inside the same selector. */
const NEGATED: Readonly<Record<'Equal' | 'Prefix' | 'Postfix', StringOperator>> = {
  Equal: 'NotEqual',
  Prefix: 'NotPrefix',
  Postfix: 'NotPostfix',
};

/** Globs lowered to values per operator, with what could not be lowered exactly. */
export interface LoweredPaths {
  /** Operator → sorted, distinct values. */
  readonly byOperator: ReadonlyMap<StringOperator, readonly string[]>;
  /** One sentence per glob that is not applied exactly. */
  readonly approximations: readonly string[];
}

type Lowering =
  { readonly operator: 'Equal' | 'Prefix' | 'Postfix'; readonly value: string; readonly widened?: string } | { readonly dropped: string };

function lowerOne(glob: string): Lowering {
  const fullPath = glob.includes('/');
  const starCount = glob.split('*').length - 1;
  if (glob === '' || /^\*+$/.test(glob)) return { operator: 'Prefix', value: '/' };
  if (starCount === 0) return fullPath ? { operator: 'Equal', value: glob } : { operator: 'Postfix', value: `/${glob}` };
  if (starCount === 1 && glob.endsWith('*') && fullPath) return { operator: 'Prefix', value: glob.slice(0, -1) };
  if (starCount === 1 && glob.startsWith('*')) return { operator: 'Postfix', value: glob.slice(1) };
  const head = glob.slice(0, glob.indexOf('*'));
  const tail = glob.slice(glob.lastIndexOf('*') + 1);
  if (fullPath && head !== '') return { operator: 'Prefix', value: head, widened: `"${glob}" is applied as the prefix "${head}"` };
  if (tail !== '') return { operator: 'Postfix', value: tail, widened: `"${glob}" is applied as the suffix "${tail}"` };
  return { dropped: `"${glob}" has no literal start or end Tetragon can match` };
}

/** Keeps a value inside the operator's length limit; a shorter prefix or suffix matches more. */
function bounded(lowering: { operator: 'Equal' | 'Prefix' | 'Postfix'; value: string }): {
  operator: 'Equal' | 'Prefix' | 'Postfix';
  value: string;
  cut: boolean;
} {
  const { operator, value } = lowering;
  if (operator === 'Postfix' && value.length > TETRAGON_LIMITS.postfixLength)
    return { operator, value: value.slice(-TETRAGON_LIMITS.postfixLength), cut: true };
  const limit = operator === 'Prefix' ? TETRAGON_LIMITS.prefixLength : TETRAGON_LIMITS.equalLength;
  if (value.length > limit) return { operator: 'Prefix', value: value.slice(0, TETRAGON_LIMITS.prefixLength), cut: true };
  return { operator, value, cut: false };
}

function collect(entries: readonly { operator: StringOperator; value: string }[]): ReadonlyMap<StringOperator, readonly string[]> {
  const byOperator = new Map<StringOperator, Set<string>>();
  for (const { operator, value } of entries) {
    let values = byOperator.get(operator);
    if (!values) byOperator.set(operator, (values = new Set()));
    values.add(value);
  }
  return new Map(
    [...byOperator.entries()].sort(([a], [b]) => compareText(a, b)).map(([operator, values]) => [operator, [...values].sort(compareText)]),
  );
}

/** Globs naming what to match (block, record): widened where needed, never narrowed. */
export function lowerMatchedPaths(globs: readonly string[]): LoweredPaths {
  const entries: { operator: StringOperator; value: string }[] = [];
  const approximations: string[] = [];
  for (const glob of globs) {
    const lowering = lowerOne(glob);
    if ('dropped' in lowering) {
      approximations.push(`${lowering.dropped}: it is not applied on nodes`);
      continue;
    }
    if (lowering.widened) approximations.push(`${lowering.widened} and matches more paths than the pattern`);
    const kept = bounded(lowering);
    if (kept.cut) approximations.push(`"${glob}" is longer than Tetragon's ${kept.operator} limit and is shortened, matching more paths`);
    entries.push({ operator: kept.operator, value: kept.value });
  }
  return { byOperator: collect(entries), approximations };
}

/** Globs naming exceptions (allowed, not protected): only exact ones are kept, so nothing extra is let through. */
export function lowerExceptedPaths(globs: readonly string[]): LoweredPaths {
  const entries: { operator: StringOperator; value: string }[] = [];
  const approximations: string[] = [];
  for (const glob of globs) {
    const lowering = lowerOne(glob);
    if ('dropped' in lowering || lowering.widened) {
      approximations.push(`the exception "${glob}" cannot be expressed exactly and is ignored on nodes, so it is refused there`);
      continue;
    }
    const kept = bounded(lowering);
    if (kept.cut) {
      approximations.push(`the exception "${glob}" is longer than Tetragon's limits and is ignored on nodes, so it is refused there`);
      continue;
    }
    entries.push({ operator: NEGATED[kept.operator], value: kept.value });
  }
  return { byOperator: collect(entries), approximations };
}

/** Code-unit order: the same on every machine and locale, so compiled output is byte-for-byte stable. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
