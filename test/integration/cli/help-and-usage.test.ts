import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/program.js';
import { runVigil, SPAWN_TIMEOUT } from './run-vigil.js';

// The command line itself: help on every command, and the exit codes of usage errors, network and auth failures.
// None of these needs a control plane.

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const sink = { write: () => true };
const { program } = buildProgram({ stdout: sink, stderr: sink, env: {} });
const paths = [[], ...commandPaths(program)];

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

describe('vigil --help', { timeout: SPAWN_TIMEOUT }, () => {
  it('covers the commands of the issue', () => {
    const names = paths.map((p) => p.join(' '));
    for (const name of [
      'apply',
      'diff',
      'export',
      'import',
      'get',
      'list',
      'delete',
      'templates',
      'controls',
      'clusters register',
      'clusters rotate-secret',
      'clusters rotate-node-agent-token',
      'clusters node-policies',
      'groups rotate-token',
      'groups reissue',
      'audit list',
      'audit tail',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('answers --help on every command with usage, exit codes and status 0', { timeout: 5 * SPAWN_TIMEOUT }, async () => {
    const results = await inBatches(paths, 3, async (path) => ({ path, result: await runVigil([...path, '--help']) }));
    for (const { path, result } of results) {
      expect(result.code, `vigil ${path.join(' ')} --help: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(`Usage: vigil${path.length > 0 ? ` ${path.join(' ')}` : ''}`);
      expect(result.stdout).toContain('Exit codes:');
      expect(result.stderr).toBe('');
    }
  });

  it('documents the environment and the exit codes at the top level', async () => {
    const { stdout } = await runVigil(['--help']);
    expect(stdout).toContain('VIGIL_ENDPOINT');
    expect(stdout).toContain('VIGIL_TOKEN');
    expect(stdout).toMatch(/2 +usage error .*vigil diff: differences found/);
  });

  it('prints the version', async () => {
    const result = await runVigil(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors exit with 2', { timeout: SPAWN_TIMEOUT }, () => {
  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['no command at all', [], /Usage: vigil/],
    ['an unknown option', ['list', 'policies', '--colour'], /unknown option '--colour'/],
    ['a missing argument', ['delete', 'policies'], /missing required argument 'name'/],
    ['a bad choice', ['list', 'policies', '-o', 'xml'], /argument 'xml' is invalid/],
    ['a bad number', ['audit', 'list', '--limit', 'many'], /must be a whole number/],
    ['apply without files', ['apply'], /apply needs -f/],
    ['an unknown kind', ['list', 'widgets'], /cannot list "widgets": the kinds are policies, scopes/],
    ['no endpoint', ['list', 'policies'], /no endpoint: pass --endpoint <url> or set VIGIL_ENDPOINT/],
  ])('%s', async (_what, args, message) => {
    const env = args[0] === 'list' && args[1] === 'widgets' ? { VIGIL_ENDPOINT: 'http://127.0.0.1:9' } : {};
    const result = await runVigil(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('suggests the command meant', async () => {
    const result = await runVigil(['aply']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(Did you mean apply?)');
  });
});

describe('failures exit with 1', { timeout: SPAWN_TIMEOUT }, () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // Answers like the API does to a wrong token.
    server = createServer((_request, response) => {
      response
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'unauthorized', message: 'missing or invalid credentials' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports an API error as code: message, with a hint', async () => {
    const result = await runVigil(['list', 'policies'], { env: { VIGIL_ENDPOINT: url, VIGIL_TOKEN: 'wrong' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unauthorized: missing or invalid credentials');
    expect(result.stderr).toContain('hint: check the token');
    expect(result.stdout).toBe('');
  });

  it('reports an unreachable endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runVigil(['list', 'policies'], { env: { VIGIL_ENDPOINT: `http://127.0.0.1:${port}`, VIGIL_TOKEN: 't' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: cannot reach http://127.0.0.1:${port}`);
  });
});
