import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applicationScopeSchema,
  auditEvents,
  compileControl,
  compileScope,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  findControl,
  parseImageReference,
  policySchema,
  workloadAttributes,
  type DecisionEvent,
  type PolicyInput,
  type Violation,
} from '../../../layers/core/index.js';
import { quoted } from '../../../layers/core/engine/control-kit.js';
import { imageRegistry } from '../../../layers/core/engine/pod-spec-controls.js';
import { arbEvent, arbPolicy, arbWorkload, prodScope } from '../../support/engine-arbitraries.js';

const enforcing = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer', enforce: true });
const auditOnly = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer' });
const nano = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer', enforce: true });
const agents = enforcerGroupSchema.parse({ name: 'hosts', type: 'host_enforcer', enforce: true });

function snapshotOf(policies: PolicyInput[], settings: unknown = {}, scopes: unknown[] = []) {
  return compileSnapshot({
    revision: 1,
    policies: policies.map((p) => policySchema.parse(p)),
    applicationScopes: scopes.map((s) => applicationScopeSchema.parse(s)),
    settings: enforcerSettingsSchema.parse(settings),
    groups: [],
  });
}

const pod = workloadAttributes(
  { 'kubernetes.cluster': 'prod', 'kubernetes.namespace': 'default', 'kubernetes.pod': 'test-nginx' },
  { 'container.label': { 'io.kubernetes.pod.namespace': 'default' } },
);
const systemPod = workloadAttributes(
  { 'kubernetes.namespace': 'kube-system' },
  { 'container.label': { 'io.kubernetes.pod.namespace': 'kube-system' } },
);
const execSh: DecisionEvent = { action: 'exec', command: ['sh'] };
const execGuard: PolicyInput = {
  name: 'exec-guard',
  type: 'container',
  enforcementMode: 'enforce',
  controls: { blockContainerExec: { enabled: true } },
};

