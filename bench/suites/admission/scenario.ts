import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { reviewFor, type BenchPod } from '../../admission-reviews.js';
import { apiGatewayEvent, lambdaContext } from '../../api-event.js';
import { generateConfig } from '../../generate.js';
import { POLICIES, GROUP, TIMEOUT } from './plan.js';

// Setup of the scenario: clusters, policies, and the pods the webhook learns.

function expectStatus(result: APIGatewayProxyStructuredResultV2, status: number, what: string): Record<string, any> {
  if (result.statusCode !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${String(result.statusCode)}: ${String(result.body).slice(0, 300)}`);
  return result.body ? (JSON.parse(result.body) as Record<string, any>) : {};
}

/** Registers the clusters in an enforcing kube_enforcer group through the API; returns cluster → secret. */
export async function registerClusters(api: HttpHandler, adminToken: string, clusters: readonly string[]): Promise<Map<string, string>> {
  const call = async (method: 'POST' | 'PUT', route: string, body: unknown, status: number) =>
    expectStatus(
      await api(apiGatewayEvent({ method, route, body, token: adminToken }), lambdaContext('vigil-api')),
      status,
      `${method} ${route}`,
    );
  await call('POST', '/v1/enforcer-groups', { name: GROUP, type: 'kube_enforcer', enforce: true, failMode: 'open' }, 201);
  const secrets = new Map<string, string>();
  for (const name of clusters) {
    const registered = await call('POST', '/v1/clusters', { name, enforcerGroup: GROUP }, 201);
    secrets.set(name, (registered.webhookUrl as string).split('/').pop()!);
  }
  return secrets;
}

/** The policy documents as POST /v1/policies stores them (server-managed fields stripped). */
export function policyChanges(seed: number, count: number = POLICIES) {
  const bench = generateConfig(count, seed);
  const changes = bench.config.policies.map((policy) => {
    const { version: _version, ...doc } = policy;
    return { op: 'create' as const, kind: 'policy' as const, name: policy.name, doc: { ...doc, enforcementModeChange: null } };
  });
  return { bench, changes };
}

export function webhookEvent(pod: BenchPod, secrets: ReadonlyMap<string, string>, review: unknown): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    method: 'POST',
    route: '/v1/admission/{cluster}/{secret}',
    pathParameters: { cluster: pod.cluster, secret: secrets.get(pod.cluster)! },
    query: { timeout: TIMEOUT },
    body: review,
  });
}

interface Verdict {
  readonly allowed: boolean;
}

export function verdictOf(result: APIGatewayProxyStructuredResultV2): Verdict {
  const body = expectStatus(result, 200, 'admission review');
  if (typeof body.response?.allowed !== 'boolean') throw new Error(`admission review: no verdict in ${String(result.body).slice(0, 300)}`);
  return { allowed: body.response.allowed as boolean };
}

/** Sends every pod's CREATE once (16 at a time), as the API server would have before anyone execs into them. */
export async function learnPods(handler: HttpHandler, pods: readonly BenchPod[], secrets: ReadonlyMap<string, string>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pods.length) {
      const pod = pods[next++]!;
      verdictOf(await handler(webhookEvent(pod, secrets, reviewFor('create', pod, randomUUID())), lambdaContext('vigil-admission')));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
