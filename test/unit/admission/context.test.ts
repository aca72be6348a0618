import { describe, expect, it } from 'vitest';
import {
  admissionContext,
  admissionResponse,
  blockMessage,
  detectWarning,
  enforcerGroupSchema,
  generateNameCandidates,
  MalformedReviewError,
  ownerName,
  parseAdmissionReview,
  podIdentity,
  podSchema,
  type AdmissionSubject,
  type Violation,
} from '../../../layers/core/index.js';
import { readFixture } from '../../support/fixtures.js';

const group = enforcerGroupSchema.parse({ name: 'default-ke', type: 'kube_enforcer' });
const execReview = () => readFixture<Record<string, any>>('admission', 'exec-guard', 'denied', 'exec-sh.json');

function malformed(body: unknown): MalformedReviewError {
  try {
    admissionContext(parseAdmissionReview(body), { cluster: 'c', group });
  } catch (error) {
    if (error instanceof MalformedReviewError) return error;
    throw error;
  }
  throw new Error('expected a MalformedReviewError');
}

describe('parseAdmissionReview and admissionContext', () => {
  it('normalises an exec into the engine request and the audit subject', () => {
    const context = admissionContext(parseAdmissionReview(execReview()), { cluster: 'prod', group });
    expect(context).toMatchObject({
      kind: 'decide',
      dryRun: false,
      request: { policyType: 'container', event: { action: 'exec', command: ['sh'], container: 'nginx' } },
      subject: {
        cluster: 'prod',
        namespace: 'default',
        pod: 'test-nginx',
        container: 'nginx',
        user: { name: 'kubernetes-admin' },
        command: ['sh'],
      },
    });
    if (context.kind !== 'decide') throw new Error('unreachable');
    expect(context.request.workload.values.get('kubernetes.namespace')).toEqual(['default']);
    expect(context.request.workload.keyed.get('container.label')?.get('io.kubernetes.pod.namespace')).toBe('default');
    expect(context.subject.unresolved).toContain('kubernetes.label');
  });

  it('uses what an earlier pod admission taught about the pod', () => {
    const create = readFixture('admission', 'scoped-by-labels', 'learn', 'web-pod-create.json');
    const learned = admissionContext(parseAdmissionReview(create), { cluster: 'prod', group });
    if (learned.kind !== 'decide' || !learned.learned) throw new Error('expected a learned identity');
    expect(learned.learned).toMatchObject({ generateName: 'web-5d9c8b7f9-', owner: 'web', labels: { app: 'web' } });
    const exec = readFixture('admission', 'scoped-by-labels', 'denied', 'exec-into-generated-web-pod.json');
    const context = admissionContext(parseAdmissionReview(exec), { cluster: 'prod', group, lookupPod: () => learned.learned });
    if (context.kind !== 'decide') throw new Error('unreachable');
    expect(context.request.workload.keyed.get('kubernetes.label')?.get('app')).toBe('web');
    expect(context.request.workload.values.get('kubernetes.deployment')).toEqual(['web']);
    expect(context.request.workload.values.get('image.registry')).toEqual(['111122223333.dkr.ecr.eu-west-1.amazonaws.com']);
    expect(context.subject.unresolved).toEqual([]);
  });

  it('marks dry runs', () => {
    const body = execReview();
    body.request.dryRun = true;
    expect(admissionContext(parseAdmissionReview(body), { cluster: 'c', group })).toMatchObject({ kind: 'decide', dryRun: true });
  });

  it.each([
    ['a body that is not an object', 'not json', '(root)'],
    ['a wrong apiVersion', { ...execReview(), apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion'],
    ['a missing request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request'],
    ['an unknown operation', { ...execReview(), request: { ...execReview().request, operation: 'PATCH' } }, 'request.operation'],
    ['a uid of the wrong type', { ...execReview(), request: { ...execReview().request, uid: 42 } }, 'request.uid'],
  ])('rejects %s with the JSON path', (_, body, path) => {
    const error = malformed(body);
    expect(error.details.map((d) => d.path)).toContain(path);
  });

  it('rejects a CONNECT without a pod name and a pod whose containers are not a list', () => {
    const noName = execReview();
    delete noName.request.name;
    expect(malformed(noName).details).toEqual([{ path: 'request.name', message: 'required' }]);
    const pod = readFixture<Record<string, any>>('admission', 'pod-privileges', 'denied', 'privileged.json');
    pod.request.object.spec.containers = 'nginx';
    expect(malformed(pod).details.map((d) => d.path)).toEqual(['request.object.spec.containers']);
  });

  it('ignores what it does not inspect', () => {
    const body = execReview();
    body.request.resource = { group: 'apps', version: 'v1', resource: 'deployments' };
    expect(admissionContext(parseAdmissionReview(body), { cluster: 'c', group }).kind).toBe('ignore');
  });
});

describe('pod helpers', () => {
  it('derives the deployment from a ReplicaSet owner and its pod-template-hash', () => {
    const pod = podSchema.parse({
      metadata: {
        labels: { 'pod-template-hash': 'abc12' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'api-abc12', controller: true }],
      },
    });
    expect(ownerName(pod)).toBe('api');
    expect(ownerName(podSchema.parse({ metadata: { ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] } }))).toBe(
      'db',
    );
    expect(ownerName(podSchema.parse({}))).toBeUndefined();
  });

  it('lists the generateName prefixes a pod name could come from, longest first', () => {
    expect(generateNameCandidates('web-5d9c8b7f9-x7k2p')).toEqual(['web-5d9c8b7f9-', 'web-']);
    expect(generateNameCandidates('plain')).toEqual([]);
  });

  it('remembers the default container from the kubectl annotation', () => {
    const pod = podSchema.parse({
      metadata: { annotations: { 'kubectl.kubernetes.io/default-container': 'app' } },
      spec: {
        containers: [
          { name: 'sidecar', image: 'envoy' },
          { name: 'app', image: 'api' },
        ],
      },
    });
    expect(podIdentity(pod, 'default').defaultContainer).toBe('app');
  });
});

