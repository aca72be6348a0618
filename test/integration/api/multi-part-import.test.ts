import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { IMPORT_MAX_BODY_BYTES } from '../../../functions/shared/http/body-parsing.js';
import { uploadChunkKey } from '../../../functions/shared/storage/tables.js';
import { useApi } from '../../support/api.js';
import { commercialDocumentsDir } from '../../fixtures/commercial/expectations.js';

// docs/adr/0016: a document larger than one request is uploaded in parts (each checked on arrival) and committed
// by one all-or-nothing import; every problem names the part and the path in it; abort and expiry remove the parts.

// The invocation time local mode grants (API Gateway's 29 s by default) is raised: on a busy shared machine the
// commit of 2,000 policies can take longer, and what this file checks is what the import does, not how fast.
const api = useApi({}, { timeoutMs: 300_000 });

function policy(name: string, extra: Record<string, unknown> = {}) {
  return { name, type: 'container', controls: { blockContainerExec: { enabled: true, allowedProcesses: ['/bin/sh'] } }, ...extra };
}

async function open(): Promise<string> {
  const opened = await api.call('POST', '/v1/imports');
  expect(opened.status).toBe(201);
  return opened.body.id as string;
}

async function policyNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call('GET', `/v1/policies?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    names.push(...page.body.items.map((item: { name: string }) => item.name).filter((name: string) => name.startsWith(prefix)));
    cursor = page.body.nextCursor;
  } while (cursor);
  return names;
}

describe('multi-part import of Vigil documents', () => {
  it('joins the parts into one document: a policy may name a scope of another part; one commit, then the upload is gone', async () => {
    const opened = await api.call('POST', '/v1/imports');
    expect(opened.status).toBe(201);
    expect(opened.body).toEqual({
      id: expect.any(String),
      expiresAt: expect.any(String),
      maxParts: 32,
      maxPartBytes: IMPORT_MAX_BODY_BYTES,
    });
    const id = opened.body.id;
    const scopes = {
      formatVersion: 1,
      applicationScopes: [{ name: 'mp-team', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'team' }] }],
    };
    const first = await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: scopes });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id, part: 1, bytes: Buffer.byteLength(JSON.stringify(scopes)), format: 'vigil', items: 1 });
    const policies = { formatVersion: 1, policies: [policy('mp-a', { scope: { applicationScopes: ['mp-team'] } }), policy('mp-b')] };
    expect((await api.call('PUT', `/v1/imports/${id}/parts/2`, { body: policies })).status).toBe(200);

    const dry = await api.call('POST', `/v1/imports/${id}/commit?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.items.map((item: any) => [item.kind, item.name, item.result])).toEqual([
      ['applicationScope', 'mp-team', 'created'],
      ['policy', 'mp-a', 'created'],
      ['policy', 'mp-b', 'created'],
    ]);
    expect(await policyNames('mp-')).toEqual([]);

    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const committed = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(committed.status).toBe(200);
    expect(committed.body).toMatchObject({ id, parts: 2, dryRun: false });
    expect(await policyNames('mp-')).toEqual(['mp-a', 'mp-b']);
    // One commit: the revision moved once for all parts.
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision + 1);

    const again = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(again.status).toBe(404);
    expect(again.body.error.message).toContain(`multi-part import "${id}" does not exist`);
    expect((await api.call('PUT', `/v1/imports/${id}/parts/3`, { body: policies })).status).toBe(404);
  });

  it('refuses a bad part on arrival, naming the part and the path, and stores nothing of it', async () => {
    const id = await open();
    const bad = { formatVersion: 1, policies: [policy('mp-fine'), { ...policy('mp-wrong'), enabled: 'false' }] };
    const refused = await api.call('PUT', `/v1/imports/${id}/parts/2`, { body: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe('part 2 has 1 problem; it was not stored');
    expect(refused.body.error.details).toEqual([{ path: 'parts.2.policies.1.enabled', message: expect.any(String) }]);
    const unknownKey = await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: { formatVersion: 1, policies: [], nextCursor: 'x' } });
    expect(unknownKey.status).toBe(400);
    expect(JSON.stringify(unknownKey.body.error.details)).toContain('parts.1');
    expect(JSON.stringify(unknownKey.body.error.details)).toContain('nextCursor');
    const repeated = await api.call('PUT', `/v1/imports/${id}/parts/1`, {
      body: { formatVersion: 1, policies: [policy('mp-twice'), policy('mp-twice')] },
    });
    expect(repeated.body.error.details).toEqual([
      { path: 'parts.1.policies.1.name', message: expect.stringContaining('duplicate policy name') },
    ]);
    const empty = await api.call('PUT', `/v1/imports/${id}/parts/1`);
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([{ path: 'parts.1', message: expect.any(String) }]);
    // Nothing was stored: the import has no parts.
    const commit = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(commit.status).toBe(400);
    expect(commit.body.error.details).toEqual([{ path: 'parts', message: expect.stringContaining('no parts') }]);
  });

  it('refuses bad ids, part numbers and unknown imports, naming the field', async () => {
    const id = await open();
    for (const part of ['0', '33', 'x', '1.5']) {
      const answer = await api.call('PUT', `/v1/imports/${id}/parts/${part}`, { body: { formatVersion: 1 } });
      expect(answer.status, part).toBe(400);
      expect(answer.body.error.details, part).toEqual([expect.objectContaining({ path: 'part' })]);
    }
    const badId = await api.call('POST', `/v1/imports/${'x'.repeat(65)}/commit`);
    expect(badId.status).toBe(400);
    expect(badId.body.error.details).toEqual([expect.objectContaining({ path: 'id' })]);
    expect((await api.call('POST', '/v1/imports/no-such-import/commit')).status).toBe(404);
    expect((await api.call('DELETE', '/v1/imports/no-such-import')).status).toBe(404);
    const badMode = await api.call('POST', `/v1/imports/${id}/commit?mode=merge`);
    expect(badMode.status).toBe(400);
    expect(badMode.body.error.details).toEqual([expect.objectContaining({ path: 'mode' })]);
  });

  it('commits nothing when the joined document has a problem, names it in its part, and keeps the upload for a fix', async () => {
    const id = await open();
    await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: { formatVersion: 1, policies: [policy('mp-one'), policy('mp-two')] } });
    await api.call('PUT', `/v1/imports/${id}/parts/2`, {
      body: {
        formatVersion: 1,
        policies: [policy('mp-three'), policy('mp-two'), policy('mp-four', { scope: { applicationScopes: ['mp-nowhere'] } })],
      },
    });
    const refused = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      {
        kind: 'policy',
        index: 3,
        name: 'mp-two',
        path: 'parts.2.policies.1.name',
        message: expect.stringContaining('duplicate policy name'),
      },
      {
        kind: 'policy',
        index: 4,
        name: 'mp-four',
        path: 'parts.2.policies.2.scope.applicationScopes.0',
        message: expect.stringContaining('"mp-nowhere" does not exist'),
      },
    ]);
    expect(await policyNames('mp-')).toEqual(['mp-a', 'mp-b']);

    // Settings in two parts, and parts of two formats, are named at the part.
    await api.call('PUT', `/v1/imports/${id}/parts/3`, { body: { formatVersion: 1, settings: {} } });
    await api.call('PUT', `/v1/imports/${id}/parts/4`, { body: { formatVersion: 1, settings: {} } });
    const list = JSON.parse(readFileSync(join(commercialDocumentsDir, '41-console-list-one-bad-name.json'), 'utf8'));
    await api.call('PUT', `/v1/imports/${id}/parts/5`, { body: { ...list, result: list.result.slice(0, 1) } });
    const mixed = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['parts.5', 'parts.4.settings']);

    // The upload stayed open: replace the bad parts and commit again.
    await api.call('PUT', `/v1/imports/${id}/parts/2`, { body: { formatVersion: 1, policies: [policy('mp-three')] } });
    await api.call('PUT', `/v1/imports/${id}/parts/4`, { body: { formatVersion: 1 } });
    await api.call('PUT', `/v1/imports/${id}/parts/5`, { body: { formatVersion: 1 } });
    const fixed = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(fixed.status).toBe(200);
    expect(await policyNames('mp-')).toEqual(['mp-a', 'mp-b', 'mp-one', 'mp-three', 'mp-two']);
  });

  it('names a part whose second upload was interrupted half-way instead of importing a mixture', async () => {
    const id = await open();
    await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: { formatVersion: 1, policies: [policy('mp-torn')] } });
    // What an upload that died after writing its chunks and before registering them leaves behind.
    const { document } = createDynamoClients({ endpoint: api.tables.endpoint });
    await document.send(
      new PutCommand({
        TableName: api.tables.tables.config.TableName,
        Item: { ...uploadChunkKey(id, 1, 0), data: Buffer.from('not gzip') },
      }),
    );
    const refused = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'parts.1', message: expect.stringContaining('upload it again') }]);
    expect(await policyNames('mp-torn')).toEqual([]);
  });

  it('aborts: the parts are deleted and the import is gone', async () => {
    const id = await open();
    await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: { formatVersion: 1, policies: [policy('mp-aborted')] } });
    expect((await api.call('DELETE', `/v1/imports/${id}`)).status).toBe(204);
    expect((await api.call('POST', `/v1/imports/${id}/commit`)).status).toBe(404);
    expect((await api.call('DELETE', `/v1/imports/${id}`)).status).toBe(404);
    expect(await policyNames('mp-aborted')).toEqual([]);
  });
});

