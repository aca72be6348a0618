import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../../functions/shared/errors.js';
import { COMMIT_LEASE_MS, MAX_OPEN_UPLOADS, UPLOAD_RETENTION_MS } from '../../../functions/shared/storage/config-uploads.js';
import { useTables } from '../../support/use-tables.js';

// docs/adr/0016: the parts of multi-part imports on DynamoDB Local: stored in chunks, read back exactly, one commit
// at a time, and collected when nobody commits or aborts them.

const now = new Date('2026-06-01T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('the parts of multi-part imports', () => {
  const db = useTables();

  it('reads back every part exactly, in part order, also parts larger than one item; a part uploaded again replaces it', async () => {
    const uploads = db.configStore.uploads;
    await uploads.open('u-parts', now);
    // Random text gzips badly: about 1 MB of it is three chunks of 350 KB.
    const large = JSON.stringify({ data: randomBytes(800 * 1024).toString('base64') });
    expect(gzipSync(large).length).toBeGreaterThan(2 * 350 * 1024);
    await uploads.putPart('u-parts', 3, large, now);
    await uploads.putPart('u-parts', 1, '{"first":1}', now);
    await uploads.putPart('u-parts', 1, '{"first":2}', now);
    expect(await uploads.parts('u-parts', now)).toEqual([
      { number: 1, text: '{"first":2}' },
      { number: 3, text: large },
    ]);
    expect(await uploads.remove('u-parts')).toBe(true);
    await expect(uploads.parts('u-parts', now)).rejects.toBeInstanceOf(NotFoundError);
    expect(await uploads.remove('u-parts')).toBe(false);
  });

  it('lets one commit run at a time, takes no part while it runs, and takes over a commit that died', async () => {
    const uploads = db.configStore.uploads;
    await uploads.open('u-commit', now);
    await uploads.beginCommit('u-commit', now);
    await expect(uploads.beginCommit('u-commit', later(1000))).rejects.toBeInstanceOf(ConflictError);
    await expect(uploads.putPart('u-commit', 1, '{}', later(1000))).rejects.toBeInstanceOf(ConflictError);
    await uploads.endCommit('u-commit');
    await uploads.putPart('u-commit', 1, '{}', later(2000));
    await uploads.beginCommit('u-commit', later(3000));
    // The process of that commit died: after the lease another commit may start.
    await uploads.beginCommit('u-commit', later(3000 + COMMIT_LEASE_MS + 1));
    await uploads.remove('u-commit');
  });

  it('collects uploads nobody finished, answers 404 for them before that, and bounds how many are open', async () => {
    const uploads = db.configStore.uploads;
    await uploads.open('u-old', now);
    await uploads.putPart('u-old', 1, '{"old":true}', now);
    const expired = later(UPLOAD_RETENTION_MS + 1);
    await expect(uploads.parts('u-old', expired)).rejects.toBeInstanceOf(NotFoundError);
    await uploads.open('u-new-0', expired);
    // Opening collected the expired one with its parts.
    await expect(uploads.parts('u-old', now)).rejects.toBeInstanceOf(NotFoundError);
    expect(await uploads.remove('u-old')).toBe(false);
    for (let i = 1; i < MAX_OPEN_UPLOADS; i++) await uploads.open(`u-new-${i}`, expired);
    const refused = await uploads.open('u-one-too-many', expired).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).message).toContain(`${MAX_OPEN_UPLOADS} multi-part imports are open already`);
  });
});
