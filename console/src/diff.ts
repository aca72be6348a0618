// A structural diff of two JSON values, for the activity trail's before/after images: which fields were
// added, removed or changed, each at its path. Pure (no DOM), so that it is unit-tested on its own.

export type FieldChange =
  | { readonly kind: 'added'; readonly path: string; readonly after: unknown }
  | { readonly kind: 'removed'; readonly path: string; readonly before: unknown }
  | { readonly kind: 'changed'; readonly path: string; readonly before: unknown; readonly after: unknown };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

/** `a.b`, `a[2]`, or the key alone at the top; keys that are not plain identifiers are quoted. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const name = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return parent === '' ? name : `${parent}.${name}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameValue(a[key], b[key]));
  }
  return false;
}

function walk(before: unknown, after: unknown, path: string, changes: FieldChange[]): void {
  if (sameValue(before, after)) return;
  if (isObject(before) && isObject(after)) {
    // Keys in the order they first appear, before's first: a reader finds a field where it was.
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      const inBefore = Object.hasOwn(before, key);
      const inAfter = Object.hasOwn(after, key);
      const at = childPath(path, key);
      if (inBefore && !inAfter) changes.push({ kind: 'removed', path: at, before: before[key] });
      else if (!inBefore && inAfter) changes.push({ kind: 'added', path: at, after: after[key] });
      else walk(before[key], after[key], at, changes);
    }
    return;
  }
  // Lists of objects are compared item by item; lists of plain values (names, paths, commands) read best
  // as the whole list before and after, because a removal in the middle would shift every later index.
  if (Array.isArray(before) && Array.isArray(after) && !(before as unknown[]).concat(after as unknown[]).every(isScalar)) {
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) walk(before[i], after[i], childPath(path, i), changes);
    for (let i = shared; i < before.length; i++) changes.push({ kind: 'removed', path: childPath(path, i), before: before[i] });
    for (let i = shared; i < after.length; i++) changes.push({ kind: 'added', path: childPath(path, i), after: after[i] });
    return;
  }
  changes.push({ kind: 'changed', path, before, after });
}

/**
 * The fields that differ between two JSON values, in document order. A missing image (`null` or
 * `undefined`: a create has no before, a delete no after) makes every top-level field added or removed.
 */
export function structuralDiff(before: unknown, after: unknown): FieldChange[] {
  const changes: FieldChange[] = [];
  const absent = (value: unknown) => value === null || value === undefined;
  if (absent(before) && isObject(after)) walk({}, after, '', changes);
  else if (isObject(before) && absent(after)) walk(before, {}, '', changes);
  else walk(before, after, '', changes);
  return changes;
}

/** A value in one line as JSON, shortened past `max` characters. */
export function briefJson(value: unknown, max = 120): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
