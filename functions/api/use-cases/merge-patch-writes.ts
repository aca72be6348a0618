import type { z } from 'zod';
import { applyMergePatch } from '../../../layers/core/index.js';
import { BadRequestError, NotFoundError, UnsupportedMediaTypeError, ValidationError, VersionMismatchError } from '../../shared/errors.js';
import { ifMatchVersion, versioned } from '../../shared/http/helpers.js';
import type { ApiRequest, ApiResponse, RouteHandler } from '../../shared/http/types.js';
import { holdsRequested } from './create-replay.js';
import { writeAtCurrentVersion } from './unguarded-writes.js';

// PATCH with a JSON merge patch (RFC 7386) for the resources that have a PUT: the patch is merged into the item as
// GET shows it, and the result goes through that PUT, with If-Match set to the version merged into. So a PATCH
// validates with the same schema, keeps write-only values (the honeypot secret, a group's token hash) exactly as a
// PUT built from a GET does, and answers what the PUT answers (warnings included). Without If-Match, an edit that
// lands between the read and the write means merging into the new version, as a PUT without If-Match retries.
// A patch that leaves the item as it is (same values, a default spelled out, an absent member removed) is answered
// with the item as GET shows it and writes nothing: a new version would bump the configuration revision, so every
// webhook and enforcer would rebuild its snapshot, and the activity trail would record a change that did not happen.
// A PUT whose body is the item as it is (a GET sent back, an apply of unchanged files) is answered the same way.
// Either answer carries the save-time advice a save of the item answers (a policy's warnings, a group's clusters to
// re-issue), computed by the function the save uses: it is about the item, so it is as true as when it was saved.
// If-Match is checked either way: a stale one is 412 even when nothing would change.

export const MERGE_PATCH_TYPE = 'application/merge-patch+json';

type CurrentItem = { readonly version: number } & object;

/** The item as GET shows it, with its version (0 for settings never written). */
export type ReadForPatch = (request: ApiRequest) => Promise<CurrentItem>;

/**
 * The members a save of the item adds to its answer besides the item (`warnings`, ...), computed by the function the
 * save uses; an empty object for items whose saves advise nothing.
 */
export type SaveAdvice = (request: ApiRequest, current: CurrentItem) => Promise<Record<string, unknown>>;

const noAdvice: SaveAdvice = () => Promise.resolve({});

function contentType(request: ApiRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The top-level field names a document schema knows (every variant's, for a union such as the policy's). */
function fieldNames(schema: z.ZodType): ReadonlySet<string> {
  const def = schema._zod.def;
  if (def.type === 'object') return new Set(Object.keys((def as z.core.$ZodObjectDef).shape));
  if (def.type === 'union') return new Set((def as z.core.$ZodUnionDef).options.flatMap((option) => [...fieldNames(option as z.ZodType)]));
  if (def.type === 'pipe') return fieldNames((def as z.core.$ZodPipeDef).in as z.ZodType);
  throw new Error(`mergePatchRoute: cannot list the fields of a ${def.type} schema`);
}

/**
 * The document a value stands for once validated, without what the server owns; undefined when it is not valid.
 * A member that is null stands for the same as one left out: the only nullable member of these items, a policy's
 * enforcementModeChange, is stored as null when absent, and a merge patch removes a member with null.
 */
function asDocument(schema: z.ZodType, value: unknown): object | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) return undefined;
  const { warnings: _advice, ...doc } = parsed.data as { warnings?: unknown };
  return Object.fromEntries(Object.entries(doc).filter(([, member]) => member !== null));
}

/** True when `next` is the current item as the PUT would store it: writing it would change nothing. */
function changesNothing(schema: z.ZodType, current: object, next: unknown): boolean {
  const before = asDocument(schema, current);
  const after = asDocument(schema, next);
  return before !== undefined && after !== undefined && holdsRequested(before, after);
}

function checkIfMatch(ifMatch: number | undefined, current: { readonly version: number }): void {
  if (ifMatch !== undefined && ifMatch !== current.version)
    throw new VersionMismatchError(`the item is at version ${current.version}, not ${ifMatch}`);
}

/** The answer to a write that changes nothing: the item as it is, with what a save of it would advise. */
async function unchangedAnswer(request: ApiRequest, current: CurrentItem, advise: SaveAdvice): Promise<ApiResponse> {
  return versioned(200, { ...current, ...(await advise(request, current)) });
}

/**
 * A PUT handler made of the route's read, its PUT handler, the schema of its item and the advice its save answers:
 * a body that is the item as it is writes nothing and is answered with the item and that advice, as a patch that
 * changes nothing is. Any other body, and a PUT of an item that does not exist, goes to the PUT handler as it came.
 */
export function unchangedPutRoute(read: ReadForPatch, replace: RouteHandler, schema: z.ZodType, advise = noAdvice): RouteHandler {
  return async (request) => {
    const current = await read(request).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!current || !changesNothing(schema, current, request.body)) return replace(request);
    checkIfMatch(ifMatchVersion(request.headers), current);
    return unchangedAnswer(request, current, advise);
  };
}

/**
 * A PATCH handler made of the route's read, its PUT handler, the schema of its item and the advice its save
 * answers. A member naming no field of the schema is refused even as null: removing it would merge to the same
 * item, which the PUT would write again.
 */
export function mergePatchRoute(read: ReadForPatch, replace: RouteHandler, schema: z.ZodType, advise = noAdvice): RouteHandler {
  const fields = fieldNames(schema);
  return async (request) => {
    const type = contentType(request);
    if (type !== MERGE_PATCH_TYPE)
      throw new UnsupportedMediaTypeError(
        `send a PATCH body as ${MERGE_PATCH_TYPE}, a JSON merge patch (got ${type === '' ? 'no content type' : type})`,
      );
    const patch = request.body;
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw new BadRequestError('the body must be a JSON object: the members to change, null for a member to remove');
    const unknown = Object.keys(patch).filter((member) => !fields.has(member));
    if (unknown.length > 0)
      throw new ValidationError(
        'the merge patch names members the item does not have',
        unknown.map((member) => ({ path: member, message: 'is not a field of this item (see the schema of its PUT)' })),
      );
    const ifMatch = ifMatchVersion(request.headers);
    return writeAtCurrentVersion(ifMatch, async (): Promise<ApiResponse> => {
      const current = await read(request);
      checkIfMatch(ifMatch, current);
      let merged: unknown;
      try {
        merged = applyMergePatch(current, patch);
      } catch (error) {
        throw new BadRequestError(error instanceof Error ? error.message : String(error));
      }
      if (changesNothing(schema, current, merged)) return unchangedAnswer(request, current, advise);
      const { 'if-match': _ignored, ...headers } = request.headers;
      return replace({
        ...request,
        body: merged,
        headers: { ...headers, 'content-type': 'application/json', ...(current.version > 0 ? { 'if-match': `"${current.version}"` } : {}) },
      });
    });
  };
}
