import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, bundleWith, FakeAwsJsonService, FakeEnforcerApi, functionPolicy, runFunction, sdkModules } from './harness.js';

// The token is read by the AWS SDK in the function process (loaded from NODE_PATH, as the Lambda runtime
// provides it) from a local double of SSM / Secrets Manager speaking the JSON protocol over HTTP.

const TOKEN = 'vgt_0123456789abcdef-stored';
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDVIGILTEST0000001', AWS_SECRET_ACCESS_KEY: 'vigil-test-secret-key', NODE_PATH: sdkModules };
const blockCurl = functionPolicy('no-curl', 'enforce', { blockedExecutables: { enabled: true, executables: ['curl'] } });
const curlThenTrue = [
  { op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version'] },
  { op: 'spawnSync', file: 'true' },
];

let layerDir: string;
const closing: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  layerDir = await buildLayer();
}, 60_000);

afterEach(async () => {
  await Promise.all(closing.splice(0).map((server) => server.close()));
});

async function started<T extends { listen(): Promise<string>; close(): Promise<void> }>(server: T): Promise<{ server: T; url: string }> {
  const url = await server.listen();
  closing.push(server);
  return { server, url };
}

/** An SSM double answering GetParameter with `value` for `name`, ParameterNotFound otherwise. */
function parameterStore(name: string, value: string): FakeAwsJsonService {
  return new FakeAwsJsonService((target, body) => {
    if (target === 'AmazonSSM.GetParameter' && body?.Name === name) {
      return { status: 200, body: { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 3, DataType: 'text' } } };
    }
    return { status: 400, body: { __type: 'ParameterNotFound', message: `parameter ${String(body?.Name)} not found` } };
  });
}

describe('the enforcer-group token from SSM Parameter Store', () => {
  it('is read once at init with decryption, and the layer authenticates with it (fail mode closed, nothing embedded)', async () => {
    const ssm = await started(parameterStore('/vigil/lambda-token', TOKEN));
    const api = await started(new FakeEnforcerApi(bundleWith([blockCurl]), TOKEN));
    const run = await runFunction({
      layerDir,
      // protect() waits for the first bundle when nothing is embedded: token read, registration, bundle.
      module: 'wrapped-function.mjs',
      preload: false,
      events: [...curlThenTrue, { op: 'wait', ms: 1500 }],
      env: {
        ...credentials,
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_PARAMETER: '/vigil/lambda-token',
        VIGIL_FAIL_MODE: 'closed',
        VIGIL_BUNDLE_TTL_SECONDS: '1',
        AWS_ENDPOINT_URL_SSM: ssm.url,
      },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }, { ok: true }]);

    // Exactly one read, whatever the refreshes: the token is resolved once.
    expect(ssm.server.requests).toHaveLength(1);
    const [request] = ssm.server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/', body: { Name: '/vigil/lambda-token', WithDecryption: true } });
    expect(request!.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDVIGILTEST0000001\/\d{8}\/eu-west-1\/ssm\/aws4_request, /,
    );

    // The fake API answers 401 to any other token: these requests carried the one read from SSM.
    expect(api.server.registrations).toHaveLength(1);
    expect(api.server.notModified).toBeGreaterThanOrEqual(1);
    expect([...api.server.stored.values()].map((e) => [e.status, e.control])).toEqual([['Block', 'blockedExecutables']]);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('reads the parameter again after the control plane refused the token (401: rotated), at the next refresh', async () => {
    const values = ['vgt_previous-rotated-away', TOKEN];
    const ssm = await started(
      new FakeAwsJsonService((_target, body) => ({
        status: 200,
        body: { Parameter: { Name: body.Name, Type: 'SecureString', Value: values.shift() ?? TOKEN, Version: 4 } },
      })),
    );
    const api = await started(new FakeEnforcerApi(bundleWith([]), TOKEN));
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [{ op: 'wait', ms: 2500 }],
      env: {
        ...credentials,
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_PARAMETER: '/vigil/lambda-token',
        VIGIL_BUNDLE_TTL_SECONDS: '1',
        AWS_ENDPOINT_URL_SSM: ssm.url,
      },
    });
    expect(run.results).toEqual([{ ok: true }]);
    expect(run.stderr).toContain('vigil: the first bundle fetch failed: POST /v1/enforcers/register answered 401');
    expect(ssm.server.requests).toHaveLength(2);
    expect(api.server.registrations).toHaveLength(1);
    expect(run.stdout + run.stderr).not.toContain('vgt_previous-rotated-away');
  });

  it('falls back to the embedded snapshot when the parameter cannot be read, and logs the parameter name without its value', async () => {
    const ssm = await started(parameterStore('/vigil/other', TOKEN));
    const api = await started(new FakeEnforcerApi(bundleWith([]), TOKEN));
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: curlThenTrue,
      env: {
        ...credentials,
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_PARAMETER: '/vigil/missing',
        VIGIL_SNAPSHOT: JSON.stringify(bundleWith([blockCurl])),
        AWS_ENDPOINT_URL_SSM: ssm.url,
      },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(ssm.server.requests.map((r) => r.body)).toEqual([{ Name: '/vigil/missing', WithDecryption: true }]);
    expect(run.stderr).toContain('vigil: the enforcer-group token could not be read from SSM parameter "/vigil/missing"');
    expect(run.stderr).toContain('keeping revision 7');
    expect(api.server.requests).toEqual([]);
  });

  it('never logs a value it refuses as a token, and fails closed when so configured', async () => {
    const ssm = await started(parameterStore('/vigil/lambda-token', 'not a valid token'));
    const api = await started(new FakeEnforcerApi(bundleWith([]), TOKEN));
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [
        { op: 'wait', ms: 500 },
        { op: 'spawnSync', file: 'true' },
      ],
      env: {
        ...credentials,
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_PARAMETER: '/vigil/lambda-token',
        VIGIL_FAIL_MODE: 'closed',
        AWS_ENDPOINT_URL_SSM: ssm.url,
      },
    });
    expect(ssm.server.requests).toHaveLength(1);
    expect(run.results).toEqual([{ ok: true }, { error: 'EACCES' }]);
    expect(run.stderr).toContain(
      'vigil: the enforcer-group token could not be read from SSM parameter "/vigil/lambda-token": the token must be printable ASCII without spaces; fail mode closed',
    );
    expect(run.stderr).not.toContain('not a valid token');
    expect(api.server.requests).toEqual([]);
  });
});

