import { beforeAll, describe, expect, it } from 'vitest';
import { admissionReviewFiles, readAdmissionReview } from '../../support/fixtures.js';
import { useLocalMode } from '../../support/local-mode.js';

// Every AdmissionReview body of the shared corpus (captured from clusters by other projects, and the
// documented variants made from them) replayed over HTTP against local mode: the real handler on
// DynamoDB Local, with the verdict and the audit events the user guide promises. A body added to the
// corpus fails the completeness check below until its expected outcome is written down here.

const vigil = useLocalMode({ configRecheckMs: 0 });

/** One policy per kind of control, so that each verdict names exactly the control that fired. */
const POLICIES = [
  { name: 'exec-guard', enforcementMode: 'enforce', controls: { blockContainerExec: { enabled: true, allowedProcesses: ['ls'] } } },
  {
    name: 'attach-portforward',
    enforcementMode: 'enforce',
    controls: { blockContainerAttach: { enabled: true }, blockPortForward: { enabled: true } },
  },
  { name: 'debug-guard', enforcementMode: 'enforce', controls: { blockDebugContainers: { enabled: true } } },
  {
    // Audit mode: these record Detect and let the pod through.
    name: 'pod-hardening',
    enforcementMode: 'audit',
    controls: {
      limitContainerPrivileges: { enabled: true, rootUser: false, lowPortBinding: false, addCapabilities: false },
      blockedCapabilities: { enabled: true, capabilities: ['SYS_ADMIN', 'NET_ADMIN'] },
      restrictedVolumes: { enabled: true, paths: ['/data', '/var/run/docker.sock'] },
    },
  },
  {
    name: 'supply-chain',
    enforcementMode: 'enforce',
    controls: { allowedRegistries: { enabled: true, registries: ['docker.io', 'registry.internal:5000'] } },
  },
];

interface Expected {
  /** HTTP 400: the body is refused as a whole (the API server then applies the failurePolicy). */
  readonly refused?: string;
  readonly allowed?: boolean;
  /** `status/policy/control` of every stored audit event, in any order. */
  readonly events?: readonly string[];
}

const allowedSilently: Expected = { allowed: true, events: [] };
const block = (policy: string, control: string): Expected => ({ allowed: false, events: [`Block/${policy}/${control}`] });
const detect = (...controls: string[]): Expected => ({ allowed: true, events: controls.map((c) => `Detect/pod-hardening/${c}`) });

