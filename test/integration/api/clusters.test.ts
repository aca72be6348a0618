import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eksDescribeCluster } from '../../../functions/shared/eks-describe-cluster.js';
import { useApi } from '../../support/api.js';

// EKS cannot be reached here: the client is mocked at the network boundary and the command shapes asserted.
const eks = mockClient(EKSClient);
afterAll(() => eks.restore());
const api = useApi({ describeCluster: eksDescribeCluster() });
const ARN = 'arn:aws:eks:eu-west-1:111122223333:cluster/prod';

describe('cluster registration', () => {
  it('validates an ARN with DescribeCluster and records what EKS says', async () => {
    eks.on(DescribeClusterCommand, { name: 'prod' }).resolves({
      cluster: { name: 'prod', arn: ARN, endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', version: '1.31', status: 'ACTIVE' },
    });
    const registered = await api.call('POST', '/v1/clusters', { body: { name: 'prod', arn: ARN } });
    expect(registered.status).toBe(201);
    expect(eks.commandCalls(DescribeClusterCommand).map((call) => call.args[0].input)).toEqual([{ name: 'prod' }]);
    expect(registered.body).toMatchObject({
      name: 'prod',
      arn: ARN,
      enforcerGroup: 'default-ke',
      endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      kubernetesVersion: '1.31',
      status: 'ACTIVE',
    });
    expect(registered.body.secretHash).toBeUndefined();
    const manifest = parse(registered.body.manifest);
    expect(manifest.webhooks[0].clientConfig.url).toBe(registered.body.webhookUrl);
  });

  it('refuses an ARN EKS does not know, and a malformed one', async () => {
    eks
      .on(DescribeClusterCommand, { name: 'ghost' })
      .rejects(new ResourceNotFoundException({ message: 'No cluster found', $metadata: {} }));
    const missing = await api.call('POST', '/v1/clusters', {
      body: { name: 'ghost', arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/ghost' },
    });
    expect(missing).toMatchObject({ status: 400, body: { error: { details: [{ path: 'arn' }] } } });
    const malformed = await api.call('POST', '/v1/clusters', { body: { name: 'bad', arn: 'arn:aws:s3:::bucket' } });
    expect(malformed).toMatchObject({ status: 400, body: { error: { details: [{ path: 'arn' }] } } });
    expect((await api.call('GET', '/v1/clusters/ghost')).status).toBe(404);
  });

  it('answers 503 without half-registering when EKS fails', async () => {
    eks.on(DescribeClusterCommand, { name: 'flaky' }).rejects(new Error('socket hang up'));
    const failed = await api.call('POST', '/v1/clusters', {
      body: { name: 'flaky', arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/flaky' },
    });
    expect(failed.status).toBe(503);
    expect(JSON.stringify(failed.body)).not.toContain('socket hang up');
    expect((await api.call('GET', '/v1/clusters/flaky')).status).toBe(404);
  });

  it('registers by name into a chosen kube_enforcer group and refuses other group types', async () => {
    await api.call('POST', '/v1/enforcer-groups', {
      body: { name: 'strict-ke', type: 'kube_enforcer', failMode: 'closed', timeoutSeconds: 8 },
    });
    const strict = await api.call('POST', '/v1/clusters', { body: { name: 'edge', enforcerGroup: 'strict-ke' } });
    expect(strict.status).toBe(201);
    expect(strict.body.webhookUrl).toMatch(/\/v1\/admission\/edge\/c[A-Za-z0-9_-]{43}$/);
    expect(parse(strict.body.manifest).webhooks[0]).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 8 });
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'wrong', enforcerGroup: 'default' } })).status).toBe(400);
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'edge' } })).status).toBe(409);
    expect((await api.call('DELETE', '/v1/enforcer-groups/strict-ke')).status).toBe(409);
  });

  it('rotates the secret and lists clusters without secrets', async () => {
    const before = await api.call('POST', '/v1/clusters', { body: { name: 'rotating' } });
    const rotated = await api.call('POST', '/v1/clusters/rotating/secret');
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookUrl).not.toBe(before.body.webhookUrl);
    const list = await api.call('GET', '/v1/clusters');
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain('rotating');
    expect(JSON.stringify(list.body)).not.toMatch(/secretHash|webhookUrl/);
    expect((await api.call('DELETE', '/v1/clusters/rotating')).status).toBe(204);
  });
});

