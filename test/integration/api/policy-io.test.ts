import { describe, expect, it } from 'vitest';
import { readFixture } from '../../support/fixtures.js';
import { useApi } from '../../support/api.js';

const api = useApi();
// A second control plane on its own tables: where an export is restored.
const empty = useApi();

function policies(count: number, prefix: string) {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    type: 'container',
    controls: { blockContainerExec: { enabled: true, allowedProcesses: [`/bin/tool-${i}`] } },
  }));
}

describe('import and export', () => {
  it('writes nothing when one item in 100 is invalid', async () => {
    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const items = policies(100, 'bulk');
    items[57] = { ...items[57]!, controls: { blockContainerExec: { enabled: true, allowedProcesses: 'sh' } } } as never;
    const response = await api.call('POST', '/v1/import', { body: { formatVersion: 1, policies: items } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.details).toEqual([
      expect.objectContaining({ path: 'policies.57.controls.blockContainerExec.allowedProcesses', index: 57 }),
    ]);
    expect(
      (await api.call('GET', '/v1/policies?limit=500')).body.items.filter((p: { name: string }) => p.name.startsWith('bulk-')),
    ).toEqual([]);
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision);
  });

  it('imports 100 policies at once, reports per item, and is unchanged the second time', async () => {
    const document = { formatVersion: 1, policies: policies(100, 'many') };
    const dry = await api.call('POST', '/v1/import?dryRun=true', { body: document });
    expect(dry.body).toMatchObject({ dryRun: true });
    expect((await api.call('GET', '/v1/policies/many-0')).status).toBe(404);
    const first = await api.call('POST', '/v1/import', { body: document });
    expect(first.status).toBe(200);
    expect(first.body.items.filter((i: { result: string }) => i.result === 'created')).toHaveLength(100);
    const second = await api.call('POST', '/v1/import', { body: document });
    expect(second.body.items.every((i: { result: string }) => i.result === 'unchanged')).toBe(true);
    const changed = await api.call('POST', '/v1/import?mode=create', {
      body: { formatVersion: 1, policies: [{ ...policies(1, 'many')[0], description: 'different' }] },
    });
    expect(changed.status).toBe(400);
  });

  it('round-trips: export, import into the same control plane, export again', async () => {
    await api.call('POST', '/v1/application-scopes', {
      body: { name: 'prod', expression: 'v1', variables: [{ attribute: 'kubernetes.cluster', value: 'prod-*' }] },
    });
    await api.call('POST', '/v1/policies', {
      body: { name: 'prod-exec', type: 'container', scope: { applicationScopes: ['prod'] }, controls: { blockContainerExec: {} } },
    });
    const exported = await api.call('GET', '/v1/export');
    expect(exported.status).toBe(200);
    expect(exported.body.formatVersion).toBe(1);
    expect(JSON.stringify(exported.body)).not.toMatch(/"version"|"createdAt"|"updatedBy"/);
    const imported = await api.call('POST', '/v1/import', { body: exported.body });
    expect(imported.body.items.every((i: { result: string }) => i.result === 'unchanged')).toBe(true);
    expect((await api.call('GET', '/v1/export')).body).toEqual(exported.body);
  });

  it('exports the enforcer groups a restore needs, never a token or its hash, and restores them into an empty control plane', async () => {
    const created = await api.call('POST', '/v1/enforcer-groups', {
      body: { name: 'restore-ke', type: 'kube_enforcer', description: 'Restored clusters', failMode: 'closed', timeoutSeconds: 9 },
    });
    expect(created.status).toBe(201);
    const exported = await api.call('GET', '/v1/export');
    expect(exported.status).toBe(200);
    expect(exported.body.enforcerGroups).toContainEqual({
      name: 'restore-ke',
      type: 'kube_enforcer',
      description: 'Restored clusters',
      enforce: false,
      containerProtection: true,
      hostProtection: true,
      failMode: 'closed',
      timeoutSeconds: 9,
      exemptKubeSystem: true,
    });
    expect(exported.body.enforcerGroups.map((group: { name: string }) => group.name)).toEqual(
      [...exported.body.enforcerGroups.map((group: { name: string }) => group.name)].sort(),
    );
    expect(JSON.stringify(exported.body)).not.toMatch(/"token|"version"|"createdAt"|"updatedBy"/);
    expect(JSON.stringify(exported.body)).not.toContain(created.body.token);

    const restored = await empty.call('POST', '/v1/import', { body: exported.body });
    expect(restored.status).toBe(200);
    expect(restored.body.items).toContainEqual(expect.objectContaining({ kind: 'enforcerGroup', name: 'restore-ke', result: 'created' }));
    expect((await empty.call('GET', '/v1/export')).body).toEqual(exported.body);
  });

  it('converts the commercial product JSON and reports what it cannot carry over', async () => {
    const commercial = readFixture('commercial', 'runtime-policy.json');
    const response = await api.call('POST', '/v1/import?dryRun=true', { body: commercial });
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBeGreaterThan(0);
    expect(response.body.unsupported.length).toBeGreaterThan(0);
  });
});

describe('GET /v1/export in pages', () => {
  /** About 6 KB each: 400 of them need three pages. */
  function bigPolicies(count: number) {
    return Array.from({ length: count }, (_, i) => ({
      name: `paged-${String(i).padStart(4, '0')}`,
      type: 'container',
      controls: {
        blockContainerExec: {
          enabled: true,
          allowedProcesses: Array.from({ length: 40 }, (_, j) => `/opt/paged/${i}/${j}/${'p'.repeat(120)}`),
        },
      },
    }));
  }

  it('answers pages of at most about 1 MiB that join into the whole document; a stale cursor answers 410', async () => {
    expect((await api.call('POST', '/v1/import', { body: { formatVersion: 1, policies: bigPolicies(400) } })).status).toBe(200);
    const revision = String((await api.call('GET', '/v1/health')).body.revision);
    const pages: any[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/export${cursor ? `?cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-vigil-revision')).toBe(revision);
      expect(Buffer.byteLength(JSON.stringify(page.body))).toBeLessThanOrEqual(1024 * 1024 + 4096);
      pages.push(page.body);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.map((page) => page.formatVersion)).toEqual(pages.map(() => 1));
    const names = pages.flatMap((page) => page.policies.map((policy: { name: string }) => policy.name));
    expect(names.filter((name) => name.startsWith('paged-'))).toEqual(bigPolicies(400).map((policy) => policy.name));
    expect(new Set(names).size).toBe(names.length);

    // A page with a cursor is part of a document: importing it as it is is refused, naming the cursor.
    const partial = await api.call('POST', '/v1/import?dryRun=true', { body: pages[0] });
    expect(partial.status).toBe(400);
    expect(JSON.stringify(partial.body.error.details)).toContain('nextCursor');

    await api.call('PATCH', '/v1/policies/paged-0001', {
      body: { description: 'changed' },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    const stale = await api.call('GET', `/v1/export?cursor=${pages[0].nextCursor}`);
    expect(stale.status).toBe(410);
    expect(stale.body.error.code).toBe('gone');
    expect(stale.body.error.message).toContain('start the export again without a cursor');
    const forged = await api.call('GET', '/v1/export?cursor=eyJ2IjoxfQ');
    expect(forged.status).toBe(400);
    expect(forged.body.error.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });
});