describe("multi-part import of the commercial product's console export", () => {
  it(
    'imports a 2,000-policy console export of more than 9 MiB, uploaded as pages of the product list answer',
    { timeout: 300_000 },
    async () => {
      const list = JSON.parse(readFileSync(join(commercialDocumentsDir, '41-console-list-one-bad-name.json'), 'utf8'));
      const good = list.result.slice(0, 10);
      const result = Array.from({ length: 2000 }, (_, index) => ({
        ...good[index % 10],
        name: `console-${String(index).padStart(4, '0')}`,
      }));
      const whole = { count: result.length, page: 1, pagesize: result.length, result };
      expect(Buffer.byteLength(JSON.stringify(whole))).toBeGreaterThan(9 * 1024 * 1024);
      expect((await api.call('POST', '/v1/import?dryRun=true', { body: whole })).status).toBe(413);

      const id = await open();
      const pageSize = 500;
      for (let page = 1; page * pageSize <= result.length; page++) {
        const body = { count: result.length, page, pagesize: pageSize, result: result.slice((page - 1) * pageSize, page * pageSize) };
        expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(IMPORT_MAX_BODY_BYTES);
        const stored = await api.call('PUT', `/v1/imports/${id}/parts/${page}`, { body });
        expect(stored.status).toBe(200);
        expect(stored.body).toMatchObject({ part: page, format: 'commercial', items: pageSize });
      }
      const committed = await api.call('POST', `/v1/imports/${id}/commit`);
      expect(committed.status, JSON.stringify(committed.body).slice(0, 500)).toBe(200);
      expect(committed.body.items.filter((item: any) => item.kind === 'policy' && item.result === 'created')).toHaveLength(2000);
      expect(await policyNames('console-')).toHaveLength(2000);
    },
  );

  it('names a bad object at its place in the part the user sent', async () => {
    const list = JSON.parse(readFileSync(join(commercialDocumentsDir, '41-console-list-one-bad-name.json'), 'utf8'));
    const id = await open();
    const good = list.result.slice(0, 3).map((item: any, index: number) => ({ ...item, name: `mpc-${index}` }));
    expect((await api.call('PUT', `/v1/imports/${id}/parts/1`, { body: { ...list, result: good } })).status).toBe(200);
    const wrong = await api.call('PUT', `/v1/imports/${id}/parts/2`, {
      body: { ...list, result: [{ ...good[0], name: 'mpc-x', enforce: 'true' }] },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ path: 'parts.2.result.0.enforce', message: expect.any(String) }]);
    // A duplicate across parts is found at the commit, in the second part.
    await api.call('PUT', `/v1/imports/${id}/parts/2`, { body: [{ ...good[1], name: 'mpc-y' }, good[2]] });
    const refused = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'parts.2.1.name' })]);
    expect(await policyNames('mpc-')).toEqual([]);
  });
});
