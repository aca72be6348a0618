import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliPackage, CLI_PACKAGE_NAME } from '../../../cli/package/build.js';
import { useLocalMode } from '../../support/local-mode.js';
import { repoRoot, SPAWN_TIMEOUT } from './run-vigil.js';

// The CLI package as CI installs it: built, packed with the real `npm pack`, installed from the tarball into an
// empty project outside the repository (offline: the package has no dependencies), and run through the `vigil`
// bin npm links, against local mode.

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const local = useLocalMode();
let work = '';
let tarball = '';
let packed: { name: string; files: { path: string }[] } | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-cli-package-'));
  await buildCliPackage(join(work, 'package'));
  const { stdout } = await run(npm, ['pack', join(work, 'package'), '--json', '--pack-destination', work], { cwd: work });
  const [answer] = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
  packed = answer;
  tarball = join(work, answer!.filename);
  const consumer = join(work, 'ci-job');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), '{ "name": "ci-job", "private": true }\n');
  await run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: consumer });
}, SPAWN_TIMEOUT);
afterAll(() => rm(work, { recursive: true, force: true }));

function vigil(args: readonly string[], env: Record<string, string> = {}) {
  const consumer = join(work, 'ci-job');
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VIGIL_') && !key.startsWith('AWS_')),
  );
  return run(join(consumer, 'node_modules', '.bin', 'vigil'), args, { cwd: consumer, env: { ...environment, NO_COLOR: '1', ...env } });
}

describe('the CLI package', { timeout: SPAWN_TIMEOUT }, () => {
  it('is scoped (the npm name "vigil" is an unrelated package) and holds the bin and its manifest only', async () => {
    expect(packed?.name).toBe(CLI_PACKAGE_NAME);
    expect(CLI_PACKAGE_NAME).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(packed?.files.map((file) => file.path).sort()).toEqual(['README.md', 'bin/vigil.mjs', 'package.json']);
    const manifest = JSON.parse(await readFile(join(work, 'package', 'package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ vigil: 'bin/vigil.mjs' });
    expect(manifest).not.toHaveProperty('dependencies');
  });

  it('installs from the tarball and answers --help and --version through the `vigil` bin', async () => {
    const help = await vigil(['--help']);
    expect(help.stdout).toMatch(/^Usage: vigil \[options\] \[command\]/);
    expect(help.stdout).toContain('apply');
    const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
    expect((await vigil(['--version'])).stdout.trim()).toBe(root.version);
  });

  it('talks to a control plane', async () => {
    const listed = await vigil(['list', 'groups', '-o', 'json'], { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken });
    expect(JSON.parse(listed.stdout).map((group: { name: string }) => group.name)).toEqual(['default', 'default-ke']);
  });
});