describe('the enforcer-group token from Secrets Manager', () => {
  it('reads the secret once (a key/value secret: its "token" field) and authenticates with it', async () => {
    const secrets = await started(
      new FakeAwsJsonService((target, body) =>
        target === 'secretsmanager.GetSecretValue' && body?.SecretId === 'vigil/lambda-token'
          ? {
              status: 200,
              body: {
                ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/lambda-token-AbCdEf',
                Name: 'vigil/lambda-token',
                SecretString: JSON.stringify({ token: TOKEN }),
                VersionId: 'v1',
              },
            }
          : { status: 400, body: { __type: 'ResourceNotFoundException', message: 'not found' } },
      ),
    );
    const api = await started(new FakeEnforcerApi(bundleWith([blockCurl]), TOKEN));
    const run = await runFunction({
      layerDir,
      module: 'wrapped-function.mjs',
      preload: false,
      events: curlThenTrue,
      env: {
        ...credentials,
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_SECRET: 'vigil/lambda-token',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(secrets.server.requests).toHaveLength(1);
    const [request] = secrets.server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/', body: { SecretId: 'vigil/lambda-token' } });
    expect(request!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDVIGILTEST0000001\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, /,
    );
    expect(api.server.registrations).toHaveLength(1);
    expect([...api.server.stored.values()].map((e) => e.status)).toEqual(['Block']);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('reports a missing SDK package by name and keeps the fail mode', async () => {
    const api = await started(new FakeEnforcerApi(bundleWith([]), TOKEN));
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [
        { op: 'wait', ms: 300 },
        { op: 'spawnSync', file: 'true' },
      ],
      // No NODE_PATH: the built layer lives in a temporary directory where no SDK can be found.
      env: { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN_SECRET: 'vigil/lambda-token', VIGIL_FAIL_MODE: 'closed' },
    });
    expect(run.results).toEqual([{ ok: true }, { error: 'EACCES' }]);
    expect(run.stderr).toContain(
      'vigil: the enforcer-group token could not be read from Secrets Manager secret "vigil/lambda-token": @aws-sdk/client-secrets-manager is not available (the Lambda Node.js runtimes provide it); fail mode closed',
    );
    expect(api.server.requests).toEqual([]);
  });
});