describe('decide', () => {
  it('blocks exec of sh when the policy enforces and the group allows enforcement', () => {
    const decision = decide(snapshotOf([execGuard]), { policyType: 'container', group: enforcing, workload: pod, event: execSh });
    expect(decision.allowed).toBe(false);
    expect(decision.violations).toEqual([
      expect.objectContaining({
        status: 'Block',
        policy: 'exec-guard',
        control: 'blockContainerExec',
        controlName: 'Block Container Exec',
        action: 'exec',
        message: 'exec of "sh" is not an allowed process',
      }),
    ]);
  });

  it('only detects while the group is audit only', () => {
    const decision = decide(snapshotOf([execGuard]), { policyType: 'container', group: auditOnly, workload: pod, event: execSh });
    expect(decision).toEqual({ allowed: true, violations: [expect.objectContaining({ status: 'Detect', enforcementMode: 'enforce' })] });
  });

  it('only detects when the policy audits, even in an enforcing group', () => {
    const decision = decide(snapshotOf([{ ...execGuard, enforcementMode: 'audit' }]), {
      policyType: 'container',
      group: enforcing,
      workload: pod,
      event: execSh,
    });
    expect(decision.allowed).toBe(true);
    expect(decision.violations.map((v) => v.status)).toEqual(['Detect']);
  });

  it('skips bypassed workloads without recording anything', () => {
    expect(decide(snapshotOf([execGuard]), { policyType: 'container', group: enforcing, workload: systemPod, event: execSh })).toEqual({
      allowed: true,
      violations: [],
      skipped: 'bypass',
    });
  });

  it('enforces kube-system once the bypass entries are removed', () => {
    expect(
      decide(snapshotOf([execGuard], { bypassScopes: [] }), {
        policyType: 'container',
        group: enforcing,
        workload: systemPod,
        event: execSh,
      }).allowed,
    ).toBe(false);
  });

  it('skips container policies when the group has container protection off', () => {
    const group = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer', enforce: true, containerProtection: false });
    expect(decide(snapshotOf([execGuard]), { policyType: 'container', group, workload: pod, event: execSh }).skipped).toBe(
      'protection_off',
    );
  });

  it('ignores disabled policies and disabled controls', () => {
    const snapshot = snapshotOf([
      { ...execGuard, enabled: false },
      { ...execGuard, name: 'off', controls: { blockContainerExec: { enabled: false } } },
    ]);
    expect(decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: execSh })).toEqual({
      allowed: true,
      violations: [],
    });
  });

  it('reports one violation per policy and control, in configuration order', () => {
    const snapshot = snapshotOf([
      { ...execGuard, name: 'b-second', enforcementMode: 'audit' },
      { ...execGuard, name: 'a-first' },
    ]);
    const decision = decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: execSh });
    expect(decision.violations.map((v) => [v.policy, v.status])).toEqual([
      ['b-second', 'Detect'],
      ['a-first', 'Block'],
    ]);
  });

  it('applies a policy only inside its application scope and criteria', () => {
    const scopes = [{ name: 'prod', expression: 'v1', variables: [{ attribute: 'kubernetes.cluster', value: 'prod' }] }];
    const snapshot = snapshotOf(
      [
        {
          ...execGuard,
          scope: { applicationScopes: ['prod'], expression: 'v1', variables: [{ attribute: 'kubernetes.pod', value: 'test-*' }] },
        },
      ],
      {},
      scopes,
    );
    expect(decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: execSh }).allowed).toBe(false);
    const staging = workloadAttributes({
      'kubernetes.cluster': 'staging',
      'kubernetes.namespace': 'default',
      'kubernetes.pod': 'test-nginx',
    });
    expect(decide(snapshot, { policyType: 'container', group: enforcing, workload: staging, event: execSh }).allowed).toBe(true);
  });

  it('reports a policy naming a missing application scope and lets it match nothing', () => {
    const snapshot = snapshotOf([{ ...execGuard, scope: { applicationScopes: ['gone'] } }]);
    expect(snapshot.problems).toEqual([expect.stringContaining('"gone"')]);
    expect(decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: execSh }).allowed).toBe(true);
  });

  describe('function events (protection layer)', () => {
    const fn = workloadAttributes({ 'function.name': 'orders', 'function.runtime': 'nodejs24.x' });
    const policy = (controls: Record<string, unknown>): PolicyInput => ({
      name: 'fn',
      type: 'function',
      enforcementMode: 'enforce',
      controls,
    });
    const run = (controls: Record<string, unknown>, event: DecisionEvent) =>
      decide(snapshotOf([policy(controls)]), { policyType: 'function', group: nano, workload: fn, event });
    const spawn = (executable: string, extra: Partial<Extract<DecisionEvent, { action: 'process' }>> = {}): DecisionEvent => ({
      action: 'process',
      executable,
      command: [executable],
      ...extra,
    });

    it('blocks executables by basename or full path', () => {
      expect(run({ blockedExecutables: { executables: ['curl', '/bin/s*'] } }, spawn('curl')).allowed).toBe(false);
      expect(run({ blockedExecutables: { executables: ['curl'] } }, spawn('/usr/bin/curl')).allowed).toBe(false);
      expect(run({ blockedExecutables: { executables: ['/bin/s*'] } }, spawn('sh', { resolvedPath: '/bin/sh' })).allowed).toBe(false);
      expect(run({ blockedExecutables: { executables: ['curl'] } }, spawn('/usr/bin/git')).allowed).toBe(true);
    });

    it("decides name patterns on the resolved path's last segment when the event gives it, reading the path only if needed", () => {
      let reads = 0;
      const lazy = (executable: string, resolvedName: string, resolvedPath: string): DecisionEvent => ({
        action: 'process',
        executable,
        command: [executable],
        resolvedName,
        get resolvedPath(): string {
          reads++;
          return resolvedPath;
        },
      });
      expect(run({ blockedExecutables: { executables: ['curl', 'wget'] } }, lazy('/bin/true', 'true', '/usr/bin/true')).allowed).toBe(true);
      expect(run({ blockAllProcesses: { allowedExecutables: ['git'] } }, lazy('/opt/g', 'git', '/usr/bin/git')).allowed).toBe(true);
      expect(reads).toBe(0);
      // A refusal's message names the resolved path.
      const refused = run({ blockedExecutables: { executables: ['id'] } }, lazy('/tmp/innocent', 'id', '/usr/bin/id'));
      expect(refused.allowed).toBe(false);
      expect(refused.violations[0]?.message).toBe('"/usr/bin/id" is a blocked executable');
      // A pattern with "/" needs the whole path.
      reads = 0;
      expect(run({ blockedExecutables: { executables: ['curl', '/usr/bin/*'] } }, lazy('/bin/true', 'true', '/usr/bin/true')).allowed).toBe(
        false,
      );
      expect(reads).toBeGreaterThan(0);
    });

    it('prevents drift: programs under /tmp or created after start, unless allowed', () => {
      expect(run({ driftPrevention: {} }, spawn('./x', { resolvedPath: '/tmp/x' })).violations[0]?.message).toContain('under /tmp');
      expect(run({ driftPrevention: {} }, spawn('/opt/tool', { createdAfterStart: true })).violations[0]?.message).toContain(
        'created after',
      );
      expect(run({ driftPrevention: { allowedExecutables: ['/tmp/ok'] } }, spawn('/tmp/ok')).allowed).toBe(true);
      expect(run({ driftPrevention: {} }, spawn('/tmpfoo/x')).allowed).toBe(true);
      expect(run({ driftPrevention: {} }, spawn('/usr/bin/node')).allowed).toBe(true);
    });

    it('blocks all child processes except the allowed ones', () => {
      expect(run({ blockAllProcesses: { allowedExecutables: ['/usr/bin/git'] } }, spawn('/usr/bin/git')).allowed).toBe(true);
      expect(
        run({ blockAllProcesses: { allowedExecutables: ['/usr/bin/git'] } }, spawn('git', { resolvedPath: '/usr/bin/git' })).allowed,
      ).toBe(true);
      expect(run({ blockAllProcesses: { allowedExecutables: ['/usr/bin/git'] } }, spawn('ls')).allowed).toBe(false);
    });

    it('allows outbound connections only to allowed hosts and ports', () => {
      const controls = { networkEgress: { allowedHosts: ['*.amazonaws.com'], allowedPorts: [443] } };
      expect(run(controls, { action: 'network', direction: 'outbound', host: 'dynamodb.eu-west-1.amazonaws.com', port: 443 }).allowed).toBe(
        true,
      );
      expect(run(controls, { action: 'network', direction: 'outbound', host: 'evil.example', port: 443 }).allowed).toBe(false);
      expect(run(controls, { action: 'network', direction: 'outbound', host: 's3.amazonaws.com', port: 22 }).allowed).toBe(false);
    });

    it('reports every read of honeypot credentials as Detect, even when enforcing: a read cannot be refused', () => {
      const decision = run(
        { honeypot: { applyOn: ['environment', 'file'] } },
        { action: 'honeypot', source: 'file', detail: '~/.aws/credentials' },
      );
      expect(decision).toEqual({
        allowed: true,
        violations: [
          expect.objectContaining({
            action: 'honeypot',
            status: 'Detect',
            message: 'honeypot credentials were read from the file (~/.aws/credentials)',
          }),
        ],
      });
    });

    it('does not apply function policies to container requests', () => {
      expect(
        decide(snapshotOf([policy({ blockAllProcesses: {} })]), {
          policyType: 'container',
          group: enforcing,
          workload: pod,
          event: execSh,
        }),
      ).toEqual({ allowed: true, violations: [] });
    });
  });

  describe('host events (agents)', () => {
    const host = workloadAttributes({ 'os.hostname': 'bastion-1', 'os.type': 'linux' });
    const run = (controls: Record<string, unknown>, event: DecisionEvent, group = agents) =>
      decide(snapshotOf([{ name: 'h', type: 'host', enforcementMode: 'enforce', controls }]), {
        policyType: 'host',
        group,
        workload: host,
        event,
      });

    it('blocks logins of blocked users and users outside the allowed list', () => {
      expect(run({ osUsers: { blocked: ['root'] } }, { action: 'login', user: 'root', success: true }).allowed).toBe(false);
      expect(run({ osUsers: { allowed: ['ec2-user'] } }, { action: 'login', user: 'mallory', success: true }).allowed).toBe(false);
      expect(run({ osUsers: { allowed: ['ec2-user'] } }, { action: 'login', user: 'ec2-user', success: true }).allowed).toBe(true);
    });

    it('never blocks with record-only controls, even when enforcing', () => {
      const decision = run(
        { loginAuditing: {}, fileIntegrityMonitoring: { paths: ['/etc/*'] } },
        { action: 'login', user: 'ec2-user', success: false },
      );
      expect(decision).toEqual({
        allowed: true,
        violations: [expect.objectContaining({ status: 'Detect', control: 'loginAuditing', message: 'failed login of user "ec2-user"' })],
      });
    });

    it('refuses writes to read-only paths except the exceptions', () => {
      const controls = { readOnlyFiles: { paths: ['/etc/*'], exceptions: ['/etc/resolv.conf'] } };
      expect(run(controls, { action: 'file', path: '/etc/passwd', operation: 'modify' }).allowed).toBe(false);
      expect(run(controls, { action: 'file', path: '/etc/resolv.conf', operation: 'modify' }).allowed).toBe(true);
      expect(run(controls, { action: 'file', path: '/etc/passwd', operation: 'read' }).allowed).toBe(true);
    });

    it('blocks ports in listed ranges', () => {
      const controls = { portBlock: { inbound: ['22', '6000-6010'] } };
      expect(run(controls, { action: 'network', direction: 'inbound', host: '10.0.0.1', port: 6005 }).allowed).toBe(false);
      expect(run(controls, { action: 'network', direction: 'outbound', host: '10.0.0.1', port: 22 }).allowed).toBe(true);
    });

    it('skips host policies when the group has host protection off', () => {
      const off = enforcerGroupSchema.parse({ name: 'hosts', type: 'host_enforcer', enforce: true, hostProtection: false });
      expect(run({ osUsers: { blocked: ['root'] } }, { action: 'login', user: 'root', success: true }, off).skipped).toBe('protection_off');
    });
  });
});

