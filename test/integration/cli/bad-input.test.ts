import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalMode } from '../../support/local-mode.js';
import { useWorkFolder } from '../../support/work-folder.js';
import { runVigil, SPAWN_TIMEOUT } from './run-vigil.js';

// Every `vigil` command given bad input — a missing argument, an unknown flag, a file that is missing, a folder,
// not YAML or JSON, empty or huge, a file it cannot write, an endpoint that does not answer — says what is wrong
// in one `error:` line, exits non-zero without a stack trace, and writes nothing: no local file, and no change on
// the server (a secret is never issued for a manifest that could not be written).

const local = useLocalMode();
const work = useWorkFolder('vigil-cli-bad-');
let unreachable = '';

interface Row {
  readonly args: readonly string[];
  readonly code: 1 | 2;
  readonly says: RegExp;
  /** Sent to a closed port instead of local mode. */
  readonly unreachable?: boolean;
}

const usage = (args: string[], says: RegExp): Row => ({ args, code: 2, says });
const fails = (args: string[], says: RegExp): Row => ({ args, code: 1, says });
/** Refused before any request: sent to a closed port, whose "cannot reach" would show had it tried. */
const refusedOffline = (args: string[], says: RegExp): Row => ({ args, code: 1, says, unreachable: true });
const offline = (args: string[]): Row => ({
  args,
  code: 1,
  says: /^error: cannot reach (the webhook at )?http:\/\/127\.0\.0\.1:\d+/,
  unreachable: true,
});

