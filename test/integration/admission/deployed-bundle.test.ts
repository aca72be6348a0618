import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../../bench/lambda-bundle.js';
import { runNode } from '../../../bench/node-process.js';
import { functionEntries } from '../../../infra/lambda-bundling.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { hashSecret } from '../../../functions/shared/http/auth.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import { newWebhookSecret } from '../../../functions/shared/webhook.js';
import { readFixture } from '../../support/fixtures.js';
import { httpEvent } from '../../support/events.js';
import { useTables } from '../../support/use-tables.js';

// The webhook as the stack deploys it: the bundle of infra/lambda-bundling.ts, run by plain Node the way the
// Lambda runtime runs it, with no DynamoDB endpoint of Vigil's own. The SDK then finds its endpoint and its
// credentials as in AWS (here the endpoint is DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB), and the
// credentials come only from the environment: the bundle carries no other source (docs/adr/0007).

const db = useTables();
const secret = newWebhookSecret('open');
let work: string;
let bundle: string;

/** Runs the bundle's handler once in a fresh process; what it answered. */
async function invokeBundle(env: Record<string, string>, event: unknown): Promise<{ statusCode: number; body: any }> {
  const eventFile = join(work, 'event.json');
  await writeFile(eventFile, JSON.stringify(event));
  const runner = `const { handler } = await import(${JSON.stringify(bundle)});
const result = await handler(JSON.parse(await (await import('node:fs/promises')).readFile(${JSON.stringify(eventFile)}, 'utf8')), { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 8000 });
process.stdout.write(JSON.stringify(result));
process.exit(0);`;
  const childEnv = {
    PATH: process.env.PATH ?? '',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...env,
  };
  const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', runner], childEnv);
  if (code !== 0) throw new Error(`the bundle failed (status ${String(code)}): ${stderr.slice(-2000)}`);
  const result = JSON.parse(stdout) as { statusCode: number; body: string };
  return { statusCode: result.statusCode, body: JSON.parse(result.body) };
}

function execSh() {
  return httpEvent({
    method: 'POST',
    routeKey: 'POST /v1/admission/{cluster}/{secret}',
    path: `/v1/admission/prod/${secret}`,
    pathParameters: { cluster: 'prod', secret },
    query: { timeout: '5s' },
    body: JSON.stringify(readFixture('admission', 'exec-guard', 'denied', 'exec-sh.json')),
  });
}

/**
 * The environment Lambda gives the function: region, table prefix and the role's credentials (DynamoDB Local
 * reads the key id from the signature and refuses one that is not alphanumeric, so they must be the ones used).
 */
function lambdaEnvironment(): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    VIGIL_TABLE_PREFIX: db.prefix,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ACCESS_KEY_ID: 'BundleTestKey',
    AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
    AWS_SESSION_TOKEN: 'bundle-test-session',
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-deployed-bundle-'));
  bundle = join(work, 'admission', 'index.mjs');
  await bundleLambda(functionEntries.admission, bundle);
  const runtime = createRuntime(
    { mode: 'local', tablePrefix: db.prefix, dynamodbEndpoint: db.endpoint, adminToken: 'deployed-bundle-admin-token' },
    { configStore: db.configStore, auditStore: db.auditStore },
  );
  await bootstrap(runtime);
  const group = await db.configStore.get('enforcerGroup', 'default-ke');
  await db.configStore.apply(
    [
      { op: 'replace', kind: 'enforcerGroup', name: 'default-ke', doc: { ...group!, enforce: true } },
      { op: 'create', kind: 'cluster', name: 'prod', doc: { name: 'prod', enforcerGroup: 'default-ke', secretHash: hashSecret(secret) } },
      {
        op: 'create',
        kind: 'policy',
        name: 'exec-guard',
        doc: {
          name: 'exec-guard',
          type: 'container',
          enabled: true,
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: '', variables: [] },
          controls: { blockContainerExec: { enabled: true, allowedProcesses: ['/usr/bin/date', 'ls'] } },
          enforcementModeChange: null,
        },
      },
    ],
    'test',
  );
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the deployed admission bundle', () => {
  it('decides from DynamoDB with the credentials of its environment', async () => {
    const { statusCode, body } = await invokeBundle(lambdaEnvironment(), execSh());
    expect(statusCode).toBe(200);
    expect(body.response, JSON.stringify(body)).toMatchObject({ allowed: false });
    expect(body.response.status.message).toContain('blocked by policy "exec-guard" (Block Container Exec)');
  });

  it('takes credentials from nowhere else: a profile the SDK default chain would use is ignored, and the group fail mode answers', async () => {
    const credentialsFile = join(work, 'credentials');
    await writeFile(credentialsFile, '[vigil-test]\naws_access_key_id = ProfileKey\naws_secret_access_key = profile-secret\n');
    const {
      AWS_ACCESS_KEY_ID: _key,
      AWS_SECRET_ACCESS_KEY: _secret,
      AWS_SESSION_TOKEN: _session,
      ...withoutCredentials
    } = lambdaEnvironment();
    const env = {
      ...withoutCredentials,
      AWS_PROFILE: 'vigil-test',
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_CONFIG_FILE: join(work, 'no-config'),
    };
    const { statusCode, body } = await invokeBundle(env, execSh());
    expect(statusCode).toBe(200);
    // The secret was issued for a group that fails open: allowed, with the warning that says why.
    expect(body.response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('control plane unavailable')] });
  });
});
