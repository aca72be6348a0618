// JSON merge patch (RFC 7386): the body of PATCH requests. A patch object names only what changes; `null`
// removes a member; any other value (arrays included) replaces it whole.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects nested deeper than this are refused: a request body is bounded in size, and recursion should be too. */
export const MAX_PATCH_DEPTH = 32;

/** Applies a merge patch to a JSON value and returns the result; neither input is modified. */
export function applyMergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (depth > MAX_PATCH_DEPTH) throw new RangeError(`the patch nests objects more than ${MAX_PATCH_DEPTH} levels deep`);
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value, depth + 1);
  }
  return result;
}
