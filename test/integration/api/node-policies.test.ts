import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { useApi } from '../../support/api.js';
import { tetragonProblems } from '../../support/tetragon-schema.js';

const api = useApi();

async function seed() {
  expect((await api.call('POST', '/v1/clusters', { body: { name: 'prod-eks' } })).status).toBe(201);
  expect(
    (
      await api.call('POST', '/v1/application-scopes', {
        body: { name: 'shop', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
      })
    ).status,
  ).toBe(201);
  const policies = [
    {
      name: 'no-tools',
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['shop'], expression: '', variables: [] },
      controls: { blockedExecutables: { executables: ['/usr/bin/curl', 'wget'] }, forkGuard: {} },
    },
    { name: 'host-fim', type: 'host', controls: { fileIntegrityMonitoring: { paths: ['/etc/*'] } } },
    { name: 'fn', type: 'function', controls: { blockAllProcesses: {} } },
  ];
  for (const body of policies) expect((await api.call('POST', '/v1/policies', { body })).status).toBe(201);
}

describe('GET /v1/clusters/{name}/node-policies', () => {
  it('answers the compiled objects, the fidelity report and the index as JSON, without applying anything', async () => {
    await seed();
    const before = (await api.call('GET', '/v1/health')).body.revision;
    const preview = await api.call('GET', '/v1/clusters/prod-eks/node-policies');
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toMatch(/^application\/json/);
    expect(preview.body).toMatchObject({ cluster: 'prod-eks', group: 'default', revision: before });
    expect(preview.body.objects.map((o: any) => [o.kind, o.metadata.namespace, o.metadata.annotations['vigil.dev/policy']])).toEqual([
      ['TracingPolicy', undefined, 'host-fim'],
      ['TracingPolicyNamespaced', 'shop', 'no-tools'],
    ]);
    for (const object of preview.body.objects) expect(tetragonProblems(object)).toEqual([]);
    // The default agent group does not enforce: everything compiles to monitor mode.
    expect(preview.body.objects.map((o: any) => o.spec.options[0].value)).toEqual(['monitor', 'monitor']);
    const noTools = preview.body.report.policies.find((p: any) => p.policy === 'no-tools');
    expect(noTools.controls.map((c: any) => [c.control, c.fidelity])).toEqual([
      ['blockedExecutables', 'exact'],
      ['forkGuard', 'impossible'],
    ]);
    expect(preview.body.report.policies.map((p: any) => p.policy)).not.toContain('fn');
    expect(preview.body.report.index.find((e: any) => e.policy === 'no-tools')).toMatchObject({
      kind: 'TracingPolicyNamespaced',
      namespace: 'shop',
      control: 'blockedExecutables',
      action: 'detect',
      scopeWidened: false,
      scope: { applicationScopes: [{ name: 'shop', expression: 'v1' }] },
    });
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(before);
  });

  it('compiles Block for an enforcing agent group named in the query', async () => {
    expect((await api.call('POST', '/v1/enforcer-groups', { body: { name: 'nodes-enforce', type: 'agent', enforce: true } })).status).toBe(
      201,
    );
    const preview = await api.call('GET', '/v1/clusters/prod-eks/node-policies?group=nodes-enforce');
    expect(preview.status).toBe(200);
    const noTools = preview.body.objects.find((o: any) => o.metadata.annotations['vigil.dev/policy'] === 'no-tools');
    expect(noTools.spec.options).toEqual([{ name: 'policy-mode', value: 'enforce' }]);
    expect(noTools.spec.lsmhooks[0].tags).toContain('vigil.action=block');
  });

  it('answers multi-document YAML that parses back to the same objects when asked for YAML', async () => {
    const json = await api.call('GET', '/v1/clusters/prod-eks/node-policies');
    const yaml = await api.call('GET', '/v1/clusters/prod-eks/node-policies', { headers: { accept: 'application/yaml' } });
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(typeof yaml.body).toBe('string');
    expect(yaml.body).toContain('# policy "no-tools" (container, v1): detect');
    expect(yaml.body).toContain('#   forkGuard: impossible');
    const documents = YAML.parseAllDocuments(yaml.body as string).map((d) => d.toJS());
    expect(documents).toEqual(json.body.objects);
    // JSON stays the answer when the client prefers it.
    const preferJson = await api.call('GET', '/v1/clusters/prod-eks/node-policies', {
      headers: { accept: 'application/json, application/yaml' },
    });
    expect(preferJson.body.objects).toEqual(json.body.objects);
  });

  it('answers 404 for an unknown cluster and a 400 naming "group" for a missing or non-agent group', async () => {
    expect((await api.call('GET', '/v1/clusters/nope/node-policies')).status).toBe(404);
    const missing = await api.call('GET', '/v1/clusters/prod-eks/node-policies?group=ghost');
    expect(missing).toMatchObject({
      status: 400,
      body: { error: { details: [{ path: 'group', message: 'enforcer group "ghost" does not exist' }] } },
    });
    const wrongType = await api.call('GET', '/v1/clusters/prod-eks/node-policies?group=default-ke');
    expect(wrongType).toMatchObject({ status: 400, body: { error: { details: [{ path: 'group' }] } } });
    expect(wrongType.body.error.details[0].message).toMatch(/kube_enforcer.*agent group/);
    const malformed = await api.call('GET', `/v1/clusters/prod-eks/node-policies?group=${encodeURIComponent('a/b')}`);
    expect(malformed).toMatchObject({ status: 400, body: { error: { details: [{ path: 'group' }] } } });
  });
});