const rows: readonly Row[] = [
  // The command line.
  usage(['apply'], /apply needs -f <file\|folder>/),
  usage(['diff'], /diff needs -f <file\|folder>/),
  usage(['import'], /missing required argument 'file'/),
  usage(['get'], /missing required argument 'kind'/),
  usage(['get', 'bogus'], /cannot get "bogus": the kinds are/),
  usage(['delete', 'policies'], /missing required argument 'name'/),
  usage(['clusters', 'register'], /missing required argument 'name'/),
  usage(['groups', 'rules', 'fns'], /required option '--function <name>'/),
  usage(['groups', 'set', 'default', '--patch', '{bad'], /--patch must be a JSON object/),
  usage(['simulate'], /missing required argument 'operation'/),
  usage(['readiness'], /missing required argument 'policy'/),
  usage(['list', 'policies', '--bogus'], /unknown option '--bogus'/),
  usage(['clusters', 'register', 'c1', '--bogus'], /unknown option '--bogus'/),
  usage(['bogus'], /unknown command 'bogus'/),
  // Files to read.
  fails(['apply', '-f', 'missing.yaml'], /^error: missing\.yaml: no such file or folder$/m),
  fails(['apply', '-f', 'empty-folder'], /empty-folder: the folder holds no \.yaml, \.yml or \.json files/),
  fails(['apply', '-f', 'empty.yaml'], /^error: empty\.yaml: no document in it \(an empty file\); nothing was written$/m),
  fails(['diff', '-f', 'empty.yaml'], /^error: empty\.yaml: no document in it \(an empty file\); nothing was written$/m),
  fails(['apply', '-f', 'comments.yaml'], /^error: comments\.yaml: no document in it; nothing was written$/m),
  fails(['apply', '-f', 'not-yaml.yaml'], /not-yaml\.yaml: not valid YAML/),
  fails(['apply', '-f', 'text.yaml'], /text\.yaml: expected an object/),
  fails(['apply', '-f', 'huge.yaml'], /huge\.yaml: expected an object/),
  fails(['import', 'missing.yaml'], /^error: missing\.yaml: cannot read it: no such file$/m),
  fails(['import', 'empty-folder'], /^error: empty-folder: cannot read it: it is a folder$/m),
  fails(['import', 'empty.yaml'], /empty\.yaml: import reads one document \(this file has 0\)/),
  fails(['import', 'bad.json'], /bad\.json: not valid JSON/),
  fails(['import', 'huge.yaml'], /huge\.yaml: expected an object/),
  // Larger than 32 parts of 5 MiB: refused by its size, not read (its zeros are no JSON).
  refusedOffline(
    ['import', 'over-limit.json'],
    /^error: over-limit\.json is 161\.0 MiB: the API imports at most 160\.0 MiB \(32 parts of 5\.0 MiB\)\. Nothing was written\.$/m,
  ),
  // Below that size, but 33 items of over 2 MiB: each goes in a part of its own, one part more than an import has.
  refusedOffline(
    ['import', 'many-parts.json'],
    /^error: many-parts\.json is \d+\.\d MiB and needs 33 parts of whole items \(up to 4\.0 MiB each\): the API imports at most 32 parts\. Nothing was written\.$/m,
  ),
  fails(['--ca', 'missing.pem', 'list', 'policies'], /^error: --ca \S*missing\.pem: cannot read it: no such file$/m),
  fails(['--ca', 'empty-folder', 'list', 'policies'], /^error: --ca \S*empty-folder: cannot read it: it is a folder$/m),
  fails(['--ca', 'empty.yaml', 'list', 'policies'], /not a PEM certificate/),
  fails(['simulate', 'exec', '--manifest-file', 'missing.yaml'], /^error: missing\.yaml: cannot read it: no such file$/m),
  fails(['simulate', 'exec', '--manifest-file', 'empty-folder'], /^error: empty-folder: cannot read it: it is a folder$/m),
  fails(['simulate', 'exec', '--manifest-file', 'empty.yaml'], /empty\.yaml: no webhook url in it/),
  // Files to write: refused before anything is issued.
  fails(
    ['clusters', 'register', 'c-folder', '--manifest-file', 'empty-folder'],
    /^error: empty-folder is a folder: name a file\. Nothing was issued\.$/m,
  ),
  fails(
    ['clusters', 'register', 'c-nowhere', '--manifest-file', 'nowhere/c.yaml'],
    /^error: nowhere\/c\.yaml: the folder \S*nowhere does not exist\. Nothing was issued\.$/m,
  ),
  fails(
    ['clusters', 'register', 'c-agent', '--node-agent', '--node-agent-file', 'empty-folder'],
    /empty-folder is a folder: name a file\. Nothing was issued\./,
  ),
  fails(
    ['clusters', 'register', 'c-values', '--node-agent', '--tetragon-values-file', 'nowhere/v.yaml'],
    /the folder \S*nowhere does not exist\. Nothing was issued\./,
  ),
  fails(
    ['clusters', 'rotate-secret', 'prod', '--manifest-file', 'empty-folder'],
    /empty-folder is a folder: name a file\. Nothing was issued\./,
  ),
  fails(
    ['clusters', 'rotate-node-agent-token', 'prod', '--file', 'nowhere/t.yaml'],
    /the folder \S*nowhere does not exist\. Nothing was issued\./,
  ),
  fails(
    ['groups', 'reissue', 'default-ke', '--manifest-dir', 'empty.yaml'],
    /^error: empty\.yaml is not a folder\. Nothing was issued\.$/m,
  ),
  fails(['groups', 'reissue', 'default-ke', '--manifest-dir', 'nowhere'], /^error: nowhere: no such folder\. Nothing was issued\.$/m),
  fails(['export', '--file', 'empty-folder'], /^error: empty-folder is a folder: name a file\. Nothing was written\.$/m),
  // An endpoint that does not answer.
  offline(['apply', '-f', 'policy.yaml']),
  offline(['diff', '-f', 'policy.yaml']),
  offline(['export']),
  offline(['import', 'policy.yaml']),
  offline(['get', 'policies', 'p1']),
  offline(['list', 'enforcers']),
  offline(['delete', 'policies', 'p1']),
  offline(['templates']),
  offline(['controls']),
  offline(['clusters', 'register', 'c-offline', '--manifest-file', 'offline.webhook.yaml']),
  offline(['clusters', 'rotate-secret', 'prod', '--manifest-file', 'offline.webhook.yaml']),
  offline(['clusters', 'rotate-node-agent-token', 'prod', '--file', 'offline-agent.yaml']),
  offline(['clusters', 'node-policies', 'prod']),
  offline(['groups', 'reissue', 'default-ke', '--manifest-dir', 'empty-folder']),
  offline(['groups', 'rules', 'fns', '--function', 'f']),
  offline(['groups', 'rotate-token', 'fns']),
  offline(['groups', 'set', 'default', '--enforce']),
  offline(['policies', 'set', 'p1', '--description', 'x']),
  offline(['scopes', 'set', 's1', '--description', 'x']),
  offline(['settings', 'set', '--audit-retention-days', '30']),
  offline(['simulate', 'exec', '--webhook-url', 'UNREACHABLE/v1/admission/prod/secret']),
  offline(['readiness', 'p1']),
  offline(['audit', 'list']),
  offline(['audit', 'get', 'e1']),
  offline(['audit', 'tail']),
];

