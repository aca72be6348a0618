import { describe, expect, it } from 'vitest';
import {
  controlCatalog,
  controlOptionsSchema,
  describeCatalog,
  DottedSelectorError,
  formatDottedSelector,
  parseDottedSelector,
  parseImageReference,
  policySchema,
  policyWarnings,
  type EnforcerType,
} from '../../layers/core/index.js';

describe('control catalog', () => {
  it('gives every control an option default so that {"enabled": true} is complete', () => {
    for (const control of controlCatalog) {
      expect(() => controlOptionsSchema(control).parse({}), `${control.policyType}.${control.key}`).not.toThrow();
    }
  });

  it('covers every kube_enforcer operation of the spec', () => {
    const acted = new Set(controlCatalog.filter((c) => c.enforcedBy.includes('kube_enforcer')).flatMap((c) => c.actsOn));
    expect([...acted].sort()).toEqual(['attach', 'create', 'debug', 'exec', 'portforward', 'update']);
  });

  it('describes option schemas as JSON Schema for GET /v1/controls', () => {
    const exec = describeCatalog().find((c) => c.key === 'blockContainerExec');
    expect(exec).toMatchObject({
      name: 'Block Container Exec',
      enforcedBy: ['kube_enforcer', 'agent'],
      options: { type: 'object', properties: { allowedProcesses: { type: 'array' } } },
      nodeEnforcement: { engine: 'tetragon', fidelity: 'approximate' },
    });
  });

  it('says for every container and host control how faithfully Tetragon applies it on nodes, and nothing for function controls', () => {
    const fidelity = Object.fromEntries(describeCatalog().map((c) => [`${c.policyType}.${c.key}`, c.nodeEnforcement?.fidelity]));
    expect(fidelity).toMatchObject({
      'container.blockedExecutables': 'exact',
      'container.portBlock': 'exact',
      'container.readOnlyFiles': 'exact',
      'container.fileIntegrityMonitoring': 'exact',
      'container.driftPrevention': 'approximate',
      'container.reverseShell': 'approximate',
      'container.forkGuard': 'not-enforced',
      'container.allowedRegistries': 'not-enforced',
      'host.osUsers': 'not-enforced',
      'host.loginAuditing': 'not-enforced',
      'host.blockedExecutables': 'exact',
    });
    for (const control of describeCatalog()) {
      if (control.policyType === 'function') expect(control.nodeEnforcement).toBeUndefined();
      else expect(control.nodeEnforcement?.summary.length).toBeGreaterThan(10);
    }
  });
});

describe('parseDottedSelector', () => {
  it.each([
    [
      'container.label."io.kubernetes.pod.namespace"."kube-system"',
      { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
    ],
    ['kubernetes.namespace.kube-system', { attribute: 'kubernetes.namespace', value: 'kube-system' }],
    ['container.image.nginx:1.25', { attribute: 'container.image', value: 'nginx:1.25' }],
    ['kubernetes.label.app.web', { attribute: 'kubernetes.label', name: 'app', value: 'web' }],
    ['function.tag."team"."pay.ments"', { attribute: 'function.tag', name: 'team', value: 'pay.ments' }],
  ])('reads %s', (text, expected) => {
    expect(parseDottedSelector(text)).toEqual(expected);
    expect(parseDottedSelector(formatDottedSelector(expected))).toEqual(expected);
  });

  it.each(['kubernetes.namespace.', 'pod.name.x', 'kubernetes.label.app', 'container.label."unclosed.x', 'kubernetes.label."app"x.web'])(
    'rejects %s with a reason',
    (text) => {
      expect(() => parseDottedSelector(text)).toThrow(DottedSelectorError);
    },
  );
});

describe('parseImageReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', name: 'nginx', tag: 'latest', digest: undefined }],
    ['nginx:1.27', { registry: 'docker.io', name: 'nginx', tag: '1.27', digest: undefined }],
    ['team/api:2', { registry: 'docker.io', name: 'team/api', tag: '2', digest: undefined }],
    ['localhost:5000/api', { registry: 'localhost:5000', name: 'api', tag: 'latest', digest: undefined }],
    [
      '123.dkr.ecr.eu-west-1.amazonaws.com/api:1.2@sha256:abc',
      { registry: '123.dkr.ecr.eu-west-1.amazonaws.com', name: 'api', tag: '1.2', digest: 'sha256:abc' },
    ],
    ['registry.k8s.io/pause@sha256:abc', { registry: 'registry.k8s.io', name: 'pause', tag: undefined, digest: 'sha256:abc' }],
  ])('splits %s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });
});

