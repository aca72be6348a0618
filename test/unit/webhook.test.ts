import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { enforcerGroupSchema } from '../../layers/core/index.js';
import { KUBE_SYSTEM_EXEMPTION, webhookConfigurationName, webhookManifest } from '../../functions/shared/webhook-manifest.js';
import { failModeOf, newWebhookSecret, webhookUrl } from '../../functions/shared/webhook.js';
import { isDns1123Subdomain, validateWebhookConfiguration } from '../support/kubernetes-schema.js';

const group = enforcerGroupSchema.parse({ name: 'default-ke', type: 'kube_enforcer' });

describe('webhookManifest', () => {
  it('passes the admissionregistration/v1 rules and registers every operation Vigil inspects', () => {
    const url = webhookUrl('https://abc.execute-api.eu-west-1.amazonaws.com/', 'prod', newWebhookSecret('open'));
    const manifest = parse(webhookManifest({ cluster: 'prod', url, group }));
    expect(validateWebhookConfiguration(manifest)).toEqual([]);
    const webhook = manifest.webhooks[0];
    expect(webhook).toMatchObject({
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 5,
      failurePolicy: 'Ignore',
      clientConfig: { url },
    });
    expect(webhook.clientConfig.caBundle).toBeUndefined();
    // Fail open: kube-system is reviewed, and the global bypass decides (so that removing it takes effect).
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
    expect(validateWebhookConfiguration(manifest)).toEqual([]);
    expect(manifest.metadata.name).toBe('vigil-local-kind');
    expect(manifest.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 12, clientConfig: { caBundle } });
    // Fail closed: kube-system's pods (CoreDNS, aws-node, kube-proxy) must start while Vigil is unreachable.
    expect(manifest.webhooks[0].namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
    });
  });

  it('sends kube-system to a fail-closed webhook only when the group opts out of the exemption', () => {
    const optedOut = enforcerGroupSchema.parse({ name: 'strict', type: 'kube_enforcer', failMode: 'closed', exemptKubeSystem: false });
    const manifest = parse(webhookManifest({ cluster: 'prod', url: 'https://h/v1/admission/prod/x', group: optedOut }));
    expect(validateWebhookConfiguration(manifest)).toEqual([]);
    expect(manifest.webhooks[0].failurePolicy).toBe('Fail');
    expect(manifest.webhooks[0].namespaceSelector).toBeUndefined();
    // A group stored before the setting existed exempts kube-system.
    const { exemptKubeSystem: _absent, ...stored } = enforcerGroupSchema.parse({ name: 'old', type: 'kube_enforcer', failMode: 'closed' });
    expect(parse(webhookManifest({ cluster: 'prod', url: 'https://h/x', group: stored })).webhooks[0].namespaceSelector).toEqual(
      KUBE_SYSTEM_EXEMPTION,
    );
  });

  it('passes the Kubernetes schema and value rules for every group setting, CA bundle and cluster name EKS accepts', () => {
    // EKS: 1-100 characters, a letter or digit first, then letters, digits, "-" and "_"; Vigil also accepts ".".
    const clusters = ['prod', 'prod-', 'team_', 'a..b', 'Team_A-1', '0', `C${'_'.repeat(98)}z`, 'x'.repeat(100), 'a.-b._c.', 'A.B'];
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n').toString('base64');
    let checked = 0;
    for (const cluster of clusters) {
      for (const failMode of ['open', 'closed'] as const) {
        for (const exemptKubeSystem of [true, false]) {
          for (const timeoutSeconds of [1, 5, 30]) {
            for (const ca of [undefined, caBundle]) {
              const settings = enforcerGroupSchema.parse({ name: 'g', type: 'kube_enforcer', failMode, exemptKubeSystem, timeoutSeconds });
              const url = webhookUrl('https://abc.execute-api.eu-west-1.amazonaws.com', cluster, newWebhookSecret(failMode));
              const manifest = parse(webhookManifest({ cluster, url, group: settings, caBundle: ca }));
              expect(validateWebhookConfiguration(manifest), `${cluster} ${failMode} ${exemptKubeSystem} ${timeoutSeconds}`).toEqual([]);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(clusters.length * 24);
  });

  it('derives a DNS-1123 metadata.name from any cluster name', () => {
    expect(webhookConfigurationName('prod')).toBe('vigil-prod');
    expect(webhookConfigurationName('prod-')).toBe('vigil-prod');
    expect(webhookConfigurationName('team_')).toBe('vigil-team');
    expect(webhookConfigurationName('a..b')).toBe('vigil-a-b');
    expect(webhookConfigurationName('Team_A-1')).toBe('vigil-team-a-1');
    const long = webhookConfigurationName('x'.repeat(100));
    expect(long).toMatch(/^vigil-x{48}-[0-9a-f]{8}$/);
    expect(long).toHaveLength(63);
    expect(webhookConfigurationName(`${'x'.repeat(99)}y`)).not.toBe(long);
    for (const name of ['prod-', 'team_', 'a..b', '_', '-.-', `C${'_'.repeat(98)}z`])
      expect(isDns1123Subdomain(webhookConfigurationName(name)), name).toBe(true);
  });

  it('is refused by the schema check when a field is unknown, mistyped or missing', () => {
    const manifest = parse(webhookManifest({ cluster: 'c', url: 'https://h/v1/admission/c/x', group }));
    manifest.webhooks[0].failurePolcy = 'Fail';
    manifest.webhooks[0].timeoutSeconds = '5';
    delete manifest.webhooks[0].sideEffects;
    expect(validateWebhookConfiguration(manifest)).toEqual([
      'webhooks[0].sideEffects: required',
      'webhooks[0].timeoutSeconds: must be an integer',
      'webhooks[0].failurePolcy: unknown field',
    ]);
    const badName = parse(webhookManifest({ cluster: 'c', url: 'https://h/v1/admission/c/x', group }));
    badName.metadata.name = 'vigil-prod-';
    expect(validateWebhookConfiguration(badName)).toEqual(['metadata.name: "vigil-prod-" is not a DNS-1123 subdomain']);
  });

  it('is refused by the value rules when the URL is plain http or has a query', () => {
    expect(
      validateWebhookConfiguration(parse(webhookManifest({ cluster: 'c', url: 'http://127.0.0.1:8787/v1/admission/c/x', group }))),
    ).toEqual(['webhooks[0].clientConfig.url: must be https']);
    expect(
      validateWebhookConfiguration(parse(webhookManifest({ cluster: 'c', url: 'https://h/v1/admission/c/x?timeout=5s', group }))),
    ).toEqual(['webhooks[0].clientConfig.url: must not have a query or fragment']);
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
