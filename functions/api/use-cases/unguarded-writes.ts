import { setTimeout as sleep } from 'node:timers/promises';
import { VersionMismatchError } from '../../shared/errors.js';
import { backoffDelay } from '../../shared/retry.js';

/** Attempts of a write without If-Match that keeps losing to concurrent writers of the same item. */
export const UNGUARDED_WRITE_ATTEMPTS = 12;

/**
 * Runs a read-then-write that conditions the write on the version it read. With If-Match the client named
 * that version, so a conflict is its 412. Without, the client asked to write over whatever is current: a
 * conflict only means another writer got in between, so the item is read and written again, a bounded
 * number of times with jittered backoff (the losers of one round spread out instead of colliding again).
 */
export async function writeAtCurrentVersion<T>(ifMatch: number | undefined, readAndWrite: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readAndWrite();
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || ifMatch !== undefined || attempt >= UNGUARDED_WRITE_ATTEMPTS) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
}
