// The admin bearer token of local mode: from the settings, else kept in the data dir.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalModeError } from './errors.js';
import { adminTokenSchema } from './settings.js';

/** The file, inside the data dir, that keeps a generated token across restarts. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Where the admin token came from, so the banner can say whether it is new. */
export type AdminTokenSource = 'environment' | 'data-dir' | 'generated';

/** VIGIL_ADMIN_TOKEN, else the token stored in the data dir, else a new one stored there (0600). */
export async function resolveAdminToken(
  dataDir: string,
  fromSettings: string | undefined,
): Promise<{ value: string; source: AdminTokenSource }> {
  if (fromSettings !== undefined) {
    const checked = adminTokenSchema.safeParse(fromSettings);
    if (!checked.success) throw new LocalModeError(`the admin token ${checked.error.issues[0]?.message ?? 'is not valid'}`);
    return { value: fromSettings, source: 'environment' };
  }
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const stored = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new LocalModeError(`cannot read the admin token from ${file}: ${error.message}`, { cause: error });
  });
  if (stored !== undefined) {
    const value = stored.trim();
    if (!adminTokenSchema.safeParse(value).success) {
      throw new LocalModeError(`the admin token in ${file} is not valid: delete the file to generate a new one, or set VIGIL_ADMIN_TOKEN`);
    }
    return { value, source: 'data-dir' };
  }
  const value = `vigil_admin_${randomBytes(32).toString('base64url')}`;
  // Written aside and renamed into place, so a crash never leaves a half-written token behind.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${value}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new LocalModeError(`cannot store the admin token in ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { value, source: 'generated' };
}