/** What the server holds: a failed command must leave all of it as it was. */
async function serverState() {
  const [health, clusters, activity, exported] = await Promise.all([
    local.api('GET', '/v1/health'),
    local.api('GET', '/v1/clusters'),
    local.api('GET', '/v1/activity?limit=500'),
    local.api('GET', '/v1/export'),
  ]);
  return { revision: health.body.revision, clusters: clusters.body.items, activity: activity.body.items, exported: exported.body };
}

const listing = async () => (await readdir(work.path(), { recursive: true })).sort();

let before: Awaited<ReturnType<typeof serverState>>;
let filesBefore: string[];

beforeAll(async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  unreachable = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  expect((await local.api('POST', '/v1/clusters', { name: 'prod', nodeAgent: true })).status).toBe(201);
  expect((await local.api('POST', '/v1/enforcer-groups', { name: 'fns', type: 'nano_enforcer' })).status).toBe(201);
  await mkdir(work.path('empty-folder'));
  await writeFile(work.path('empty.yaml'), '');
  await writeFile(work.path('comments.yaml'), '# nothing yet\n---\n# still nothing\n');
  await writeFile(work.path('not-yaml.yaml'), 'policies: [unclosed\n  - x: {\n');
  await writeFile(work.path('text.yaml'), 'just some words\n');
  await writeFile(work.path('bad.json'), '{"name": ');
  // Over the 5 MiB of one import request, as one YAML scalar: huge, and no document Vigil knows.
  await writeFile(work.path('huge.yaml'), `${'x'.repeat(6 * 1024 * 1024)}\n`);
  await writeFile(work.path('policy.yaml'), 'name: p1\ntype: container\n');
  // A sparse file: its size costs no disk.
  const overLimit = await open(work.path('over-limit.json'), 'w');
  await overLimit.truncate(161 * 1024 * 1024);
  await overLimit.close();
  // The commercial product's policies as a bare list, each carrying a description of 2.1 MiB.
  const description = 'd'.repeat(2.1 * 1024 * 1024);
  await writeFile(
    work.path('many-parts.json'),
    JSON.stringify(
      Array.from({ length: 33 }, (_, i) => ({ name: `large-${i}`, runtime_type: 'container', block_container_exec: true, description })),
    ),
  );
  before = await serverState();
  filesBefore = await listing();
}, 60_000);

describe('vigil with bad input', { timeout: SPAWN_TIMEOUT }, () => {
  it.concurrent.each(rows.map((row) => [row.args.join(' '), row] as const))('vigil %s', async (_name, row) => {
    const args = row.args.map((arg) => arg.replace('UNREACHABLE', unreachable));
    const result = await runVigil(args, {
      cwd: work.path(),
      env: { VIGIL_ENDPOINT: row.unreachable ? unreachable : local.url, VIGIL_TOKEN: local.adminToken },
    });
    expect(result.code, result.stderr).toBe(row.code);
    expect(result.stderr.split('\n')[0]).toMatch(/^error: /);
    expect(result.stderr).toMatch(row.says);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('node:internal');
    expect(await listing()).toEqual(filesBefore);
    expect(await serverState()).toEqual(before);
  });
});