describe('auditEvents', () => {
  it('makes one event per violation with the subject and the ids given', () => {
    const violations = decide(snapshotOf([execGuard, { ...execGuard, name: 'second' }]), {
      policyType: 'container',
      group: enforcing,
      workload: pod,
      event: execSh,
    }).violations;
    let next = 0;
    const events = auditEvents(
      violations,
      {
        workload: { cluster: 'prod', namespace: 'default', pod: 'test-nginx' },
        user: { name: 'alice', groups: ['dev'] },
        command: ['sh'],
        enforcer: { group: 'ke', type: 'kube_enforcer', id: null },
        unresolved: ['kubernetes.label'],
      },
      '2026-11-28T12:00:00.000Z',
      () => `e${++next}`,
    );
    expect(events.map((e) => [e.id, e.policy])).toEqual([
      ['e1', 'exec-guard'],
      ['e2', 'second'],
    ]);
    expect(events[0]).toMatchObject({
      time: '2026-11-28T12:00:00.000Z',
      status: 'Block',
      workload: { cluster: 'prod', function: null, host: null },
      unresolved: ['kubernetes.label'],
    });
  });
});

// ------------------------------------------------------------------ properties

/** The engine's semantics without any indexing: every policy, every control. */
function naiveDecide(
  policies: PolicyInput[],
  workload: ReturnType<typeof workloadAttributes>,
  event: DecisionEvent,
  enforce: boolean,
): Violation[] {
  const scopes = new Map([
    ['Global', () => true],
    ['prod-scope', compileScope(prodScope.expression, prodScope.variables)],
  ]);
  const violations: Violation[] = [];
  policies
    .map((p) => policySchema.parse(p))
    .forEach((policy) => {
      const inApp = policy.scope.applicationScopes.some((name) => scopes.get(name)?.(workload) ?? false);
      if (!inApp || !compileScope(policy.scope.expression, policy.scope.variables)(workload)) return;
      for (const [key, settings] of Object.entries(policy.controls)) {
        const definition = findControl('container', key)!;
        if (!definition.actsOn.includes(event.action)) continue;
        const findings = compileControl(definition, settings as Record<string, unknown>)!.evaluate(event);
        if (findings.length === 0) continue;
        const block = policy.enforcementMode === 'enforce' && enforce;
        violations.push({
          status: block ? 'Block' : 'Detect',
          policy: policy.name,
          policyType: 'container',
          policyVersion: 0,
          control: key,
          controlName: definition.name,
          enforcementMode: policy.enforcementMode,
          action: event.action,
          message: findings.map((f) => f.message).join('; '),
        });
      }
    });
  return violations;
}

