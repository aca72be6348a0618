import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyWrites } from '../../../functions/api/use-cases/policy-writes.js';
import { ValidationError } from '../../../functions/shared/errors.js';
import { hashSecret } from '../../../functions/shared/http/auth.js';
import { useApi } from '../../support/api.js';
import { commercialDocuments, commercialDocumentsDir, expectations } from '../../fixtures/commercial/expectations.js';

// Every document of the shared commercial-product corpus through POST /v1/import on DynamoDB Local, against what
// test/fixtures/commercial/expectations.ts says it must become; then the import behaviours issue 15 asked for.

const api = useApi();

function corpusDocument(file: string): any {
  return JSON.parse(readFileSync(join(commercialDocumentsDir, file), 'utf8'));
}

function byName(entries: Array<{ name: string; fields?: string[]; field?: string }> | undefined, pick: 'fields' | 'field') {
  const grouped: Record<string, string[]> = {};
  for (const entry of entries ?? []) (grouped[entry.name] ??= []).push(...(pick === 'fields' ? entry.fields! : [entry.field!]));
  return grouped;
}

describe('the commercial-product corpus, dry run on a fresh control plane', () => {
  it.each(commercialDocuments())('%s answers as written down', async (file) => {
    const expected = expectations[file]!;
    const response = await api.call('POST', '/v1/import?dryRun=true', { body: corpusDocument(file) });
    if (expected.refused) {
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual(expected.refused);
      return;
    }
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: any) => [item.kind, item.name, item.result])).toEqual(expected.items);
    const warned = Object.fromEntries(
      response.body.items.filter((item: any) => item.warnings?.length > 0).map((item: any) => [item.name, item.warnings]),
    );
    expect(warned).toEqual(expected.warned ?? {});
    expect(byName(response.body.unsupported, 'fields')).toEqual(expected.notCarried ?? {});
    expect(byName(response.body.meaningChanges, 'field')).toEqual(expected.translated ?? {});
  });
});

