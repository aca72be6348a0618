import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import type { WebhookRuntime } from '../../../functions/admission/runtime.js';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../../functions/shared/runtime-config.js';
import { adminCaller, createTablesAt, enforceDefaultGroup, silentLogger } from '../../support/admission-outage.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { readAdmissionReview } from '../../support/fixtures.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// A cold webhook instance starts the pod lookup of an exec as soon as the review's secret checks out against
// the registered clusters of the configuration it is loading, before compiling that configuration, so that
// the lookup's round trip overlaps the compile (issue 21). A review whose secret does not check out reads
// nothing about pods.

const ADMIN_TOKEN = 'cold-overlap-admin-token';
let config: RuntimeConfig;
let secret = '';

function review(file: string, patch: (request: any) => void): string {
  const body = readAdmissionReview(file);
  body.request.uid = crypto.randomUUID();
  patch(body.request);
  return JSON.stringify(body);
}

const execSh = () => review('bodies/exec-v1-echo-hello-custodian.json', (r) => (r.object.command = ['sh']));
const createPod = () =>
  review('bodies/pod-create-v1-static-web-custodian.json', (r) => {
    r.name = 'web-0';
    r.object.metadata.name = 'web-0';
  });

async function admit(handler: HttpHandler, body: string, cluster = 'prod', withSecret = secret) {
  const result = await handler(
    httpEvent({
      method: 'POST',
      routeKey: 'POST /v1/admission/{cluster}/{secret}',
      path: `/v1/admission/${cluster}/${withSecret}`,
      pathParameters: { cluster, secret: withSecret },
      body,
    }),
    lambdaContext('vigil-admission'),
  );
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
}

/**
 * A cold instance on the real tables, recording in `steps` when a pod lookup starts and when the compile of
 * the configuration starts (when it takes the loaded document's configuration: that is the compile's input).
 */
function coldInstance() {
  const steps: string[] = [];
  const runtime = createRuntime(config, { logger: silentLogger() });
  const { podDirectory, decisionSnapshots, configStore } = runtime;
  const webhookRuntime: WebhookRuntime = {
    ...runtime,
    podDirectory: {
      learn: (...args) => podDirectory.learn(...args),
      lookup: (...args) => {
        steps.push('pod lookup');
        return podDirectory.lookup(...args);
      },
    },
    decisionSnapshots: {
      save: (document) => decisionSnapshots.save(document),
      load: async (revision) => {
        const document = await decisionSnapshots.load(revision);
        if (!document) throw new Error('the warm instance should have stored the decision snapshot of this revision');
        return {
          ...document,
          get config() {
            steps.push('compile');
            return document.config;
          },
        };
      },
    },
    configStore,
  };
  return { handler: createAdmissionHandler(webhookRuntime), steps };
}

beforeAll(async () => {
  const endpoint = await dynamodbEndpoint();
  const prefix = `overlap${crypto.randomUUID().slice(0, 6)}-`;
  await createTablesAt(endpoint, prefix);
  config = {
    mode: 'local',
    tablePrefix: prefix,
    dynamodbEndpoint: endpoint,
    adminToken: ADMIN_TOKEN,
    publicBaseUrl: 'https://vigil.example',
  };
  const runtime = createRuntime(config, { logger: silentLogger() });
  await bootstrap(runtime);
  const call = adminCaller(createApiHandler(runtime), ADMIN_TOKEN);
  const registered = await call('POST', '/v1/clusters', '/v1/clusters', { name: 'prod' });
  secret = (registered.webhookUrl as string).split('/').pop()!;
  await call('POST', '/v1/policies', '/v1/policies', {
    name: 'exec-guard',
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'] },
    controls: { blockContainerExec: { enabled: true } },
  });
  await enforceDefaultGroup(call);
  // A warm instance learns the pod and stores the decision snapshot of the revision, as in a deployment.
  const warm = createAdmissionHandler(runtime);
  expect((await admit(warm, createPod())).body.response).toMatchObject({ allowed: true });
}, 90_000);

describe('a cold webhook instance', () => {
  it('starts the pod lookup of an authenticated exec before compiling the configuration, and looks up once', async () => {
    const { handler, steps } = coldInstance();
    const answer = await admit(handler, execSh());
    expect(answer.status).toBe(200);
    expect(answer.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(steps).toEqual(['pod lookup', 'compile']);
  });

  it('reads nothing about pods for a review whose secret does not check out, or whose cluster is unknown', async () => {
    for (const [cluster, withSecret] of [
      ['prod', 'not-the-secret'],
      ['elsewhere', secret],
    ] as const) {
      const { handler, steps } = coldInstance();
      const answer = await admit(handler, execSh(), cluster, withSecret);
      expect(answer.status).toBe(401);
      expect(steps).toEqual(['compile']);
    }
  });
});
