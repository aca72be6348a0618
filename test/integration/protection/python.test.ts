import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPythonInterpreters } from '../../../layers/protection/python-interpreters.js';
import { ADMIN_TOKEN } from '../../support/api.js';
import { SPAWN_TIMEOUT, vigilFor } from '../cli/run-vigil.js';
import { useEnforcerApi } from '../enforcer/harness.js';
import { buildLayer, closedPort } from './harness.js';
import { HeldRulesDouble, pythonFixtures, runPythonFunction } from './python-harness.js';

// Python functions through the real vigil-wrapper, the real interpreter and the real native guard, with a
// test double of the Lambda Runtime API, against the enforcer API on DynamoDB Local (issue 18).
describe('Python functions protected through vigil-wrapper', () => {
  const api = useEnforcerApi();
  let layerDir: string;

  beforeAll(async () => {
    layerDir = await buildLayer();
  }, 120_000);

  async function group(name: string, enforce: boolean): Promise<string> {
    return api.createGroup(name, 'nano_enforcer', { enforce });
  }

  async function policy(name: string, groupName: string, enforcementMode: 'audit' | 'enforce', controls: Record<string, unknown>) {
    const response = await api.call('POST', '/v1/policies', {
      body: {
        name,
        type: 'function',
        enforcementMode,
        scope: { expression: 'v1', variables: [{ attribute: 'enforcer.group', value: groupName }] },
        controls,
      },
    });
    expect(response.status).toBe(201);
  }

  async function eventsOf(policyName: string): Promise<any[]> {
    const page = await api.call('GET', `/v1/audit-events?policy=${policyName}&limit=100`);
    expect(page.status).toBe(200);
    return page.body.items;
  }

  function run(
    token: string,
    events: unknown[],
    extra: { env?: Record<string, string>; guard?: boolean; gate?: (index: number) => Promise<void> } = {},
  ) {
    return runPythonFunction({
      layerDir,
      events,
      guard: extra.guard,
      gate: extra.gate,
      env: { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN: token, ...extra.env },
    });
  }

  it('leaves results unchanged when nothing is refused, and answers the Runtime API as the runtime does', async () => {
    const token = await group('py-plain', true);
    await policy('py-plain-policy', 'py-plain', 'enforce', { blockedExecutables: { enabled: true, executables: ['nothing-here'] } });
    const result = await run(token, [{ do: 'echo', value: { a: [1, 'two'] } }, { do: 'run', args: ['true'] }, { do: 'fail' }]);
    expect(result.initErrors).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.invocations.map((i) => [i.requestId, i.kind])).toEqual([
      ['req-0', 'response'],
      ['req-1', 'response'],
      ['req-2', 'error'],
    ]);
    expect(result.results[0]).toEqual({ echo: { a: [1, 'two'] }, function: 'orders-py' });
    expect(result.results[1]).toEqual({ ok: true, value: 0 });
    expect(result.results[2]).toMatchObject({ errorType: 'ValueError', errorMessage: 'the function failed on purpose' });
    expect(result.invocations[2]!.headers['lambda-runtime-function-error-type']).toBe('Unhandled');
    // Registered with the function's facts, and connected.
    const enforcers = await api.call('GET', '/v1/enforcers?group=py-plain');
    expect(enforcers.body.items).toEqual([
      expect.objectContaining({
        name: 'orders-py',
        status: 'connected',
        metadata: { functionName: 'orders-py', runtime: 'python3.11', region: 'eu-west-1' },
      }),
    ]);
    expect(await eventsOf('py-plain-policy')).toEqual([]);
  }, 60_000);

  it('refuses blocked executables in enforce mode through subprocess, a shell, os.system and a descendant shell, each reported once at invocation end', async () => {
    const token = await group('py-enforce', true);
    await policy('py-enforce-policy', 'py-enforce', 'enforce', {
      blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'whoami'] },
    });
    // Before each next invocation, the events of the ones before it are stored: flushed at invocation end
    // (the background flush interval is a minute here, and the process has not ended).
    const expected = [1, 2, 3, 4, 5, 5];
    const gate = async (index: number) => {
      await expect.poll(async () => (await eventsOf('py-enforce-policy')).length, { timeout: 20_000 }).toBe(expected[index - 1]);
    };
    const result = await run(
      token,
      [
        { do: 'run', args: ['id', '-u'] },
        { do: 'run', args: 'id -u', shell: true },
        { do: 'system', command: 'sh -c "whoami"' },
        { do: 'run', args: ['bash', '-c', 'sh -c "id -u"'] },
        { do: 'exec-in-child', path: '/usr/bin/id' },
        { do: 'run', args: ['true'] },
      ],
      { gate },
    );
    expect(result.code).toBe(0);
    const [direct, shell, system, descendant, exec, allowed] = result.results;
    expect(direct).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
    expect(direct.message).toContain('blocked by policy "py-enforce-policy" (Executables Blocked): "/usr/bin/id" is a blocked executable');
    expect(shell).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
    // Below a shell the native guard refuses: the shell reports "Permission denied" and exits 126.
    expect(system).toEqual({ ok: true, value: 126 });
    expect(descendant).toEqual({ ok: true, value: 126 });
    expect(exec).toEqual({ ok: true, value: 126 });
    expect(allowed).toEqual({ ok: true, value: 0 });
    const events = await eventsOf('py-enforce-policy');
    expect(events.map((e) => [e.status, e.control, e.message]).sort()).toEqual(
      [
        ['Block', 'blockedExecutables', '"/usr/bin/id" is a blocked executable'],
        ['Block', 'blockedExecutables', '"/usr/bin/id" is a blocked executable'],
        ['Block', 'blockedExecutables', '"/usr/bin/id" is a blocked executable'],
        ['Block', 'blockedExecutables', '"/usr/bin/id" is a blocked executable'],
        ['Block', 'blockedExecutables', '"/usr/bin/whoami" is a blocked executable'],
      ].sort(),
    );
    expect(events[0]).toMatchObject({
      policyType: 'function',
      action: 'process',
      enforcementMode: 'enforce',
      workload: expect.objectContaining({ function: 'orders-py' }),
      enforcer: expect.objectContaining({ group: 'py-enforce', type: 'nano_enforcer' }),
    });
  }, 60_000);

  it('lets programs run in audit mode and in an audit-only group, reporting Detect once', async () => {
    const auditToken = await group('py-audit', true);
    await policy('py-audit-policy', 'py-audit', 'audit', { blockedExecutables: { enabled: true, executables: ['id'] } });
    const onlyToken = await group('py-audit-only', false);
    await policy('py-audit-only-policy', 'py-audit-only', 'enforce', { blockedExecutables: { enabled: true, executables: ['id'] } });
    for (const [token, name] of [
      [auditToken, 'py-audit-policy'],
      [onlyToken, 'py-audit-only-policy'],
    ] as const) {
      const result = await run(token, [
        { do: 'run', args: ['id', '-u'] },
        { do: 'system', command: 'id -u >/dev/null' },
      ]);
      expect(result.results).toEqual([
        { ok: true, value: 0 },
        { ok: true, value: 0 },
      ]);
      const events = await eventsOf(name);
      expect(events.map((e) => [e.status, e.message])).toEqual([
        ['Detect', '"/usr/bin/id" is a blocked executable'],
        ['Detect', '"/usr/bin/id" is a blocked executable'],
      ]);
    }
  }, 90_000);

  it('protects a handler decorated with @protect without the wrapper, and the same under it (the wrapper calls a decorated handler as it is)', async () => {
    const token = await group('py-decorated', true);
    await policy('py-decorated-policy', 'py-decorated', 'enforce', { blockedExecutables: { enabled: true, executables: ['id'] } });
    const events = [{ args: ['id'] }, { args: ['true'] }];
    const env = { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN: token };
    // Without vigil-wrapper: the runtime loads the function's own module, which imports the layer's package.
    const explicit = await runPythonFunction({
      layerDir,
      events,
      wrapper: false,
      guard: false,
      handler: 'decorated.handler',
      env: { ...env, PYTHONPATH: join(layerDir, '..', 'python') },
    });
    expect(explicit.results).toEqual([
      { ok: false, errno: 13 },
      { ok: true, value: 0 },
    ]);
    const wrapped = await runPythonFunction({ layerDir, events, handler: 'decorated.handler', env });
    expect(wrapped.results).toEqual(explicit.results);
    const stored = await eventsOf('py-decorated-policy');
    expect(stored.map((e) => [e.status, e.message])).toEqual([
      ['Block', '"/usr/bin/id" is a blocked executable'],
      ['Block', '"/usr/bin/id" is a blocked executable'],
    ]);
  }, 60_000);

  it('refuses drift and what block-all does not allow', async () => {
    const token = await group('py-drift', true);
    await policy('py-drift-policy', 'py-drift', 'enforce', {
      driftPrevention: { enabled: true, allowedExecutables: [] },
      blockAllProcesses: { enabled: true, allowedExecutables: ['/usr/bin/true', '/bin/true', '/tmp/*/copied-true'] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-drift-'));
    const copied = join(dir, 'copied-true');
    writeFileSync(copied, readFileSync('/bin/true'), { mode: 0o755 });
    const result = await run(token, [
      { do: 'run', args: [copied] },
      { do: 'run', args: ['true'] },
      { do: 'run', args: ['ls'] },
    ]);
    const [drift, allowed, blockAll] = result.results;
    expect(drift).toMatchObject({ ok: false, errno: 13 });
    expect(drift.message).toContain('is located under /tmp (drift)');
    expect(allowed).toEqual({ ok: true, value: 0 });
    expect(blockAll).toMatchObject({ ok: false, errno: 13 });
    expect(blockAll.message).toContain('is not allowed');
    const events = await eventsOf('py-drift-policy');
    expect(events.map((e) => e.control).sort()).toEqual(['blockAllProcesses', 'driftPrevention']);
  }, 60_000);

  it('refuses outbound connections networkEgress does not allow before DNS, and allows the rest', async () => {
    const token = await group('py-egress', true);
    await policy('py-egress-policy', 'py-egress', 'enforce', { networkEgress: { enabled: true, allowedHosts: ['127.0.0.1'] } });
    const port = await closedPort();
    const result = await run(token, [
      { do: 'connect', host: 'never-resolved.invalid', port: 443 },
      { do: 'connect', host: '127.0.0.1', port },
    ]);
    const [refused, allowed] = result.results;
    // A DNS lookup of .invalid would fail with gaierror: PermissionError shows nothing was looked up.
    expect(refused).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
    expect(allowed).toMatchObject({ ok: false, error: 'ConnectionRefusedError' });
    const events = await eventsOf('py-egress-policy');
    expect(events.map((e) => [e.status, e.action, e.message])).toEqual([
      ['Block', 'network', 'outbound connection to "never-resolved.invalid" is not allowed'],
    ]);
  }, 60_000);

  it('lets drift, block-all and networkEgress violations through in audit mode and in an audit-only group, reporting Detect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
    const copied = join(dir, 'copied-true');
    writeFileSync(copied, readFileSync('/bin/true'), { mode: 0o755 });
    const port = await closedPort();
    const controls = {
      driftPrevention: { enabled: true, allowedExecutables: [] },
      blockAllProcesses: { enabled: true, allowedExecutables: ['/usr/bin/true', '/bin/true', copied] },
      networkEgress: { enabled: true, allowedHosts: ['localhost'] },
    };
    const cases = [
      { groupName: 'py-audit-all', enforce: true, mode: 'audit' as const },
      { groupName: 'py-audit-only-all', enforce: false, mode: 'enforce' as const },
    ];
    for (const { groupName, enforce, mode } of cases) {
      const token = await group(groupName, enforce);
      const policyName = `${groupName}-policy`;
      await policy(policyName, groupName, mode, controls);
      const result = await run(token, [
        { do: 'run', args: [copied] },
        { do: 'run', args: ['ls', '/'] },
        { do: 'connect', host: '127.0.0.1', port },
      ]);
      // Nothing refused: the program ran, and the connection reached the closed port.
      expect(result.results[0]).toEqual({ ok: true, value: 0 });
      expect(result.results[1]).toEqual({ ok: true, value: 0 });
      expect(result.results[2]).toMatchObject({ ok: false, error: 'ConnectionRefusedError' });
      const events = await eventsOf(policyName);
      expect(events.map((e) => [e.status, e.control]).sort()).toEqual([
        ['Detect', 'blockAllProcesses'],
        ['Detect', 'driftPrevention'],
        ['Detect', 'networkEgress'],
      ]);
    }
  }, 90_000);

  it('plants honeypot credentials in the environment and a file and reports their reads', async () => {
    const token = await group('py-honeypot', true);
    await policy('py-honeypot-policy', 'py-honeypot', 'audit', {
      honeypot: {
        enabled: true,
        accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
        secretAccessKey: 'honeypot-secret-0123456789',
        applyOn: ['environment', 'file'],
      },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-honeypot-')), '.aws', 'credentials');
    const result = await runPythonFunction({
      layerDir,
      events: [
        { do: 'read-env', name: 'AWS_BACKUP_ACCESS_KEY_ID' },
        { do: 'read-file', path: file },
        { do: 'read-env', name: 'AWS_BACKUP_ACCESS_KEY_ID' },
      ],
      env: { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN: token, VIGIL_HONEYPOT_FILE: file },
    });
    expect(result.results).toEqual([
      { value: 'AKIAABCDEFGHIJKLMNOP' },
      { ok: true, value: '[backup-admin]\naws_a' },
      { value: 'AKIAABCDEFGHIJKLMNOP' },
    ]);
    // Reads of one honeypot are reported at most once a minute.
    const events = await eventsOf('py-honeypot-policy');
    expect(events.map((e) => [e.status, e.action, e.message]).sort()).toEqual([
      ['Detect', 'honeypot', 'honeypot credentials were read from the environment (AWS_BACKUP_ACCESS_KEY_ID)'],
      ['Detect', 'honeypot', `honeypot credentials were read from the file (${file})`],
    ]);
  }, 60_000);

  it("ships unchecked-hash bytecode for every published Python version found here, used whatever the sources' timestamps", () => {
    const packageDir = join(layerDir, '..', 'python', 'vigil');
    const modules = readdirSync(packageDir)
      .filter((name) => name.endsWith('.py'))
      .map((name) => name.slice(0, -3));
    expect(modules).toEqual(expect.arrayContaining(['bootstrap', 'protection', 'rules', 'hooks', 'guard', 'client', '__init__']));
    const interpreters = findPythonInterpreters();
    // At least the machine's python3 (3.11); 3.12 and 3.13 where installed (test/unit/protection/python-rules.test.ts requires them).
    expect(interpreters.map((i) => i.version)).toContain('3.11');
    // A deployment may give every file a new mtime: the bytecode must still be used.
    const future = new Date('2031-01-01T00:00:00Z');
    for (const name of modules) utimesSync(join(packageDir, `${name}.py`), future, future);
    for (const { executable, cacheTag } of interpreters) {
      const magic = spawnSync(executable, ['-c', 'import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())'], {
        encoding: 'utf8',
      }).stdout;
      for (const name of modules) {
        const header = readFileSync(join(packageDir, '__pycache__', `${name}.${cacheTag}.pyc`)).subarray(0, 8);
        expect(header.subarray(0, 4).toString('hex')).toBe(magic);
        // PEP 552 flags: 0b01 = hash-based, source not checked.
        expect(header.readUInt32LE(4)).toBe(1);
      }
      // Imported as Lambda's runtime imports it (vigil.bootstrap loads the rest): every module from its bytecode.
      const run = spawnSync(executable, ['-v', '-c', 'import vigil.bootstrap'], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          PYTHONPATH: join(layerDir, '..', 'python'),
          PYTHONDONTWRITEBYTECODE: '1',
          VIGIL_ORIGINAL_HANDLER: 'app.handler',
          LAMBDA_TASK_ROOT: pythonFixtures,
          VIGIL_NATIVE_GUARD: 'off',
        },
      });
      expect(run.status).toBe(0);
      for (const name of modules)
        expect(run.stderr).toContain(`code object from '${join(packageDir, '__pycache__', `${name}.${cacheTag}.pyc`)}'`);
    }
  }, 60_000);

  // The same layer on the other published runtimes, with real CPython 3.12 and 3.13 (and the bytecode the
  // build compiled for each): controls in enforce mode, through the audit hooks and the native guard, reported
  // with the runtime's facts, and an embedded table with the control plane unreachable.
  const newer = findPythonInterpreters().filter((i) => i.version !== '3.11');
  it('finds python3.12 and python3.13 to run the function under', () => {
    expect(newer.map((i) => i.version)).toEqual(['3.12', '3.13']);
  });
  it.each(newer.map((i) => [i.version, i] as const))(
    'protects a python%s function the same way',
    async (_version, interpreter) => {
      const name = `py-${interpreter.version.replace('.', '')}`;
      const token = await group(name, true);
      await policy(`${name}-policy`, name, 'enforce', {
        blockedExecutables: { enabled: true, executables: ['id'] },
        networkEgress: { enabled: true, allowedHosts: ['127.0.0.1'] },
      });
      const events = [
        { do: 'echo', value: 'x' },
        { do: 'run', args: ['id'] },
        { do: 'system', command: 'sh -c "id -u"' },
        { do: 'connect', host: 'never-resolved.invalid', port: 443 },
        { do: 'read-env', name: 'NODE_OPTIONS' },
        { do: 'fail' },
      ];
      const result = await runPythonFunction({ layerDir, events, interpreter, env: { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN: token } });
      expect(result.initErrors).toEqual([]);
      expect(result.code).toBe(0);
      const [echo, direct, descendant, refused, nodeOptions, failed] = result.results;
      expect(echo).toEqual({ echo: 'x', function: 'orders-py' });
      expect(direct).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
      expect(direct.message).toContain(`blocked by policy "${name}-policy" (Executables Blocked): "/usr/bin/id" is a blocked executable`);
      expect(descendant).toEqual({ ok: true, value: 126 });
      expect(refused).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
      expect(nodeOptions).toEqual({ value: null });
      expect(failed).toMatchObject({ errorType: 'ValueError', errorMessage: 'the function failed on purpose' });
      const stored = await eventsOf(`${name}-policy`);
      expect(stored.map((e) => [e.status, e.message]).sort()).toEqual(
        [
          ['Block', '"/usr/bin/id" is a blocked executable'],
          ['Block', '"/usr/bin/id" is a blocked executable'],
          ['Block', 'outbound connection to "never-resolved.invalid" is not allowed'],
        ].sort(),
      );
      const enforcers = await api.call('GET', `/v1/enforcers?group=${name}`);
      expect(enforcers.body.items).toEqual([
        expect.objectContaining({ metadata: { functionName: 'orders-py', runtime: `python${interpreter.version}`, region: 'eu-west-1' } }),
      ]);

      const file = join(mkdtempSync(join(tmpdir(), 'vigil-rules-')), 'rules.json');
      const enforcerId = await api.register(token, 'orders-py', 'nano_enforcer');
      const table = await api.call('GET', `/v1/enforcers/rules?function=orders-py&runtime=python${interpreter.version}&region=eu-west-1`, {
        token,
        enforcerId,
      });
      writeFileSync(file, JSON.stringify(table.body));
      const embedded = await runPythonFunction({
        layerDir,
        interpreter,
        events: [
          { do: 'run', args: ['id'] },
          { do: 'run', args: ['true'] },
        ],
        env: { VIGIL_ENDPOINT: `http://127.0.0.1:${await closedPort()}`, VIGIL_TOKEN: token, VIGIL_FAIL_MODE: 'closed', VIGIL_RULES: file },
      });
      expect(embedded.results[0]).toMatchObject({ ok: false, errno: 13 });
      expect(embedded.results[0].message).toContain('"/usr/bin/id" is a blocked executable');
      expect(embedded.results[1]).toEqual({ ok: true, value: 0 });
    },
    90_000,
  );

  it('leaves NODE_OPTIONS as the function set it: a Node.js program the function starts gets no Vigil preload', async () => {
    const events = [
      { do: 'read-env', name: 'NODE_OPTIONS' },
      { do: 'output', args: [process.execPath, '-p', 'process.env.NODE_OPTIONS ?? "(unset)"'] },
    ];
    const plain = await runPythonFunction({ layerDir, events, env: {} });
    expect(plain.results).toEqual([{ value: null }, { ok: true, value: '(unset)\n' }]);
    const own = await runPythonFunction({ layerDir, events, env: { NODE_OPTIONS: '--max-old-space-size=256' } });
    expect(own.results).toEqual([{ value: '--max-old-space-size=256' }, { ok: true, value: '--max-old-space-size=256\n' }]);
  }, 60_000);

  it('follows the fail mode while the control plane is unreachable', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const events = [
      { do: 'run', args: ['true'] },
      { do: 'connect', host: 'example.invalid', port: 443 },
      { do: 'echo', value: 1 },
    ];
    const closed = await runPythonFunction({
      layerDir,
      events,
      env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 't', VIGIL_FAIL_MODE: 'closed' },
    });
    expect(closed.results[0]).toMatchObject({ ok: false, errno: 13 });
    expect(closed.results[1]).toMatchObject({ ok: false, error: 'PermissionError' });
    expect(closed.results[2]).toEqual({ echo: 1, function: 'orders-py' });
    expect(closed.stderr).toContain('the first rule table fetch failed');
    const open = await runPythonFunction({ layerDir, events, env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 't' } });
    expect(open.results[0]).toEqual({ ok: true, value: 0 });
    expect(open.results[1]).toMatchObject({ ok: false, error: 'gaierror' });
  }, 60_000);

  /** The rule table the enforcer API serves for the test function's facts (what `vigil groups rules` saves for VIGIL_RULES). */
  async function servedTable(token: string): Promise<Record<string, unknown>> {
    const enforcerId = await api.register(token, 'orders-py', 'nano_enforcer');
    const answer = await api.call('GET', '/v1/enforcers/rules?function=orders-py&runtime=python3.11&region=eu-west-1', {
      token,
      enforcerId,
    });
    expect(answer.status).toBe(200);
    return answer.body as Record<string, unknown>;
  }

  it(
    'enforces the rule table `vigil groups rules` saved (VIGIL_RULES, a file) from the first invocation while the control plane is unreachable, the native guard too',
    async () => {
      const token = await group('py-embedded', true);
      await policy('py-embedded-policy', 'py-embedded', 'enforce', { blockedExecutables: { enabled: true, executables: ['id'] } });
      const vigil = vigilFor({ url: api.url, adminToken: ADMIN_TOKEN });
      const saved = await vigil.run([
        'groups',
        'rules',
        'py-embedded',
        '--function',
        'orders-py',
        '--runtime',
        'python3.11',
        '--region',
        'eu-west-1',
      ]);
      expect(saved.code, saved.stderr).toBe(0);
      const table = JSON.parse(saved.stdout) as Record<string, unknown>;
      // Exactly what the function would be served for the same facts: one decision source.
      expect(table).toEqual(await servedTable(token));
      expect(table.rules).toHaveLength(1);
      expect(saved.stderr).toContain('Rule table of revision');
      const file = join(mkdtempSync(join(tmpdir(), 'vigil-rules-')), 'rules.json');
      writeFileSync(file, saved.stdout);
      const result = await runPythonFunction({
        layerDir,
        events: [
          { do: 'run', args: ['id'] },
          { do: 'run', args: ['true'] },
          { do: 'system', command: 'sh -c "id -u"' },
        ],
        env: { VIGIL_ENDPOINT: `http://127.0.0.1:${await closedPort()}`, VIGIL_TOKEN: token, VIGIL_FAIL_MODE: 'closed', VIGIL_RULES: file },
      });
      const [refused, allowed, descendant] = result.results;
      // The embedded table decides, not the closed fail mode: only the blocked program is refused.
      expect(refused).toMatchObject({ ok: false, error: 'PermissionError', errno: 13 });
      expect(refused.message).toContain(
        'blocked by policy "py-embedded-policy" (Executables Blocked): "/usr/bin/id" is a blocked executable',
      );
      expect(allowed).toEqual({ ok: true, value: 0 });
      // Below a shell, the native guard refuses it from the same table.
      expect(descendant).toEqual({ ok: true, value: 126 });
      expect(result.stderr).toContain(`the first rule table fetch failed`);
      expect(result.stderr).toContain(`(keeping revision ${String(table.revision)})`);
      expect(result.stderr).not.toContain('VIGIL_RULES');
    },
    SPAWN_TIMEOUT,
  );

  it('answers the rule table of a function to an administrator only for a nano_enforcer group and well-formed facts', async () => {
    await group('py-rules-admin', false);
    const withTags = await api.call('GET', '/v1/enforcer-groups/py-rules-admin/rules?function=f&tags=team%3Dpay,tier%3D1');
    expect(withTags.status).toBe(200);
    expect(withTags.body).toMatchObject({ format: 'vigil-function-rules 1', group: { name: 'py-rules-admin', enforce: false }, rules: [] });
    expect((await api.call('GET', '/v1/enforcer-groups/py-rules-admin/rules?function=f', { token: 'not-the-admin-token' })).status).toBe(
      401,
    );
    const unknown = await api.call('GET', '/v1/enforcer-groups/nope/rules?function=f');
    expect(unknown.status).toBe(404);
    const wrongType = await api.call('GET', '/v1/enforcer-groups/default/rules?function=f');
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details).toEqual([{ path: 'name', message: expect.stringContaining('is of type agent') }]);
    const missing = await api.call('GET', '/v1/enforcer-groups/py-rules-admin/rules');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: 'function', message: expect.stringContaining('required') }]);
    const badTags = await api.call('GET', '/v1/enforcer-groups/py-rules-admin/rules?function=f&tags=no-equals');
    expect(badTags.body.error.details).toEqual([{ path: 'tags', message: expect.stringContaining('is not key=value') }]);
  });

  it('does not wait for the first served table when one is embedded (inline JSON), and replaces it by the served one', async () => {
    const token = await group('py-embedded-inline', true);
    await policy('py-embedded-inline-policy', 'py-embedded-inline', 'enforce', {
      blockedExecutables: { enabled: true, executables: ['id'] },
    });
    const embedded = await servedTable(token);
    const served = { ...embedded, revision: (embedded.revision as number) + 1, rules: [] };
    const controlPlane = new HeldRulesDouble(served);
    const endpoint = await controlPlane.listen();
    try {
      const result = await runPythonFunction({
        layerDir,
        events: [
          { do: 'run', args: ['id'] },
          { do: 'run', args: ['id'] },
        ],
        // The rule table request is answered only once the first invocation has ended: had the function
        // waited for it, the request would have timed out first (and the fetch failure been logged).
        gate: async () => {
          controlPlane.release();
          await expect.poll(() => controlPlane.requests.map((r) => r.route), { timeout: 20_000 }).toContain('POST /v1/enforcers/heartbeat');
        },
        env: {
          VIGIL_ENDPOINT: endpoint,
          VIGIL_TOKEN: 'group-token',
          VIGIL_AWS_ACCOUNT: '123456789012',
          VIGIL_FAIL_MODE: 'closed',
          VIGIL_RULES: JSON.stringify(embedded),
        },
      });
      expect(result.results[0]).toMatchObject({ ok: false, errno: 13 });
      expect(result.results[0].message).toContain('"/usr/bin/id" is a blocked executable');
      // The served table (no rules) replaced the embedded one.
      expect(result.results[1]).toEqual({ ok: true, value: 0 });
      expect(result.stderr).not.toContain('fetch failed');
      expect(controlPlane.requests.slice(0, 3)).toEqual([
        { route: 'POST /v1/enforcers/register', authorization: 'Bearer group-token', enforcerId: undefined },
        {
          route: 'GET /v1/enforcers/rules?function=orders-py&runtime=python3.11&region=eu-west-1&account=123456789012',
          authorization: 'Bearer group-token',
          enforcerId: 'enf-held',
        },
        { route: 'POST /v1/enforcers/heartbeat', authorization: 'Bearer group-token', enforcerId: 'enf-held' },
      ]);
    } finally {
      await controlPlane.close();
    }
  }, 60_000);

  it('refuses a bad embedded table as a whole, says why without its values, and follows the fail mode', async () => {
    const rule = {
      action: 'process',
      control: 'blockedExecutables',
      controlName: 'Executables Blocked',
      status: 'Block',
      policy: { name: 'p', version: 1 },
    };
    const badTable = {
      format: 'vigil-function-rules 1',
      revision: 7,
      group: { name: 'g' },
      rules: [
        { ...rule, id: 0, patterns: ['id'] },
        {
          ...rule,
          id: 1,
          action: 'honeypot',
          control: 'honeypot',
          accessKeyId: 'AKIADECOYDECOYDECOY0',
          applyOn: ['environment', 'file', 'AKIADECOYDECOYDECOY0'],
        },
      ],
    };
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const events = [
      { do: 'run', args: ['id'] },
      { do: 'run', args: ['true'] },
    ];
    // Fail mode open: the valid first rule was not applied on its own (id runs).
    const open = await runPythonFunction({
      layerDir,
      events,
      env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 't', VIGIL_RULES: JSON.stringify(badTable) },
    });
    expect(open.results).toEqual([
      { ok: true, value: 0 },
      { ok: true, value: 0 },
    ]);
    expect(open.stderr).toContain(
      'VIGIL_RULES is not used: rules[1].applyOn must be a list of at most 2 texts; the fail mode open applies until the first rule table arrives',
    );
    expect(open.stderr).not.toContain('AKIADECOY');
    // Fail mode closed, a file that is not JSON: everything is refused, as with no table.
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-rules-')), 'rules.json');
    writeFileSync(file, JSON.stringify(badTable).slice(0, 200));
    const closed = await runPythonFunction({
      layerDir,
      events,
      env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 't', VIGIL_FAIL_MODE: 'closed', VIGIL_RULES: file },
    });
    expect(closed.results[0]).toMatchObject({ ok: false, errno: 13 });
    expect(closed.results[1]).toMatchObject({ ok: false, errno: 13 });
    expect(closed.stderr).toMatch(
      /VIGIL_RULES is not used: it is not JSON \(JSONDecodeError at line 1, column \d+\); the fail mode closed applies/,
    );
    expect(closed.stderr).not.toContain('AKIADECOY');
    const missing = await runPythonFunction({ layerDir, events: [], env: { VIGIL_RULES: join(file, 'nope') } });
    expect(missing.stderr).toContain(`VIGIL_RULES is not used: the file ${join(file, 'nope')} could not be read (Not a directory)`);
  }, 60_000);

  it('with a wrong token follows the fail mode; a token kept in SSM is read again after a 401', async () => {
    const token = await group('py-token', true);
    await policy('py-token-policy', 'py-token', 'enforce', { blockedExecutables: { enabled: true, executables: ['id'] } });
    const wrong = await runPythonFunction({
      layerDir,
      events: [{ do: 'run', args: ['true'] }],
      env: { VIGIL_ENDPOINT: api.url, VIGIL_TOKEN: 'not-the-token', VIGIL_FAIL_MODE: 'closed' },
    });
    expect(wrong.results[0]).toMatchObject({ ok: false, errno: 13 });
    expect(wrong.stderr).toMatch(/rule table fetch failed: POST \/v1\/enforcers\/register answered 401/);

    const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
    const tokenFile = join(dir, 'token');
    const calls = join(dir, 'calls');
    writeFileSync(tokenFile, 'stale-token');
    writeFileSync(calls, '');
    // The stored token is rotated while the function runs: the first read gets a stale one (401); the
    // second invocation waits until the function registered with the token read again and then sent a
    // heartbeat, which follows the rule table fetch (a later lastSeen than the registration's).
    const lastSeen = async (): Promise<string | undefined> =>
      ((await api.call('GET', '/v1/enforcers?group=py-token')).body.items as Array<{ lastSeen: string }>)[0]?.lastSeen;
    const rotated = runPythonFunction({
      layerDir,
      events: [
        { do: 'echo', value: 1 },
        { do: 'run', args: ['id'] },
      ],
      gate: async () => {
        writeFileSync(tokenFile, token);
        let registered: string | undefined;
        await expect.poll(async () => (registered = await lastSeen()), { timeout: 20_000 }).toBeDefined();
        await expect.poll(lastSeen, { timeout: 20_000 }).not.toBe(registered);
      },
      env: {
        VIGIL_ENDPOINT: api.url,
        VIGIL_TOKEN_PARAMETER: '/vigil/token',
        VIGIL_BUNDLE_TTL_SECONDS: '0.2',
        VIGIL_FAIL_MODE: 'open',
        PYTHONPATH: join(pythonFixtures, 'boto3_double'),
        VIGIL_TEST_TOKEN_FILE: tokenFile,
        VIGIL_TEST_STORE_CALLS: calls,
      },
    });
    const result = await rotated;
    const reads = readFileSync(calls, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads[0]).toEqual({ service: 'ssm', operation: 'GetParameter', request: { Name: '/vigil/token', WithDecryption: true } });
    expect(result.stderr).toContain('answered 401');
    expect(result.stderr).not.toContain(token);
    expect(result.results[0]).toEqual({ echo: 1, function: 'orders-py' });
    // Registered with the new token, the function has its rule table: id is refused.
    expect(result.results[1]).toMatchObject({ ok: false, errno: 13 });
  }, 60_000);
});