describe('admission messages', () => {
  const subject: AdmissionSubject = {
    cluster: 'c',
    namespace: 'default',
    pod: 'test-nginx',
    container: 'nginx',
    image: null,
    user: { name: 'u', groups: [] },
    command: ['sh'],
    unresolved: [],
  };
  const violation: Violation = {
    status: 'Block',
    policy: 'exec-guard',
    policyType: 'container',
    policyVersion: 1,
    control: 'blockContainerExec',
    controlName: 'Block Container Exec',
    enforcementMode: 'enforce',
    action: 'exec',
    message: 'exec of "sh" is not an allowed process',
  };

  it('names the request, the policy and the control when blocking', () => {
    expect(blockMessage([violation], subject)).toBe(
      'vigil: exec of "sh" into default/test-nginx blocked by policy "exec-guard" (Block Container Exec)',
    );
    expect(blockMessage([violation, violation, violation], subject)).toContain('(and 2 more violations)');
  });

  it('keeps Detect warnings within 120 characters', () => {
    const long = { ...violation, policy: 'p'.repeat(150) };
    const warning = detectWarning(long, subject);
    expect(warning).toHaveLength(120);
    expect(warning.endsWith('…')).toBe(true);
  });

  it('puts the control first in a Detect warning, so that a cut warning still names it whole', () => {
    expect(detectWarning(violation, subject)).toBe(
      'vigil: Detect (Block Container Exec): exec of "sh" into default/test-nginx, policy "exec-guard"',
    );
    const longPod = { ...subject, namespace: 'n'.repeat(63), pod: 'p'.repeat(120) };
    const cut = detectWarning({ ...violation, policy: 'q'.repeat(128) }, longPod);
    expect(cut).toHaveLength(120);
    expect(cut.startsWith('vigil: Detect (Block Container Exec): exec of "sh" into ')).toBe(true);
  });

  it('omits warnings when admission warnings are off and echoes uid, apiVersion and kind', () => {
    const review = parseAdmissionReview(execReview());
    const response = admissionResponse(review, { allowed: true, violations: [{ ...violation, status: 'Detect' }] }, subject, {
      warnings: false,
    });
    expect(response).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: review.request.uid,
        allowed: true,
        auditAnnotations: { status: 'Detect', policy: 'exec-guard', control: 'blockContainerExec' },
      },
    });
  });
});
