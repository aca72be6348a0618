import { describe, expect, it } from 'vitest';
import { admissionReview } from '../support/fixtures.js';
import { eventually, useLocalMode } from '../support/local-mode.js';

// The scenario every release must pass (mission.md), driven over HTTP against local mode with real
// AdmissionReview JSON, as the EKS API server would send it.

const vigil = useLocalMode();

const execSh = () => admissionReview('exec-guard/denied/exec-sh.json');
const execKubeProxy = () => admissionReview('bypass-removed/denied/exec-kube-proxy.json');
const createTestNginx = () => admissionReview('debug-containers/allowed/create-pod.json');

async function auditEvents(query = '') {
  return (await vigil.api('GET', `/v1/audit-events?limit=500${query}`)).body.items as Array<Record<string, any>>;
}

describe('the walkthrough', () => {
  let webhook = '';

  it('registers a cluster and gets a webhook URL with its manifest', async () => {
    const registered = await vigil.api('POST', '/v1/clusters', { name: 'demo' });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'demo', enforcerGroup: 'default-ke' });
    expect(registered.body.manifest).toContain('kind: ValidatingWebhookConfiguration');
    expect(JSON.stringify((await vigil.api('GET', '/v1/clusters/demo')).body)).not.toContain(registered.body.webhookUrl.split('/').pop());
    webhook = `${registered.body.webhookUrl}?timeout=10s`;
  });

  it('1-2: an audit-mode exec guard lets the exec through and records Detect', async () => {
    const created = await vigil.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'container',
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);
    expect((await vigil.post(webhook, createTestNginx())).body.response.allowed).toBe(true);

    const answer = await eventually(async () => {
      const r = await vigil.post(webhook, execSh());
      expect(r.body.response.warnings?.[0]).toContain('exec-guard');
      return r;
    });
    expect(answer.status).toBe(200);
    expect(answer.body.response).toMatchObject({
      allowed: true,
      auditAnnotations: { status: 'Detect', policy: 'exec-guard', control: 'blockContainerExec' },
    });
    const events = await auditEvents('&status=Detect');
    expect(events[0]).toMatchObject({
      status: 'Detect',
      policy: 'exec-guard',
      control: 'blockContainerExec',
      controlName: 'Block Container Exec',
      action: 'exec',
      workload: { cluster: 'demo', namespace: 'default', pod: 'test-nginx', container: 'nginx', image: 'nginx:latest' },
      user: { name: 'kubernetes-admin' },
      command: ['sh'],
      enforcer: { group: 'default-ke', type: 'kube_enforcer' },
    });
  });

  it('3: enforce mode still only detects while the group is audit only, then blocks once the group enforces', async () => {
    const policy = (await vigil.api('GET', '/v1/policies/exec-guard')).body;
    expect((await vigil.api('PUT', '/v1/policies/exec-guard', { ...policy, enforcementMode: 'enforce' })).status).toBe(200);
    await eventually(async () => {
      const r = await vigil.post(webhook, execSh());
      expect(r.body.response).toMatchObject({ allowed: true, auditAnnotations: { status: 'Detect' } });
    });
    const blocksBefore = (await auditEvents('&status=Block')).length;
    expect(blocksBefore).toBe(0);

    const group = (await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body;
    expect((await vigil.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true, containerProtection: true })).status).toBe(
      200,
    );
    const refused = await eventually(async () => {
      const r = await vigil.post(webhook, execSh());
      expect(r.body.response.allowed).toBe(false);
      return r;
    });
    expect(refused.status).toBe(200);
    expect(refused.body.response.status).toEqual({
      code: 403,
      reason: 'Forbidden',
      message: 'vigil: exec of "sh" into default/test-nginx blocked by policy "exec-guard" (Block Container Exec)',
    });
    expect((await auditEvents('&status=Block'))[0]).toMatchObject({ status: 'Block', policy: 'exec-guard', enforcementMode: 'enforce' });
  });

  it('4: exec into kube-system succeeds and is not recorded, thanks to the default bypass', async () => {
    const before = (await auditEvents('&namespace=kube-system')).length;
    const answer = await vigil.post(webhook, execKubeProxy());
    expect(answer.body.response).toEqual({ uid: expect.any(String), allowed: true });
    expect((await auditEvents('&namespace=kube-system')).length).toBe(before);
  });

  it('5: without the bypass entries, exec into kube-system is refused and recorded as Block', async () => {
    const settings = (await vigil.api('GET', '/v1/settings/enforcer')).body;
    expect(settings.bypassScopes).toEqual([
      { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
      { attribute: 'kubernetes.namespace', value: 'kube-system' },
    ]);
    expect((await vigil.api('PUT', '/v1/settings/enforcer', { ...settings, bypassScopes: [] })).status).toBe(200);
    const refused = await eventually(async () => {
      const r = await vigil.post(webhook, execKubeProxy());
      expect(r.body.response.allowed).toBe(false);
      return r;
    });
    expect(refused.body.response.status.message).toBe(
      'vigil: exec of "sh" into kube-system/kube-proxy-7xk2p blocked by policy "exec-guard" (Block Container Exec)',
    );
    expect((await auditEvents('&namespace=kube-system'))[0]).toMatchObject({
      status: 'Block',
      workload: { namespace: 'kube-system', pod: 'kube-proxy-7xk2p' },
    });
  });

  it('answers dry runs with the same verdict and records nothing', async () => {
    const before = (await auditEvents()).length;
    const answer = await vigil.post(
      webhook,
      admissionReview('exec-guard/denied/exec-sh.json', (r) => (r.request.dryRun = true)),
    );
    expect(answer.body.response.allowed).toBe(false);
    expect((await auditEvents()).length).toBe(before);
  });

  it('refuses a wrong secret and an unknown cluster alike, with no detail', async () => {
    const wrongSecret = await vigil.post(webhook.replace(/\/[^/?]+\?/, '/oWRONGSECRETWRONGSECRETWRONGSECRETWRONGSECRE?'), execSh());
    const unknownCluster = await vigil.post(webhook.replace('/demo/', '/nowhere/'), execSh());
    expect(wrongSecret.status).toBe(401);
    expect(unknownCluster).toEqual(wrongSecret);
  });

  it('answers malformed reviews with 400 and oversized ones with 413', async () => {
    const malformed = await vigil.post(webhook, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_request');
    const huge = admissionReview('exec-guard/denied/exec-sh.json', (r) => (r.request.object.command = ['sh', 'x'.repeat(1024 * 1024)]));
    expect((await vigil.post(webhook, huge)).status).toBe(413);
  });

  it('rotates the secret: the old URL stops working, the new one works', async () => {
    const rotated = await vigil.api('POST', '/v1/clusters/demo/secret');
    expect(rotated.status).toBe(200);
    await eventually(async () => expect((await vigil.post(webhook, execSh())).status).toBe(401));
    expect((await vigil.post(`${rotated.body.webhookUrl}?timeout=10s`, execSh())).status).toBe(200);
  });
});
