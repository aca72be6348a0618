import { describe, expect, it } from 'vitest';
import { readFixture } from '../../support/fixtures.js';
import { useApi } from '../../support/api.js';

const api = useApi();

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

  it('converts the commercial product JSON and reports what it cannot carry over', async () => {
    const commercial = readFixture('commercial', 'runtime-policy.json');
    const response = await api.call('POST', '/v1/import?dryRun=true', { body: commercial });
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBeGreaterThan(0);
    expect(response.body.unsupported.length).toBeGreaterThan(0);
  });
});
