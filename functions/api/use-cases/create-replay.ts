import { isDeepStrictEqual } from 'node:util';
import { ConflictError } from '../../shared/errors.js';
import { withoutMeta } from '../../shared/storage/read-all.js';

// A create can fail after DynamoDB applied it (the answer was lost, or came after the storage budget), so
// the client saw a 503 for a resource that exists. Creates are therefore create-if-absent: the same create
// sent again finds the resource as it asked for it and is answered 200 with it, instead of a 409 that would
// leave the client unsure whether the resource is its own. Only a name taken with other content is a 409.

/** JSON as stored: undefined fields dropped (the document client drops them too), key order ignored. */
function asStored(doc: object): unknown {
  return JSON.parse(JSON.stringify(doc)) as unknown;
}

/** True when the stored resource holds exactly what the create asked for, server-managed fields aside. */
export function holdsRequested(stored: object, requested: object): boolean {
  return isDeepStrictEqual(asStored(withoutMeta(stored)), asStored(withoutMeta(requested)));
}

/**
 * Runs a create; when its name is taken, answers with what `storedAsRequested` makes of the stored resource
 * (undefined when it is not what was asked: the 409 stands).
 */
export async function createIfAbsent<R>(create: () => Promise<R>, storedAsRequested: () => Promise<R | undefined>): Promise<R> {
  try {
    return await create();
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const replay = await storedAsRequested();
    if (replay === undefined) throw error;
    return replay;
  }
}

/**
 * For creates that answer a secret once (group tokens, webhook secrets): a replay cannot show the secret
 * again, since only its hash is stored. The 409 says how to get a fresh one when the first answer was lost.
 */
export function conflictWithRotation(rotation: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof ConflictError)) throw error;
    throw new ConflictError(
      `${error.message}; if an earlier create of it answered 503 or got no answer, it was applied: ${rotation}`,
      error.details,
    );
  };
}
