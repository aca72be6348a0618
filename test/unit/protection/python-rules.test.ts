import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileFunctionRules,
  compileGuardRules,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  workloadAttributes,
  type DecisionEvent,
  type PolicyInput,
} from '../../../layers/core/index.js';
import { findPythonInterpreters, PYTHON_VERSIONS, type PythonInterpreter } from '../../../layers/protection/python-interpreters.js';

// The Python layer matches the rule table the core compiled; these tests hold its matching, messages and
// guard table to the core's own, event by event, and run the package's unit tests (standard library only),
// under each Python version the layer is published for (3.11 to 3.13, real CPython interpreters).
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '../../../layers/protection/python');
const fixtures = resolve(here, '../../fixtures/protection/python');
const interpreters = findPythonInterpreters();

function runner(interpreter: PythonInterpreter) {
  return (args: string[], input?: string, env: Record<string, string> = {}) =>
    spawnSync(interpreter.executable, args, {
      input,
      encoding: 'utf8',
      // No bytecode is written into the source tree; a warning (a deprecation, an invalid escape) fails the run.
      env: { ...process.env, PYTHONPATH: packageDir, PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'error', ...env },
      cwd: fixtures,
    });
}

it('finds a CPython interpreter for every Python version the layer is published for', () => {
  expect(interpreters.map((i) => i.version)).toEqual([...PYTHON_VERSIONS]);
});

const group = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer', enforce: true });
const workload = workloadAttributes({ 'function.name': 'orders', 'function.runtime': 'python3.12', 'enforcer.group': 'fn' }, {});
const policies: PolicyInput[] = [
  {
    name: 'processes',
    type: 'function',
    enforcementMode: 'enforce',
    controls: {
      blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'who*', '*/curl', 'a*b*c'] },
      driftPrevention: { enabled: true, allowedExecutables: ['/tmp/allowed-*'] },
    },
  },
  {
    name: 'all',
    type: 'function',
    enforcementMode: 'audit',
    controls: { blockAllProcesses: { enabled: true, allowedExecutables: ['python3*', '/usr/bin/true'] } },
  },
  {
    name: 'egress',
    type: 'function',
    enforcementMode: 'enforce',
    controls: { networkEgress: { enabled: true, allowedHosts: ['*.amazonaws.com', 'api.example.com'], allowedPorts: [443] } },
  },
];

const events: DecisionEvent[] = [
  { action: 'process', command: ['id'], executable: 'id', resolvedPath: '/usr/bin/id', createdAfterStart: false },
  { action: 'process', command: ['whoami'], executable: 'whoami', resolvedPath: '/usr/bin/whoami', createdAfterStart: false },
  { action: 'process', command: ['x'], executable: '/opt/bin/curl', resolvedPath: undefined, createdAfterStart: false },
  { action: 'process', command: ['x'], executable: 'abc', resolvedPath: '/usr/bin/abc', createdAfterStart: false },
  { action: 'process', command: ['x'], executable: 'ac', resolvedPath: '/usr/bin/ac', createdAfterStart: false },
  { action: 'process', command: ['x'], executable: '/tmp/evil', resolvedPath: '/tmp/evil', createdAfterStart: true },
  { action: 'process', command: ['x'], executable: '/tmp/allowed-1', resolvedPath: '/tmp/allowed-1', createdAfterStart: true },
  { action: 'process', command: ['x'], executable: 'tool', resolvedPath: '/opt/tool', createdAfterStart: true },
  { action: 'process', command: ['x'], executable: 'true', resolvedPath: '/usr/bin/true', createdAfterStart: false },
  { action: 'process', command: ['x'], executable: 'python3.12', resolvedPath: '/var/lang/bin/python3.12', createdAfterStart: false },
  { action: 'process', command: ['x'], executable: `/tmp/${'long'.repeat(80)}"quote`, resolvedPath: undefined, createdAfterStart: false },
  { action: 'network', direction: 'outbound', host: 'sqs.eu-west-1.amazonaws.com', port: 443 },
  { action: 'network', direction: 'outbound', host: 'sqs.eu-west-1.amazonaws.com', port: 80 },
  { action: 'network', direction: 'outbound', host: 'evil.example.com', port: 443 },
  { action: 'network', direction: 'outbound', host: 'amazonaws.com', port: 443 },
];

