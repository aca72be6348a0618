import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { BOUNDED_ATTEMPTS, boundServiceClient } from './call-budget.js';
import type { DescribeCluster } from './eks.js';
import { DependencyError, ValidationError } from './errors.js';

/** Validates an EKS cluster ARN with DescribeCluster in the ARN's region. */
export function eksDescribeCluster(clientFor?: (region: string) => EKSClient): DescribeCluster {
  const clients = new Map<string, EKSClient>();
  return async (arn) => {
    // arn:aws:eks:<region>:<account>:cluster/<name>
    const [, , , region = '', , resource = ''] = arn.split(':');
    const name = resource.slice('cluster/'.length);
    // A client per region, built on first use: registration is rare. The client and its one command are
    // imported by name: the bundle evaluates what it holds at load, and a dynamic import of the client kept all
    // of its commands there (docs/adr/0021).
    let client = clients.get(region);
    if (!client)
      clients.set(
        region,
        (client = clientFor
          ? clientFor(region)
          : boundServiceClient(new EKSClient({ region, requestHandler: BOUNDED_ATTEMPTS }), 'Amazon EKS')),
      );
    try {
      const { cluster } = await client.send(new DescribeClusterCommand({ name }));
      if (cluster?.arn && cluster.arn !== arn)
        throw new ValidationError('the ARN does not match the cluster', [
          { path: 'arn', message: `DescribeCluster answered for ${cluster.arn}` },
        ]);
      return { name: cluster?.name, endpoint: cluster?.endpoint, kubernetesVersion: cluster?.version, status: cluster?.status };
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      if (error instanceof ResourceNotFoundException)
        throw new ValidationError('the cluster does not exist', [
          { path: 'arn', message: `no EKS cluster ${name} in ${region} (DescribeCluster)` },
        ]);
      throw new DependencyError('EKS did not answer DescribeCluster; check the control plane role may call eks:DescribeCluster', [], {
        cause: error,
      });
    }
  };
}