const EXPECTED: Record<string, Expected> = {
  'bodies/attach-v1-custodian.json': block('attach-portforward', 'blockContainerAttach'),
  // Not a pod: the webhook registers pods only, and answers anything else with an allow.
  'bodies/configmap-status-update-kyverno.json': allowedSilently,
  'bodies/deployment-create-capabilities-kubewarden.json': allowedSilently,
  'bodies/deployment-create-dryrun-kube-review.json': allowedSilently,
  'bodies/exec-v1-bin-bash-relative-osm.json': block('exec-guard', 'blockContainerExec'),
  'bodies/exec-v1-echo-hello-custodian.json': block('exec-guard', 'blockContainerExec'),
  'bodies/exec-v1beta1-binsh-stackrox.json': { refused: 'admission.k8s.io/v1' },
  'bodies/pod-create-capabilities-added-kubewarden.json': detect('blockedCapabilities'),
  'bodies/pod-create-hello-world-kyverno.json': allowedSilently,
  'bodies/pod-create-host-namespaces-kubewarden.json': detect('limitContainerPrivileges'),
  'bodies/pod-create-hostpaths-initcontainers-kubewarden.json': detect('restrictedVolumes'),
  // A hand-made request without a namespace: the API server always sends one for pods.
  'bodies/pod-create-image-tag-and-digest-kubewarden.json': { refused: 'namespace' },
  'bodies/pod-create-kube-rbac-proxy-gcr-kubewarden.json': block('supply-chain', 'allowedRegistries'),
  // kube-system is in the default global bypass.
  'bodies/pod-create-kube-system-kyverno.json': allowedSilently,
  'bodies/pod-create-privileged-ephemeral-kubewarden.json': detect('limitContainerPrivileges'),
  'bodies/pod-create-privileged-init-kubewarden.json': detect('limitContainerPrivileges'),
  'bodies/pod-create-runasuser-zero-kubewarden.json': allowedSilently,
  'bodies/pod-create-v1-nginx-latest-stackrox.json': allowedSilently,
  'bodies/pod-create-v1-static-web-custodian.json': allowedSilently,
  'bodies/pod-create-v1-static-web-nolabels-custodian.json': allowedSilently,
  'bodies/pod-create-v1beta1-nginx-latest-stackrox.json': { refused: 'admission.k8s.io/v1' },
  'bodies/pod-create-volumes-kubewarden.json': allowedSilently,
  'bodies/pod-delete-kyverno.json': allowedSilently,
  'bodies/pod-delete-v1-custodian.json': allowedSilently,
  'bodies/pod-status-update-kyverno.json': allowedSilently,
  'bodies/pod-update-label-removed-kyverno.json': allowedSilently,
  'bodies/pod-update-labels-kyverno.json': allowedSilently,
  'bodies/policyreport-create-custodian.json': allowedSilently,
  'derived/ephemeralcontainers-debug-derived.json': block('debug-guard', 'blockDebugContainers'),
  // The EphemeralContainers kind of Kubernetes 1.16-1.21 is judged as a debug container too.
  'derived/ephemeralcontainers-old-api-derived.json': block('debug-guard', 'blockDebugContainers'),
  'derived/exec-300-args-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-bin-ls-allowed-derived.json': allowedSilently,
  'derived/exec-eks-userinfo-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-into-learned-pod-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-kube-system-bypass-derived.json': allowedSilently,
  'derived/exec-long-sh-c-script-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-ls-allowed-derived.json': allowedSilently,
  'derived/exec-sh-c-derived.json': block('exec-guard', 'blockContainerExec'),
  // kubectl cp runs `tar` (and `test -d` first when copying in): an allow-list of `ls` blocks all three.
  'derived/exec-tar-extract-kubectl-cp-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-tar-kubectl-cp-derived.json': block('exec-guard', 'blockContainerExec'),
  'derived/exec-test-d-kubectl-cp-derived.json': block('exec-guard', 'blockContainerExec'),
  // Nine ECR images, none from an allowed registry: one event for the pod, not one per container.
  'derived/pod-create-9-ecr-digest-containers-derived.json': block('supply-chain', 'allowedRegistries'),
  // dryRun: the same verdict, and nothing recorded.
  'derived/pod-create-host-namespaces-dryrun-derived.json': { allowed: true, events: [] },
  'derived/pod-create-registry-with-port-allowed-derived.json': allowedSilently,
  'derived/pod-create-registry-with-port-denied-derived.json': block('supply-chain', 'allowedRegistries'),
  'derived/pod-update-image-to-gcr-derived.json': block('supply-chain', 'allowedRegistries'),
  'derived/portforward-derived.json': block('attach-portforward', 'blockPortForward'),
  'derived/portforward-no-ports-derived.json': block('attach-portforward', 'blockPortForward'),
};

const corpus = [...admissionReviewFiles('bodies'), ...admissionReviewFiles('derived')];
let clusters = 0;

beforeAll(async () => {
  const group = (await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body;
  expect((await vigil.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true })).status).toBe(200);
  for (const policy of POLICIES) {
    const created = await vigil.api('POST', '/v1/policies', { type: 'container', ...policy });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
}, 60_000);

describe('the shared AdmissionReview corpus, replayed over HTTP', () => {
  it('has an expected outcome for every body, and no outcome for a body that is gone', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...corpus].sort());
  });

  it.each(corpus)('%s', async (file) => {
    const expected = EXPECTED[file];
    expect(expected, `no expected outcome for ${file}`).toBeDefined();
    // Each body goes to a cluster of its own, so that its audit events are exactly the ones it caused.
    const cluster = `corpus-${clusters++}`;
    const registered = await vigil.api('POST', '/v1/clusters', { name: cluster });
    expect(registered.status).toBe(201);
    const answer = await vigil.post(`${registered.body.webhookUrl as string}?timeout=10s`, readAdmissionReview(file));
    if (expected!.refused) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain(expected!.refused);
    } else {
      expect(answer.status).toBe(200);
      const response = answer.body.response;
      expect(response.allowed).toBe(expected!.allowed);
      if (expected!.allowed) expect(response.status?.code).toBeUndefined();
      else expect(response.status.code).toBe(403);
    }
    const events = (await vigil.api('GET', `/v1/audit-events?cluster=${cluster}`)).body.items as any[];
    const stored = events.map((event) => `${event.status}/${event.policy}/${event.control}`).sort();
    expect(stored).toEqual([...(expected!.events ?? [])].sort());
  });
});
