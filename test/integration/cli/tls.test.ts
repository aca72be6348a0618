import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMode, type LocalMode } from '../../../infra/local/start.js';
import type { Io } from '../../../cli/output.js';
import { main } from '../../../cli/program.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// The CLI against local mode started with --tls (a real HTTPS server with a certificate of its local CA): without
// trusting that CA the connection is refused; --ca, VIGIL_CA, or local mode's data dir found by itself make it work.

const ADMIN_TOKEN = 'cli-tls-admin-token-0123456789';
let dataDir = '';
let elsewhere = '';
let local: LocalMode;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vigil-cli-tls-'));
  elsewhere = await mkdtemp(join(tmpdir(), 'vigil-cli-tls-empty-'));
  local = await startLocalMode({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    dynamodbEndpoint: await dynamodbEndpoint(),
    adminToken: ADMIN_TOKEN,
    tablePrefix: `clitls${randomBytes(4).toString('hex')}-`,
    tls: true,
  });
}, 60_000);
afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

/** `vigil …` in this process; VIGIL_DATA_DIR points at an empty folder unless the test sets it. */
async function vigil(args: readonly string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: ADMIN_TOKEN, VIGIL_DATA_DIR: elsewhere, NO_COLOR: '1', ...env },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function groupNames(stdout: string): string[] {
  return (JSON.parse(stdout) as { name: string }[]).map((group) => group.name);
}

describe('the CLI against local mode with --tls', () => {
  it('serves https, and without the local CA the CLI cannot connect', async () => {
    expect(local.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const result = await vigil(['list', 'groups', '-o', 'json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach ${local.url}: unable to verify the first certificate`);
  });

  it('trusts the CA named by --ca or VIGIL_CA', async () => {
    const flag = await vigil(['--ca', local.caFile!, 'list', 'groups', '-o', 'json']);
    expect(flag.stderr).toBe('');
    expect(groupNames(flag.stdout)).toEqual(['default', 'default-ke']);
    const env = await vigil(['list', 'groups', '-o', 'json'], { VIGIL_CA: local.caFile! });
    expect(groupNames(env.stdout)).toEqual(['default', 'default-ke']);
  });

  it("finds local mode's CA in its data dir by itself for a local https endpoint", async () => {
    const result = await vigil(['list', 'groups', '-o', 'json'], { VIGIL_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(groupNames(result.stdout)).toEqual(['default', 'default-ke']);
  });

  it('refuses a --ca that is not a certificate, naming the file', async () => {
    const notPem = join(elsewhere, 'not-a-ca.txt');
    await writeFile(notPem, 'hello\n');
    const result = await vigil(['--ca', notPem, 'list', 'groups']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--ca ${notPem}: not a PEM certificate`);
  });

  it('simulates against the https webhook with the same trust', async () => {
    const registered = await vigil(['clusters', 'register', 'tls-demo', '-o', 'json'], { VIGIL_DATA_DIR: dataDir });
    expect(registered.code).toBe(0);
    const webhookUrl = (JSON.parse(registered.stdout) as { webhookUrl: string }).webhookUrl;
    expect(webhookUrl).toMatch(/^https:\/\//);
    const simulated = await vigil(
      ['simulate', 'exec', '-n', 'payments', '--pod', 'web-1', '--command', 'sh', '--webhook-url', webhookUrl],
      {
        VIGIL_DATA_DIR: dataDir,
      },
    );
    expect(simulated.stderr).toBe('');
    expect(simulated.code).toBe(0);
    expect(simulated.stdout).toMatch(/^Allow: exec payments\/web-1/);
  });
});