describe('decide (properties)', () => {
  it('agrees with a naive evaluation of every policy, whatever the index selects', () => {
    fc.assert(
      fc.property(fc.array(arbPolicy, { maxLength: 12 }), arbWorkload, arbEvent, fc.boolean(), (specs, w, event, enforce) => {
        const policies = specs.map((spec, i) => ({ name: `p${i}`, type: 'container', ...spec }) as PolicyInput);
        const workload = workloadAttributes(
          { 'kubernetes.namespace': w['kubernetes.namespace'], 'kubernetes.cluster': w['kubernetes.cluster'] },
          { 'kubernetes.label': w.app ? { app: w.app } : undefined },
        );
        const group = enforcerGroupSchema.parse({ name: 'g', type: 'kube_enforcer', enforce });
        const snapshot = snapshotOf(policies, { bypassScopes: [] }, [prodScope]);
        const decision = decide(snapshot, { policyType: 'container', group, workload, event });
        const expected = naiveDecide(policies, workload, event, enforce);
        expect(decision.violations).toEqual(expected);
        expect(decision.allowed).toBe(!expected.some((v) => v.status === 'Block'));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws, whatever the workload attributes and event', () => {
    const snapshot = snapshotOf([
      {
        ...execGuard,
        controls: {
          blockContainerExec: { allowedProcesses: ['*sh', '/x/*'] },
          limitContainerPrivileges: {},
          allowedRegistries: { registries: ['ecr*'] },
          restrictedVolumes: { paths: ['/*'] },
          blockedCapabilities: { capabilities: ['ALL'] },
        },
      },
    ]);
    const container = fc.record({
      name: fc.string(),
      kind: fc.constantFrom('container' as const, 'init' as const, 'ephemeral' as const),
      image: fc.string(),
      privileged: fc.boolean(),
      allowPrivilegeEscalation: fc.option(fc.boolean(), { nil: undefined }),
      runAsUser: fc.option(fc.integer(), { nil: undefined }),
      runAsNonRoot: fc.option(fc.boolean(), { nil: undefined }),
      readOnlyRootFilesystem: fc.option(fc.boolean(), { nil: undefined }),
      addCapabilities: fc.array(fc.string()),
      ports: fc.array(fc.integer()),
    });
    const podFacts = fc.record({
      hostNetwork: fc.boolean(),
      hostPID: fc.boolean(),
      hostIPC: fc.boolean(),
      containers: fc.array(container, { maxLength: 4 }),
      hostPaths: fc.array(fc.string()),
    });
    const event: fc.Arbitrary<DecisionEvent> = fc.oneof(
      fc.record({ action: fc.constant('exec' as const), command: fc.array(fc.string()) }),
      fc.record({
        action: fc.constantFrom('create' as const, 'update' as const, 'debug' as const),
        pod: podFacts,
        oldPod: fc.option(podFacts, { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.array(fc.string())),
        fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.string())),
        event,
        (values, keyed, ev) => {
          const workload = {
            values: new Map(Object.entries(values)),
            keyed: new Map(Object.entries(keyed).map(([k, v]) => [k, new Map(Object.entries(v))])),
          };
          const decision = decide(snapshot, { policyType: 'container', group: enforcing, workload, event: ev });
          expect(typeof decision.allowed).toBe('boolean');
        },
      ),
    );
  });
});

describe('shared controls', () => {
  it('reports every policy of identically configured controls, with messages of the event at hand', () => {
    const settings = { blockContainerExec: { enabled: true, allowedProcesses: ['ls', 'date'] } };
    // The same settings written in another key order decide the same.
    const reordered = { blockContainerExec: { allowedProcesses: ['ls', 'date'], enabled: true } };
    const snapshot = snapshotOf([
      { ...execGuard, name: 'first', controls: settings },
      { ...execGuard, name: 'second', enforcementMode: 'audit', controls: reordered },
    ]);
    const run = (command: string[]) =>
      decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: { action: 'exec', command } });
    expect(run(['sh']).violations.map((v) => [v.policy, v.status, v.message])).toEqual([
      ['first', 'Block', 'exec of "sh" is not an allowed process'],
      ['second', 'Detect', 'exec of "sh" is not an allowed process'],
    ]);
    expect(run(['bash']).violations.map((v) => v.message)).toEqual([
      'exec of "bash" is not an allowed process',
      'exec of "bash" is not an allowed process',
    ]);
    expect(run(['ls']).violations).toEqual([]);
  });
});

describe('imageRegistry', () => {
  it('finds the registry parseImageReference finds', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '.', ':', '/', '@', 'localhost', 'x'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.oneof(
          part,
          fc.tuple(part, part, part).map((p) => p.join('')),
        ),
        (image) => {
          expect(imageRegistry(image)).toBe(parseImageReference(image).registry);
        },
      ),
      { numRuns: 3000 },
    );
    expect(imageRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.2')).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(imageRegistry('localhost/api')).toBe('localhost');
    expect(imageRegistry('acme/api@sha256:ab')).toBe('docker.io');
  });
});