describe('group changes and re-issued manifests', () => {
  it('names the clusters whose manifests a failMode or timeout change leaves behind, and re-issues them in one step', async () => {
    await api.call('POST', '/v1/enforcer-groups', { body: { name: 'payments-ke', type: 'kube_enforcer' } });
    const first = await api.call('POST', '/v1/clusters', { body: { name: 'pay-1', enforcerGroup: 'payments-ke' } });
    await api.call('POST', '/v1/clusters', { body: { name: 'pay-2', enforcerGroup: 'payments-ke' } });
    await api.call('POST', '/v1/clusters', { body: { name: 'other', enforcerGroup: 'default-ke' } });
    expect((await api.call('GET', '/v1/clusters/pay-1')).body.issuedWith).toEqual({
      failMode: 'open',
      timeoutSeconds: 5,
      exemptKubeSystem: true,
    });

    // A description change touches no manifest.
    const described = await api.call('PUT', '/v1/enforcer-groups/payments-ke', {
      body: { name: 'payments-ke', type: 'kube_enforcer', description: 'payments clusters' },
    });
    expect(described.status).toBe(200);
    expect(described.body.clustersToReissue).toBeUndefined();

    const closed = await api.call('PUT', '/v1/enforcer-groups/payments-ke', {
      body: { name: 'payments-ke', type: 'kube_enforcer', failMode: 'closed', timeoutSeconds: 10 },
    });
    expect(closed.status).toBe(200);
    expect(closed.body.clustersToReissue).toEqual(['pay-1', 'pay-2']);
    expect(closed.body.warnings).toEqual([expect.stringContaining('POST /v1/enforcer-groups/payments-ke/reissue')]);

    const reissued = await api.call('POST', '/v1/enforcer-groups/payments-ke/reissue');
    expect(reissued.status).toBe(200);
    expect(reissued.body.items.map((item: { name: string }) => item.name)).toEqual(['pay-1', 'pay-2']);
    for (const item of reissued.body.items) {
      // The secret's fail-mode mark and the manifest follow the group as it is now.
      expect(item.webhookUrl).toMatch(new RegExp(`/v1/admission/${item.name}/c[A-Za-z0-9_-]{43}$`));
      const webhook = parse(item.manifest).webhooks[0];
      expect(webhook).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 10, clientConfig: { url: item.webhookUrl } });
      expect(webhook.namespaceSelector).toEqual({
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
      });
    }
    expect(reissued.body.items[0].webhookUrl).not.toBe(first.body.webhookUrl);
    expect((await api.call('GET', '/v1/clusters/pay-2')).body.issuedWith).toEqual({
      failMode: 'closed',
      timeoutSeconds: 10,
      exemptKubeSystem: true,
    });
    // Up to date now: nothing left to re-issue, and the other group's cluster was never touched.
    expect((await api.call('POST', '/v1/enforcer-groups/payments-ke/reissue')).body).toEqual({ items: [] });
    expect((await api.call('GET', '/v1/clusters/other')).body.version).toBe(1);

    // Opting out of the kube-system exemption changes the manifest too.
    const optOut = await api.call('PUT', '/v1/enforcer-groups/payments-ke', {
      body: { name: 'payments-ke', type: 'kube_enforcer', failMode: 'closed', timeoutSeconds: 10, exemptKubeSystem: false },
    });
    expect(optOut.body.clustersToReissue).toEqual(['pay-1', 'pay-2']);
  });

  it('re-issues only kube_enforcer groups, and answers 404 for an unknown one', async () => {
    expect((await api.call('POST', '/v1/enforcer-groups/default/reissue')).status).toBe(400);
    expect((await api.call('POST', '/v1/enforcer-groups/nope/reissue')).status).toBe(404);
  });
});
