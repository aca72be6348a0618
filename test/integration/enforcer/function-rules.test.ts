import { describe, expect, it } from 'vitest';
import { useEnforcerApi } from './harness.js';

// GET /v1/enforcers/rules: the rule table the core compiles for one function of a nano_enforcer group,
// for layers that do not run the core themselves (Python).
describe('enforcer API: function rule tables', () => {
  const api = useEnforcerApi();

  async function policy(body: Record<string, unknown>) {
    const response = await api.call('POST', '/v1/policies', { body: { type: 'function', ...body } });
    expect(response.body).toEqual(expect.objectContaining({ name: body.name }));
    expect(response.status).toBe(201);
  }

  it('compiles the table for the facts the function sends, with an ETag that names them', async () => {
    const token = await api.createGroup('rules-fn', 'nano_enforcer', { enforce: true });
    const enforcerId = await api.register(token, 'orders', 'nano_enforcer');
    await policy({
      name: 'rules-python',
      enforcementMode: 'enforce',
      scope: {
        expression: 'v1 && v2 && v3',
        variables: [
          { attribute: 'enforcer.group', value: 'rules-fn' },
          { attribute: 'function.runtime', value: 'python3*' },
          { attribute: 'function.tag', name: 'team', value: 'payments' },
        ],
      },
      controls: {
        blockedExecutables: { enabled: true, executables: ['whoami'] },
        networkEgress: { enabled: true, allowedHosts: ['*.example.com'] },
      },
    });
    const path = '/v1/enforcers/rules?function=orders&runtime=python3.12&region=eu-west-1&account=123456789012&tags=team%3Dpayments';
    const matching = await api.call('GET', path, { token, enforcerId });
    expect(matching.status).toBe(200);
    expect(matching.body).toMatchObject({
      format: 'vigil-function-rules 1',
      group: { name: 'rules-fn', enforce: true },
      bypassed: false,
      pollIntervalSeconds: 60,
      rules: [
        { id: 0, action: 'process', control: 'blockedExecutables', status: 'Block', patterns: ['whoami'] },
        { id: 1, action: 'network', control: 'networkEgress', status: 'Block', allowedHosts: ['*.example.com'], allowedPorts: [] },
      ],
    });
    const etag = matching.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+-rules-fn-[0-9a-f]{16}"$/);
    expect((await api.call('GET', path, { token, enforcerId, headers: { 'if-none-match': etag } })).status).toBe(304);

    // Another runtime (or another tag) is another function: nothing applies, and the ETag differs.
    const node = await api.call('GET', path.replace('python3.12', 'nodejs22.x'), { token, enforcerId, headers: { 'if-none-match': etag } });
    expect(node.status).toBe(200);
    expect(node.body.rules).toEqual([]);
    const otherTeam = await api.call('GET', path.replace('payments', 'orders'), { token, enforcerId });
    expect(otherTeam.body.rules).toEqual([]);

    // A configuration change changes the table.
    const patched = await api.call('PATCH', '/v1/policies/rules-python', {
      body: { enforcementMode: 'audit' },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.status).toBe(200);
    const changed = await api.call('GET', path, { token, enforcerId, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.rules.map((r: { status: string }) => r.status)).toEqual(['Detect', 'Detect']);
  });

  it('refuses missing or bad facts with a 400 naming the parameter', async () => {
    const token = await api.createGroup('rules-bad', 'nano_enforcer');
    const enforcerId = await api.register(token, 'orders', 'nano_enforcer');
    const missing = await api.call('GET', '/v1/enforcers/rules?runtime=python3.12', { token, enforcerId });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([expect.objectContaining({ path: 'function' })]);
    const long = await api.call('GET', `/v1/enforcers/rules?function=${'f'.repeat(257)}`, { token, enforcerId });
    expect(long.status).toBe(400);
    expect(long.body.error.details).toEqual([expect.objectContaining({ path: 'function' })]);
    const tags = await api.call('GET', '/v1/enforcers/rules?function=orders&tags=novalue', { token, enforcerId });
    expect(tags.status).toBe(400);
    expect(tags.body.error.details).toEqual([expect.objectContaining({ path: 'tags' })]);
  });

  it('requires a registration and a nano_enforcer group', async () => {
    const token = await api.createGroup('rules-reg', 'nano_enforcer');
    expect((await api.call('GET', '/v1/enforcers/rules?function=orders', { token, enforcerId: 'enf-unknown' })).status).toBe(404);
    const kube = await api.createGroup('rules-kube', 'kube_enforcer');
    const kubeId = await api.register(kube, 'cluster', 'kube_enforcer');
    const wrongType = await api.call('GET', '/v1/enforcers/rules?function=orders', { token: kube, enforcerId: kubeId });
    expect(wrongType.status).toBe(400);
  });
});
