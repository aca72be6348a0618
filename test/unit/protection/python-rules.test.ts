import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

// The Python layer matches the rule table the core compiled; these tests hold its matching, messages and
// guard table to the core's own, event by event, and run the package's unit tests (standard library only).
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '../../../layers/protection/python');
const fixtures = resolve(here, '../../fixtures/protection/python');

function python(args: string[], input?: string) {
  const result = spawnSync('python3', args, { input, encoding: 'utf8', env: { ...process.env, PYTHONPATH: packageDir }, cwd: fixtures });
  return result;
}

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

describe('the Python layer against the core', () => {
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

  it('passes the package unit tests (python3 -m unittest)', () => {
    const answer = python(['-m', 'unittest', 'discover', '-s', join(fixtures, 'unit'), '-p', 'test_*.py', '-v']);
    expect(answer.stderr).toMatch(/\nOK\n?$/);
    expect(answer.status).toBe(0);
  });
});