describe('policyWarnings', () => {
  const all = new Set<EnforcerType>(['kube_enforcer', 'nano_enforcer', 'agent', 'host_enforcer']);

  it('warns about controls that act only on new workloads', () => {
    const policy = policySchema.parse({ name: 'p', type: 'container', controls: { limitContainerPrivileges: {} } });
    expect(policyWarnings(policy, all)).toEqual([expect.stringContaining('acts only on new workloads')]);
  });

  it('warns when no registered enforcer type can apply a control', () => {
    const policy = policySchema.parse({ name: 'p', type: 'container', controls: { driftPrevention: {}, blockContainerExec: {} } });
    expect(policyWarnings(policy, new Set(['kube_enforcer']))).toEqual([
      expect.stringMatching(/^Drift Prevention \(driftPrevention\) is enforced only by agent enforcers/),
    ]);
  });

  it('warns about empty allow-lists and attributes the workload type never has', () => {
    const policy = policySchema.parse({
      name: 'p',
      type: 'function',
      controls: { networkEgress: {} },
      scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'x' }] },
    });
    expect(policyWarnings(policy, all)).toEqual([expect.stringContaining('empty allowedHosts'), expect.stringContaining('always false')]);
  });

  it('warns, where an agent group exists, about controls Tetragon cannot apply on nodes', () => {
    const container = policySchema.parse({ name: 'p', type: 'container', controls: { forkGuard: {} } });
    const host = policySchema.parse({ name: 'h', type: 'host', controls: { osUsers: {}, loginAuditing: {} } });
    // The cause, said once: the label already says it is not enforced.
    expect(policyWarnings(container, all)).toEqual([
      'Fork Guard (forkGuard) is not enforced on nodes: Tetragon cannot count or limit the processes of a container',
    ]);
    expect(policyWarnings(host, all)).toEqual([
      expect.stringMatching(/^Login Auditing \(loginAuditing\) is not enforced on nodes: /),
      expect.stringMatching(/^OS Users and Groups \(osUsers\) is not enforced on nodes: /),
    ]);
    // Without an agent group the existing "nothing applies it" advice is the one that matters.
    expect(policyWarnings(container, new Set(['kube_enforcer'])).join()).not.toMatch(/not enforced on nodes/);
  });

  it('warns about drift prevention unless the policy also requires a read-only root filesystem', () => {
    const drift = policySchema.parse({ name: 'p', type: 'container', controls: { driftPrevention: {} } });
    expect(policyWarnings(drift, all)).toEqual([
      expect.stringMatching(/^Drift Prevention \(driftPrevention\) is approximate on nodes: .*readOnlyRootFilesystem/),
    ]);
    const closed = policySchema.parse({ name: 'p', type: 'container', controls: { driftPrevention: {}, readOnlyRootFilesystem: {} } });
    expect(policyWarnings(closed, all)).toEqual([]);
  });

  it('warns about reverse shells, patterns Tetragon widens or drops, and scopes it cannot select on', () => {
    const policy = policySchema.parse({
      name: 'p',
      type: 'container',
      enforcementMode: 'enforce',
      scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.pod', value: 'web-*' }] },
      controls: { reverseShell: {}, blockedExecutables: { executables: ['/usr/*/nc', '/usr/bin/curl'] } },
    });
    expect(policyWarnings(policy, all)).toEqual([
      expect.stringContaining('Executables Blocked (blockedExecutables) on nodes: "/usr/*/nc" is applied as the prefix "/usr/"'),
      expect.stringMatching(/^Block Reverse Shell \(reverseShell\) is approximate on nodes: /),
      expect.stringMatching(/^the scope is widened on nodes \(kubernetes.pod "web-\*".*monitor mode/),
    ]);
  });

  it('does not call a scope on the cluster or enforcer group widened: they are constants of each cluster', () => {
    const policy = policySchema.parse({
      name: 'p',
      type: 'container',
      scope: {
        expression: 'v1 && v2',
        variables: [
          { attribute: 'kubernetes.cluster', value: 'prod-*' },
          { attribute: 'kubernetes.namespace', value: 'shop' },
        ],
      },
      controls: { portBlock: { outbound: ['25'] } },
    });
    expect(policyWarnings(policy, all)).toEqual([]);
  });

  it('stays silent for a plain exec guard', () => {
    expect(policyWarnings(policySchema.parse({ name: 'p', type: 'container', controls: { blockContainerExec: {} } }), all)).toEqual([]);
  });
});
