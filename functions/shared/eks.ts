import { ValidationError } from './errors.js';

// What cluster registration needs to know of EKS, and local mode's stand-in. The validator that calls EKS is
// in eks-describe-cluster.ts, imported only by the admin API's wiring: every function reaches this module
// through the shared composition root, and a bundle that leaves the SDK to the runtime keeps each import of an
// SDK client, used or not.

/** What registration learns about an EKS cluster from its ARN. */
export interface ClusterDetails {
  readonly name?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly kubernetesVersion?: string | undefined;
  readonly status?: string | undefined;
}

export type DescribeCluster = (arn: string) => Promise<ClusterDetails>;

/** Local mode reaches no AWS API: an ARN cannot be checked, so registration by name is the way. */
export const describeClusterUnavailable: DescribeCluster = () =>
  Promise.reject(
    new ValidationError('cannot validate an EKS ARN here', [
      { path: 'arn', message: 'local mode cannot call EKS: register the cluster by name, without "arn"' },
    ]),
  );