describe('quoted', () => {
  it('quotes exactly as JSON.stringify of the value cut to 200 characters', () => {
    const reference = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', '\ud800', '\udc00', 'é'), maxLength: 8 }),
        ),
        (text) => {
          expect(quoted(text)).toBe(reference(text));
        },
      ),
      { numRuns: 2000 },
    );
    expect(quoted('/bin/sh')).toBe('"/bin/sh"');
  });
});

describe('candidate index', () => {
  it('finds a policy indexed for several actions whichever action came before', () => {
    // Regression: per-action stamp counters collided and hid a policy from the second action's index.
    const snapshot = snapshotOf([
      {
        name: 'prefixed',
        type: 'container',
        enforcementMode: 'enforce',
        scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'def*' }] },
        controls: { blockContainerExec: {}, limitContainerPrivileges: {} },
      },
    ]);
    const create: DecisionEvent = {
      action: 'create',
      pod: { hostNetwork: true, hostPID: false, hostIPC: false, hostPaths: [], containers: [] },
    };
    for (let round = 0; round < 5; round++) {
      expect(
        decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: execSh }).allowed,
        `exec, round ${round}`,
      ).toBe(false);
      expect(
        decide(snapshot, { policyType: 'container', group: enforcing, workload: pod, event: create }).allowed,
        `create, round ${round}`,
      ).toBe(false);
    }
  });

  it('narrows by exact, prefix, suffix, token and label constraints without losing matches', () => {
    const image = (value: string) =>
      workloadAttributes(
        { 'kubernetes.namespace': 'shop-prod', 'container.image': ['ghcr.io/acme/api:1.2', value] },
        { 'kubernetes.label': { team: 'payments' } },
      );
    const policies: PolicyInput[] = [
      { ...execGuard, name: 'exact', scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop-prod' }] } },
      { ...execGuard, name: 'prefix', scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop-*' }] } },
      { ...execGuard, name: 'suffix', scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: '*-prod' }] } },
      { ...execGuard, name: 'token', scope: { expression: 'v1', variables: [{ attribute: 'container.image', value: '*/api:*' }] } },
      {
        ...execGuard,
        name: 'label',
        scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.label', name: 'team', value: 'payments' }] },
      },
      { ...execGuard, name: 'miss', scope: { expression: 'v1', variables: [{ attribute: 'container.image', value: '*/web:*' }] } },
    ];
    const decision = decide(snapshotOf(policies), { policyType: 'container', group: enforcing, workload: image('nginx:1'), event: execSh });
    expect(decision.violations.map((v) => v.policy)).toEqual(['exact', 'prefix', 'suffix', 'token', 'label']);
  });
});
