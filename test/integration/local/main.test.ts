import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamodbEndpoint } from '../../support/use-tables.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const SETTINGS = [
  'PORT',
  'HOST',
  'VIGIL_DATA_DIR',
  'VIGIL_ADMIN_TOKEN',
  'VIGIL_DYNAMODB_ENDPOINT',
  'VIGIL_PUBLIC_URL',
  'VIGIL_TLS_HOSTNAMES',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s entry point as a user would, with only the given settings. */
function runMain(args: string[], settings: Record<string, string> = {}): Promise<Run> {
  const env = { ...process.env };
  for (const name of SETTINGS) delete env[name];
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'infra/local/main.ts', ...args],
      { cwd: repoRoot, env: { ...env, ...settings }, timeout: 55_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Each case boots node with the TypeScript loader, which takes seconds on a busy machine.
describe.concurrent('npm start (infra/local/main.ts)', { timeout: 60_000 }, () => {
  it.each([['--help'], ['-h']])('prints the usage with every setting for %s and exits 0', async (flag) => {
    const run = await runMain([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm start/);
    for (const name of SETTINGS) expect(run.stdout).toContain(name);
    expect(run.stdout).toContain('DynamoDB Local');
    expect(run.stdout).toContain('--tls');
    expect(run.stderr).toBe('');
  });

  it('exits 2 with a clear message for a PORT that is not a port', async () => {
    const run = await runMain([], { PORT: 'eighty' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT: must be a whole number between 0 and 65535');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a PORT out of range', async () => {
    const run = await runMain([], { PORT: '65536' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT: must be between 0 and 65535');
  });

  it('exits 2 for a weak admin token without printing it', async () => {
    const run = await runMain([], { VIGIL_ADMIN_TOKEN: 'hunter2' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('VIGIL_ADMIN_TOKEN: must be at least 16 characters long');
    expect(run.stderr).not.toContain('hunter2');
  });

  it('exits 1 with only the message (no stack trace) when Java is missing', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-main-'));
    try {
      // An empty PATH hides java; node itself is run by its absolute path.
      const run = await runMain([], { PATH: join(scratch, 'empty-bin'), PORT: '0', VIGIL_DATA_DIR: join(scratch, 'data') });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^vigil: Java 17 or newer is needed for DynamoDB Local/m);
      expect(run.stderr).toContain('VIGIL_DYNAMODB_ENDPOINT');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('exits 2 for VIGIL_TLS_HOSTNAMES with something that is not a host name', async () => {
    const run = await runMain(['--tls'], { VIGIL_TLS_HOSTNAMES: 'host.docker.internal, not a host' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('VIGIL_TLS_HOSTNAMES: must be host names or IP addresses separated by commas');
  });

  it('exits 2 for a VIGIL_PUBLIC_URL with a query', async () => {
    const run = await runMain([], { VIGIL_PUBLIC_URL: 'https://vigil.example/?x=1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('VIGIL_PUBLIC_URL: must be a base URL');
  });

  it.each([[['--port', '9000']], [['serve']]])('exits 2 with the usage for unknown arguments %j', async (args) => {
    const run = await runMain(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vigil: /);
    expect(run.stderr).toContain('Usage: npm start');
  });
});

describe('npm start -- --tls', () => {
  it('prints the https URL and the CA, and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-main-tls-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of SETTINGS) delete env[name];
    Object.assign(env, {
      PORT: '0',
      VIGIL_DATA_DIR: join(scratch, 'data'),
      VIGIL_DYNAMODB_ENDPOINT: await dynamodbEndpoint(),
      VIGIL_TLS_HOSTNAMES: 'host.docker.internal',
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', '--tls'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.includes('Press Ctrl-C')) resolve();
        });
        void exited.then((code) => reject(new Error(`exited with ${code} before starting: ${stderr}`)));
      });
      const caFile = join(scratch, 'data', 'tls', 'ca.crt');
      expect(stdout).toMatch(/URL: +https:\/\/127\.0\.0\.1:\d+\n/);
      expect(stdout).toContain(`CA:           ${caFile}  (generated now)`);
      expect(stdout).toContain('caBundle');
      expect(stdout).toContain('npm start -- --tls');
      expect(stdout).toContain(`curl --cacert "${caFile}"`);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('npm start, stopped with Ctrl-C', () => {
  // npm forwards a terminal's SIGINT to the whole process group, so one Ctrl-C reaches local mode twice.
  it('counts two SIGINTs in quick succession as one: stops cleanly, exits 0 and says it stopped', { timeout: 60_000 }, async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-main-sigint-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of SETTINGS) delete env[name];
    Object.assign(env, { PORT: '0', VIGIL_DATA_DIR: join(scratch, 'data'), VIGIL_DYNAMODB_ENDPOINT: await dynamodbEndpoint() });
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.includes('Press Ctrl-C')) resolve();
        });
        void exited.then((code) => reject(new Error(`exited with ${code} before starting: ${stderr}`)));
      });
      child.kill('SIGINT');
      // The second one after the first was handled, as npm's copy arrives: signals sent together may merge.
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (stderr.includes('SIGINT received')) resolve();
          else setImmediate(check);
        };
        check();
      });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).not.toContain('exiting without waiting');
      expect(stderr.match(/SIGINT received, stopping/g)).toHaveLength(1);
      expect(stderr).toMatch(/^vigil: stopped\n$/m);
      expect(stderr.trimEnd().split('\n').at(-1)).toBe('vigil: stopped');
    } finally {
      child.kill('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
