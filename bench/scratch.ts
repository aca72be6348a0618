import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';

/**
 * Where DynamoDB Local keeps its database file for a run. It only runs on a data dir (no in-memory mode),
 * so a RAM-backed directory is preferred where the OS has one: otherwise every write waits for the disk,
 * which measures the disk rather than Vigil.
 */
export function scratchRoot(): { readonly root: string; readonly ramBacked: boolean } {
  const shm = '/dev/shm';
  try {
    if (process.platform === 'linux' && statSync(shm).isDirectory()) {
      accessSync(shm, constants.W_OK);
      return { root: shm, ramBacked: true };
    }
  } catch {
    // Not available: use the OS temp dir.
  }
  return { root: os.tmpdir(), ramBacked: false };
}
