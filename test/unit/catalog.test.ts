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
    });
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

  it('stays silent for a plain exec guard', () => {
    expect(policyWarnings(policySchema.parse({ name: 'p', type: 'container', controls: { blockContainerExec: {} } }), all)).toEqual([]);
  });
});
