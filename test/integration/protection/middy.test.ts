import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, bundleWith, FakeEnforcerApi, functionPolicy, runFunction } from './harness.js';

// A real middy handler (@middy/core) using the layer's middleware (vigil/middy.mjs) without the preload.

let layerDir: string;
let api: FakeEnforcerApi | undefined;

beforeAll(async () => {
  layerDir = await buildLayer();
}, 60_000);

afterEach(async () => {
  await api?.close();
  api = undefined;
});

const blockCurl = (mode: 'audit' | 'enforce') =>
  functionPolicy('no-curl', mode, { blockedExecutables: { enabled: true, executables: ['curl'] } });

/**
 * Runs the middy fixture against the fake API, nothing embedded, the background flush effectively off:
 * events only reach the API through the middleware's end-of-invocation flush. `storedAtResult[i]` is how
 * many events the API held when invocation i had returned.
 */
async function runMiddy(mode: 'audit' | 'enforce', events: unknown[]) {
  api = new FakeEnforcerApi(bundleWith([blockCurl(mode)]));
  const endpoint = await api.listen();
  const fake = api;
  const storedAtResult: number[] = [];
  const run = await runFunction({
    layerDir,
    module: 'middy-function.mjs',
    preload: false,
    events,
    env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_FLUSH_INTERVAL_MS: '3600000' },
    onLine: (line) => {
      if (line.startsWith('RESULT ')) storedAtResult.push(fake.stored.size);
    },
  });
  expect(run.stdout, run.stderr).toContain('SHUTDOWN');
  return { ...run, storedAtResult, stored: [...fake.stored.values()] };
}

describe('the middy middleware (vigilProtection)', () => {
  it('refuses a blocked program with EACCES in enforce mode and has sent the Block event when the invocation returns', async () => {
    const run = await runMiddy('enforce', [
      { op: 'execSync', command: 'curl --version' },
      { op: 'spawnSync', file: 'true' },
    ]);
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(run.storedAtResult).toEqual([1, 1]);
    expect(run.stored).toMatchObject([
      {
        status: 'Block',
        policy: 'no-curl',
        control: 'blockedExecutables',
        command: ['/bin/sh', '-c', 'curl --version'],
        enforcer: { id: 'enf-1' },
      },
    ]);
  });

  it('lets a blocked program run in audit mode and has sent the Detect event when the invocation returns', async () => {
    const run = await runMiddy('audit', [{ op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version >/dev/null 2>&1; echo ran'] }]);
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: 'ran' }]);
    expect(run.storedAtResult).toEqual([1]);
    expect(run.stored.map((e) => [e.status, e.control])).toEqual([['Detect', 'blockedExecutables']]);
  });

  it('sends the events of an invocation whose handler throws (onError), and the error reaches the runtime unchanged', async () => {
    const run = await runMiddy('audit', [{ op: 'throw', before: { op: 'spawnSync', file: 'curl', args: ['--version'] } }]);
    expect(run.results).toEqual([{ thrown: 'HANDLER_FAILED' }]);
    expect(run.storedAtResult).toEqual([1]);
    expect(run.stored.map((e) => [e.status, e.command])).toEqual([['Detect', ['curl', '--version']]]);
  });
});
