import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { enforcerGroupSchema } from '../../layers/core/index.js';
import { webhookManifest } from '../../functions/shared/webhook-manifest.js';
import { failModeOf, newWebhookSecret, webhookUrl } from '../../functions/shared/webhook.js';

/** The rules admissionregistration.k8s.io/v1 enforces on a ValidatingWebhookConfiguration that we rely on. */
function checkAgainstKubernetesRules(manifest: any): string[] {
  const problems: string[] = [];
  if (manifest.apiVersion !== 'admissionregistration.k8s.io/v1') problems.push('apiVersion');
  if (manifest.kind !== 'ValidatingWebhookConfiguration') problems.push('kind');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(manifest.metadata?.name ?? '') || manifest.metadata.name.length > 253)
    problems.push('metadata.name must be a DNS subdomain');
  for (const [i, webhook] of (manifest.webhooks ?? []).entries()) {
    const at = `webhooks[${i}]`;
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/.test(webhook.name)) problems.push(`${at}.name must be fully qualified`);
    if (!Array.isArray(webhook.admissionReviewVersions) || !webhook.admissionReviewVersions.includes('v1'))
      problems.push(`${at}.admissionReviewVersions`);
    if (!['None', 'NoneOnDryRun'].includes(webhook.sideEffects)) problems.push(`${at}.sideEffects`);
    if (!(Number.isInteger(webhook.timeoutSeconds) && webhook.timeoutSeconds >= 1 && webhook.timeoutSeconds <= 30))
      problems.push(`${at}.timeoutSeconds must be 1-30`);
    if (!['Ignore', 'Fail'].includes(webhook.failurePolicy)) problems.push(`${at}.failurePolicy`);
    const url = new URL(webhook.clientConfig?.url);
    if (url.protocol !== 'https:') problems.push(`${at}.clientConfig.url must be https`);
    if (url.search !== '' || url.hash !== '') problems.push(`${at}.clientConfig.url must not have a query or fragment`);
    if (url.username || url.password) problems.push(`${at}.clientConfig.url must not carry user info`);
    if (webhook.clientConfig.service) problems.push(`${at}.clientConfig: url and service are exclusive`);
    if (
      webhook.clientConfig.caBundle !== undefined &&
      Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('base64') !== webhook.clientConfig.caBundle
    )
      problems.push(`${at}.clientConfig.caBundle must be base64`);
    for (const [j, rule] of (webhook.rules ?? []).entries()) {
      for (const field of ['apiGroups', 'apiVersions', 'operations', 'resources'])
        if (!Array.isArray(rule[field]) || rule[field].length === 0) problems.push(`${at}.rules[${j}].${field}`);
      for (const op of rule.operations ?? [])
        if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'].includes(op)) problems.push(`${at}.rules[${j}].operations ${op}`);
    }
  }
  return problems;
}

const group = enforcerGroupSchema.parse({ name: 'default-ke', type: 'kube_enforcer' });

describe('webhookManifest', () => {
  it('passes the admissionregistration/v1 rules and registers every operation Vigil inspects', () => {
    const url = webhookUrl('https://abc.execute-api.eu-west-1.amazonaws.com/', 'prod', newWebhookSecret('open'));
    const manifest = parse(webhookManifest({ cluster: 'prod', url, group }));
    expect(checkAgainstKubernetesRules(manifest)).toEqual([]);
    const webhook = manifest.webhooks[0];
    expect(webhook).toMatchObject({
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 5,
      failurePolicy: 'Ignore',
      clientConfig: { url },
    });
    expect(webhook.clientConfig.caBundle).toBeUndefined();
    expect(webhook.namespaceSelector).toBeUndefined();
    expect(webhook.rules).toEqual([
      expect.objectContaining({ operations: ['CONNECT'], resources: ['pods/exec', 'pods/attach', 'pods/portforward'] }),
      expect.objectContaining({ operations: ['CREATE', 'UPDATE'], resources: ['pods'] }),
      expect.objectContaining({ operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'] }),
    ]);
  });

  it('fails closed and carries the timeout and a CA bundle when the group and setup ask for it', () => {
    const closed = enforcerGroupSchema.parse({ name: 'strict', type: 'kube_enforcer', failMode: 'closed', timeoutSeconds: 12 });
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n').toString('base64');
    const manifest = parse(
      webhookManifest({ cluster: 'Local_Kind', url: 'https://127.0.0.1:8787/v1/admission/Local_Kind/x', group: closed, caBundle }),
    );
    expect(checkAgainstKubernetesRules(manifest)).toEqual([]);
    expect(manifest.metadata.name).toBe('vigil-local-kind');
    expect(manifest.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 12, clientConfig: { caBundle } });
  });

  it('is caught by the rule check when the URL is plain http or has a query', () => {
    expect(
      checkAgainstKubernetesRules(parse(webhookManifest({ cluster: 'c', url: 'http://127.0.0.1:8787/v1/admission/c/x', group }))),
    ).toEqual(['webhooks[0].clientConfig.url must be https']);
    expect(
      checkAgainstKubernetesRules(parse(webhookManifest({ cluster: 'c', url: 'https://h/v1/admission/c/x?timeout=5s', group }))),
    ).toEqual(['webhooks[0].clientConfig.url must not have a query or fragment']);
  });
});

describe('webhook secrets', () => {
  it('are 32 random bytes marked with the fail mode they were issued for', () => {
    const open = newWebhookSecret('open');
    const closed = newWebhookSecret('closed');
    expect(open).toMatch(/^o[A-Za-z0-9_-]{43}$/);
    expect(closed).toMatch(/^c[A-Za-z0-9_-]{43}$/);
    expect(failModeOf(open)).toBe('open');
    expect(failModeOf(closed)).toBe('closed');
    expect(newWebhookSecret('open')).not.toBe(open);
  });

  it('build URLs with the cluster name encoded', () => {
    expect(webhookUrl('https://api.example/', 'my cluster', 'osecret')).toBe('https://api.example/v1/admission/my%20cluster/osecret');
  });
});