describe.each(interpreters.map((i) => [i.version, i] as const))(
  'the Python layer against the core, under python%s',
  (_version, interpreter) => {
    const python = runner(interpreter);

    const snapshot = compileSnapshot({
      revision: 9,
      policies: policies.map((p) => policySchema.parse(p)),
      applicationScopes: [],
      settings: enforcerSettingsSchema.parse({}),
      groups: [group],
    });
    const bundle = { revision: 9, snapshot, group };

    it('finds the violations the engine finds, with the same messages, for every event', () => {
      const table = compileFunctionRules({ bundle, workload });
      const answer = python(
        [join(fixtures, 'judge.py')],
        JSON.stringify({ table, events, guard: { generation: 5, started: 1234, failMode: 'closed' } }),
      );
      expect(answer.stderr).toBe('');
      const judged = JSON.parse(answer.stdout) as { violations: unknown[][]; guardTable: string };
      const engine = events.map((event) => decide(snapshot, { policyType: 'function', group, workload, event }).violations);
      expect(judged.violations).toEqual(engine);
      // The table covers something: most events have violations.
      expect(engine.filter((v) => v.length > 0).length).toBeGreaterThan(8);
    });

    it('writes the native guard table (binary) byte for byte as the core compiles it, with and without rules', () => {
      const table = compileFunctionRules({ bundle, workload });
      const answer = python(
        [join(fixtures, 'judge.py')],
        JSON.stringify({ table, events: [], guard: { generation: 5, started: 1234, failMode: 'closed' } }),
      );
      const guard = compileGuardRules({ generation: 5, startedAtMs: 1234, failMode: 'closed', bundle, workload });
      expect(guard.state).toBe('bundle');
      expect(JSON.parse(answer.stdout).guardTable).toBe(Buffer.from(guard.bytes).toString('hex'));
      const none = compileGuardRules({ generation: 5, startedAtMs: 1234, failMode: 'closed', bundle: undefined, workload });
      expect(JSON.parse(answer.stdout).noRulesTable).toBe(Buffer.from(none.bytes).toString('hex'));
    });

    it('passes the package unit tests (python -m unittest)', () => {
      const answer = python(['-m', 'unittest', 'discover', '-s', join(fixtures, 'unit'), '-p', 'test_*.py', '-v']);
      expect(answer.stderr).toMatch(/\nOK\n?$/);
      expect(answer.status).toBe(0);
    });

    it('compiles every module of the package without a warning, and imports it as vigil-wrapper has the runtime do', () => {
      const modules = readdirSync(join(packageDir, 'vigil')).filter((name) => name.endsWith('.py'));
      expect(modules.length).toBeGreaterThanOrEqual(7);
      const compileAll =
        'import sys\nfor path in sys.argv[1:]:\n    with open(path, "rb") as f:\n        compile(f.read(), path, "exec")\nprint("compiled", len(sys.argv) - 1)';
      const answer = python(['-c', compileAll, ...modules.map((m) => join(packageDir, 'vigil', m))]);
      expect(answer.stderr).toBe('');
      expect(answer.stdout).toBe(`compiled ${modules.length}\n`);
      // vigil.bootstrap installs the protection and loads the function's handler (no endpoint: nothing fetched).
      const imported = python(
        ['-c', 'import vigil.bootstrap, sys; print(vigil.bootstrap._handler.__module__, sys.version_info[:2])'],
        undefined,
        {
          VIGIL_ORIGINAL_HANDLER: 'app.handler',
          LAMBDA_TASK_ROOT: fixtures,
          VIGIL_NATIVE_GUARD: 'off',
        },
      );
      expect(imported.stderr).toBe('');
      expect(imported.stdout).toBe(`app (${interpreter.version.replace('.', ', ')})\n`);
    });
  },
);
