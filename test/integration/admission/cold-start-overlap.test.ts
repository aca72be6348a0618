import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import type { WebhookRuntime } from '../../../functions/admission/runtime.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../../functions/shared/runtime-config.js';
import { createPodReview, execShReview, installExecGuard, silentLogger, webhookEvent } from '../../support/admission-outage.js';
import { lambdaContext } from '../../support/events.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// A cold webhook instance starts the pod lookup of an exec as soon as the review's secret checks out against
// the registered clusters of the configuration it is loading, before compiling that configuration, so that
// the lookup's round trip overlaps the compile (issue 21). A review whose secret does not check out reads
// nothing about pods.

let config: RuntimeConfig;
let secret = '';

async function admit(handler: HttpHandler, body: string, cluster = 'prod', withSecret = secret) {
  const result = await handler(webhookEvent(body, cluster, withSecret), lambdaContext('vigil-admission'));
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
}

/**
 * A cold instance on the real tables, recording in `steps` when a pod lookup starts and when its answer is
 * read, when the compile of the configuration starts (when it takes the loaded document's configuration: that
 * is the compile's input) and when the candidate index is filed (when the exec guard's version is read: only
 * filing reads it, to stamp the policy's item).
 */
function coldInstance() {
  const steps: string[] = [];
  const runtime = createRuntime(config, { logger: silentLogger() });
  const { podDirectory, decisionSnapshots, configStore } = runtime;
  const webhookRuntime: WebhookRuntime = {
    ...runtime,
    podDirectory: {
      learn: (...args) => podDirectory.learn(...args),
      lookup: async (...args) => {
        steps.push('pod lookup');
        const answer = await podDirectory.lookup(...args);
        steps.push('pod answer');
        return answer;
      },
    },
    decisionSnapshots: {
      save: (document) => decisionSnapshots.save(document),
      load: async (revision) => {
        const document = await decisionSnapshots.load(revision);
        if (!document) throw new Error('the warm instance should have stored the decision snapshot of this revision');
        const policies = document.config.policies.map((policy) => ({
          ...policy,
          get version() {
            if (!steps.includes('file index')) steps.push('file index');
            return policy.version;
          },
        }));
        return {
          ...document,
          get config() {
            steps.push('compile');
            return { ...document.config, policies };
          },
        };
      },
    },
    configStore,
  };
  return { handler: createAdmissionHandler(webhookRuntime), steps };
}

beforeAll(async () => {
  const installed = await installExecGuard({
    tablesEndpoint: await dynamodbEndpoint(),
    prefix: `overlap${crypto.randomUUID().slice(0, 6)}-`,
    adminToken: 'cold-overlap-admin-token',
  });
  ({ config, secret } = installed);
  // A warm instance learns the pod and stores the decision snapshot of the revision, as in a deployment.
  const warm = createAdmissionHandler(installed.runtime);
  expect((await admit(warm, createPodReview('web-0'))).body.response).toMatchObject({ allowed: true });
}, 90_000);

describe('a cold webhook instance', () => {
  it('starts the pod lookup of an authenticated exec before compiling the configuration, and looks up once', async () => {
    const { handler, steps } = coldInstance();
    const answer = await admit(handler, execShReview());
    expect(answer.status).toBe(200);
    expect(answer.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(steps.filter((step) => step !== 'file index' && step !== 'pod answer')).toEqual(['pod lookup', 'compile']);
  });

  it("files the exec's candidate index while the pod lookup is in flight, not after its answer (docs/adr/0021)", async () => {
    const { handler, steps } = coldInstance();
    const answer = await admit(handler, execShReview());
    expect(answer.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(steps).toEqual(['pod lookup', 'compile', 'file index', 'pod answer']);
  });

  it('reads nothing about pods for a review whose secret does not check out, or whose cluster is unknown', async () => {
    for (const [cluster, withSecret] of [
      ['prod', 'not-the-secret'],
      ['elsewhere', secret],
    ] as const) {
      const { handler, steps } = coldInstance();
      const answer = await admit(handler, execShReview(), cluster, withSecret);
      expect(answer.status).toBe(401);
      expect(steps).toEqual(['compile']);
    }
  });
});