describe('importing the commercial product JSON', () => {
  it('imports the "Audit Only" enforcer group with a new token shown once, never the product\'s', async () => {
    const document = { ...corpusDocument('03-enforcer-group-audit-only.json'), token: 'product-token-never-imported' };
    const first = await api.call('POST', '/v1/import', { body: document });
    expect(first.status).toBe(200);
    const [item] = first.body.items;
    expect(item).toMatchObject({ kind: 'enforcerGroup', name: 'testgroup', result: 'created' });
    expect(item.token).toMatch(/^vigil_grp_/);
    expect(JSON.stringify(first.body)).not.toContain('product-token-never-imported');
    expect(first.body.meaningChanges).toEqual([expect.objectContaining({ kind: 'enforcerGroup', name: 'testgroup', field: 'token' })]);
    const stored = await api.call('GET', '/v1/enforcer-groups/testgroup');
    expect(stored.body).toMatchObject({ type: 'agent', enforce: false, containerProtection: false, hostProtection: false });
    expect(stored.body.token).toBeUndefined();
    // The token shown is the group's: only its hash is stored.
    expect((await api.runtime.configStore.get('enforcerGroup', 'testgroup'))?.tokenHash).toBe(hashSecret(item.token));
    const again = await api.call('POST', '/v1/import', { body: document });
    expect(again.body.items).toEqual([{ kind: 'enforcerGroup', name: 'testgroup', result: 'unchanged' }]);
    expect((await api.call('GET', '/v1/enforcer-groups/testgroup')).body.version).toBe(stored.body.version);
  });

  it('is idempotent: a second import of a policy with a pending switch to enforce changes nothing', async () => {
    const document = corpusDocument('13-container-audit-then-enforce-after-5-days.json');
    const name = document.name as string;
    expect((await api.call('POST', '/v1/import', { body: document })).body.items[0].result).toBe('created');
    const before = (await api.call('GET', `/v1/policies/${name}`)).body;
    const second = await api.call('POST', '/v1/import', { body: document });
    expect(second.body.items.map((item: any) => item.result)).toEqual(['unchanged']);
    const after = (await api.call('GET', `/v1/policies/${name}`)).body;
    expect(after.version).toBe(before.version);
    expect(after.enforcementModeChange).toEqual(before.enforcementModeChange);
  });

  it('keeps the original due time of a schedule when the document says when it started', async () => {
    const startedAt = Math.floor(api.runtime.clock().getTime() / 1000) - 2 * 86_400;
    const document = {
      ...corpusDocument('13-container-audit-then-enforce-after-5-days.json'),
      name: 'started-countdown',
      enforce_scheduler_added_on: startedAt,
    };
    const response = await api.call('POST', '/v1/import', { body: document });
    expect(response.status).toBe(200);
    expect(response.body.meaningChanges).toBeUndefined();
    const stored = (await api.call('GET', '/v1/policies/started-countdown')).body;
    expect(stored.enforcementModeChange).toMatchObject({
      to: 'enforce',
      scheduledFor: new Date((startedAt + 5 * 86_400) * 1000).toISOString(),
    });
    expect((await api.call('POST', '/v1/import', { body: document })).body.items[0].result).toBe('unchanged');
  });

  it("names the product's schedule field when the due time passes while the import runs", async () => {
    const start = api.runtime.clock().getTime();
    // The conversion still sees the due time ahead; by the time the switch is scheduled (a large import takes a
    // while) it has passed. The clock is the runtime's injected one: the first reading is the conversion's.
    const readings = [start, start + 2 * 3_600_000];
    const writes = policyWrites({ ...api.runtime, clock: () => new Date(readings.length > 1 ? readings.shift()! : readings[0]!) });
    const startedAt = Math.floor((start + 3_600_000) / 1000) - 86_400;
    const document = {
      ...corpusDocument('13-container-audit-then-enforce-after-5-days.json'),
      name: 'due-during-import',
      enforce_after_days: 1,
      enforce_scheduler_added_on: startedAt,
    };
    const refused = await writes.import(document, { mode: 'upsert', dryRun: true }, 'test-admin').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).details).toEqual([
      {
        path: 'enforce_scheduler_added_on',
        message: expect.stringMatching(/^runtime policy "due-during-import": the switch to enforce .*must lie in the future/),
      },
    ]);
  });

  it('imports application scopes, enforcer groups and policies that reference the scopes in one all-or-nothing import', async () => {
    const scope = corpusDocument('40-application-scope-example.json');
    const group = { ...corpusDocument('02-enforcer-group-prod-enforce.json'), id: 'prod-agents' };
    const policy = { ...corpusDocument('14-container-complex-enforce-acctest.json'), name: 'scoped', application_scopes: ['test18'] };
    const excluding = {
      ...corpusDocument('23-function-enforce-drift-blocked-executables.json'),
      name: 'not-in-test18',
      exclude_application_scopes: ['test18'],
    };
    const response = await api.call('POST', '/v1/import', {
      body: { count: 4, page: 1, pagesize: 50, result: [policy, group, scope, excluding] },
    });
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: any) => [item.kind, item.name, item.result])).toEqual([
      ['applicationScope', 'test18', 'created'],
      ['policy', 'scoped', 'created'],
      ['policy', 'not-in-test18', 'created'],
      ['enforcerGroup', 'prod-agents', 'created'],
    ]);
    expect((await api.call('GET', '/v1/policies/scoped')).body.scope.applicationScopes).toEqual(['test18']);
    expect((await api.call('GET', '/v1/policies/not-in-test18')).body.scope).toMatchObject({ expression: '!(v1 && v2)' });
  });

  it('writes nothing when one item is bad, and names every bad item and why', async () => {
    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const good = corpusDocument('31-host-example-global-scope.json');
    const document = {
      count: 4,
      page: 1,
      pagesize: 50,
      result: [
        { ...good, name: 'fine-host-policy' },
        { ...good, name: 'string-enabled', enabled: 'false' },
        { hello: 'world' },
        { ...good, name: 'string-enforce', enforce: 'true', scope: { expression: 'v1', variables: 'kubernetes.namespace' } },
        { ...corpusDocument('05-enforcer-group-acctest-audit-only.json'), id: 'new-group' },
      ],
    };
    const response = await api.call('POST', '/v1/import', { body: document });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((detail: any) => detail.path)).toEqual([
      'result.2',
      'result.1.enabled',
      'result.3.enforce',
      'result.3.scope.variables',
    ]);
    expect(response.body.error.details[1].message).toBe('runtime policy "string-enabled": must be true or false; it is the string "false"');
    expect(response.body.error.details[0].message).toMatch(/^not recognised as a runtime policy, application scope or enforcer group/);
    expect((await api.call('GET', '/v1/policies/fine-host-policy')).status).toBe(404);
    expect((await api.call('GET', '/v1/enforcer-groups/new-group')).status).toBe(404);
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision);
  });

  it('replaces the global bypass list from a pasted list and keeps the other settings', async () => {
    await api.call('PUT', '/v1/settings/enforcer', {
      body: { ...(await api.call('GET', '/v1/settings/enforcer')).body, auditRetentionDays: 30 },
    });
    const response = await api.call('POST', '/v1/import', {
      body: ['kubernetes.namespace.kube-system', 'kubernetes.namespace.monitoring'],
    });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([expect.objectContaining({ kind: 'settings', result: 'updated' })]);
    const settings = (await api.call('GET', '/v1/settings/enforcer')).body;
    expect(settings.auditRetentionDays).toBe(30);
    expect(settings.bypassScopes).toEqual([
      { attribute: 'kubernetes.namespace', value: 'kube-system' },
      { attribute: 'kubernetes.namespace', value: 'monitoring' },
    ]);
  });

  it('takes a console export larger than the 1 MiB other routes accept (300 full policies, about 1.4 MiB)', async () => {
    const list = corpusDocument('41-console-list-one-bad-name.json');
    const good = list.result.slice(0, 10);
    const result = Array.from({ length: 300 }, (_, index) => ({ ...good[index % 10], name: `bulk-${index}` }));
    const body = { count: result.length, page: 1, pagesize: result.length, result };
    const size = Buffer.byteLength(JSON.stringify(body));
    expect(size).toBeGreaterThan(1024 * 1024);
    const response = await api.call('POST', '/v1/import?dryRun=true', { body });
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(300);
    expect(
      (await api.call('POST', '/v1/policies', { body: { name: 'too-big', type: 'container', description: 'x'.repeat(size) } })).status,
    ).toBe(413);
  });

  it('is described by the OpenAPI document: the commercial format and the fields of the answer', async () => {
    const document = (await api.call('GET', '/v1/openapi.json')).body;
    const operation = document.paths['/v1/import'].post;
    expect(operation.requestBody.content['application/json'].schema.oneOf).toEqual([
      { $ref: '#/components/schemas/ExportDocument' },
      { $ref: '#/components/schemas/CommercialDocument' },
    ]);
    expect(operation.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ImportAnswer' });
    const answer = document.components.schemas.ImportAnswer;
    expect(Object.keys(answer.properties)).toEqual(['dryRun', 'items', 'unsupported', 'meaningChanges']);
    expect(Object.keys(answer.properties.items.items.properties)).toEqual(['kind', 'name', 'result', 'warnings', 'token']);
    expect(document.components.schemas.CommercialDocument.description).toContain('{count, page, pagesize, result: [...]}');
  });
});
