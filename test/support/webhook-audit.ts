import { expect } from 'vitest';
import type { HttpHandler } from '../../functions/shared/http/types.js';
import { httpEvent, lambdaContext } from './events.js';

// What the tests of the audit events the webhook stores share: one policy in audit mode that makes an event of
// every exec and of every pod from outside docker.io, and a review sent as API Gateway would.

/** An audit-mode policy that detects every exec and every pod from a registry other than docker.io. */
export function watchEverythingPolicy(name: string) {
  return {
    name,
    type: 'container',
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'] },
    controls: { blockContainerExec: { enabled: true }, allowedRegistries: { enabled: true, registries: ['docker.io'] } },
  };
}

/** Sends one AdmissionReview to the webhook of a cluster, and expects it answered (200). */
export async function sendReview(admission: HttpHandler, cluster: string, secret: string, body: unknown): Promise<void> {
  const response = await admission(
    httpEvent({
      method: 'POST',
      routeKey: 'POST /v1/admission/{cluster}/{secret}',
      path: `/v1/admission/${cluster}/${secret}`,
      pathParameters: { cluster, secret },
      query: { timeout: '10s' },
      body: JSON.stringify(body),
    }),
    lambdaContext(),
  );
  expect(response.statusCode).toBe(200);
}
