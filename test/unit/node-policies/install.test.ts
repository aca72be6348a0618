import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  nodeAgentInstall,
  POLICY_EVENT_TYPES,
  TETRAGON_EXPORT_DIRECTORY,
  TETRAGON_EXPORT_FILENAME,
  type KubernetesObject,
  type NodeAgentInstallOptions,
} from '../../../layers/core/index.js';
import { validateKubernetesObject, VALIDATED_KINDS } from '../../support/kubernetes-objects.js';
import { tetragonDataDir } from '../../support/tetragon-schema.js';

const options: NodeAgentInstallOptions = {
  cluster: 'Prod_EU.1',
  enforcerUrl: 'https://vigil.example.com',
  token: 'vigil_agt_test-token-0123456789abcdef',
  image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/vigil-node-agent:0.1.0',
  namespace: 'vigil-system',
};

const install = nodeAgentInstall(options);
const byKind = (kind: string, name?: string): any => {
  const found = install.objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  expect(found).toHaveLength(1);
  return found[0];
};
const workloads = () => [byKind('Deployment'), byKind('DaemonSet')];

describe('node agent install manifests', () => {
  it('are the namespace, two service accounts, the bridge RBAC, the token Secret and the two workloads, in apply order', () => {
    expect(install.objects.map((object) => `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`)).toEqual([
      'Namespace//vigil-system',
      'ServiceAccount/vigil-system/vigil-bridge',
      'ServiceAccount/vigil-system/vigil-forwarder',
      'ClusterRole//vigil-bridge',
      'ClusterRoleBinding//vigil-bridge',
      'Secret/vigil-system/vigil-node-agent-token',
      'Deployment/vigil-system/vigil-bridge',
      'DaemonSet/vigil-system/vigil-forwarder',
    ]);
  });

  it('are deterministic: the same options give the same bytes', () => {
    expect(JSON.stringify(nodeAgentInstall({ ...options }))).toBe(JSON.stringify(install));
    const elsewhere = nodeAgentInstall({ ...options, namespace: 'security-agents' });
    const names = (objects: readonly KubernetesObject[]) => objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.name);
    expect(names(elsewhere.objects)).toEqual(names(install.objects));
    expect(elsewhere.objects.filter((object) => object.metadata.namespace !== undefined).map((o) => o.metadata.namespace)).toEqual(
      Array(5).fill('security-agents'),
    );
  });

  it('validate as Kubernetes objects (metadata and selectors against the OpenAPI document, the rest structurally)', () => {
    for (const object of install.objects) {
      expect(VALIDATED_KINDS).toContain(object.kind);
      expect({ object: `${object.kind}/${object.metadata.name}`, problems: validateKubernetesObject(object) }).toEqual({
        object: `${object.kind}/${object.metadata.name}`,
        problems: [],
      });
    }
  });

  it('the validator refuses what an API server refuses (so the check above can fail)', () => {
    const deployment = structuredClone(byKind('Deployment'));
    deployment.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other';
    deployment.spec.template.spec.containers[0].resources.requests.memory = '1Gi';
    deployment.spec.template.spec.containers[0].volumeMounts = [{ name: 'missing', mountPath: '/x' }];
    deployment.spec.template.spec.hostNetwrok = true;
    expect(validateKubernetesObject(deployment)).toEqual(['spec.template.spec.hostNetwrok: unknown field']);
    delete deployment.spec.template.spec.hostNetwrok;
    expect(validateKubernetesObject(deployment)).toEqual([
      'spec.template.metadata.labels: `selector` does not match template `labels`',
      'spec.template.spec.containers[0].volumeMounts[0].name: no volume "missing"',
      'spec.template.spec.containers[0].resources.requests.memory: must be less than or equal to the limit',
    ]);
    const role = { ...byKind('ClusterRole'), metadata: { name: 'Vigil Bridge', namespace: 'x' } };
    expect(validateKubernetesObject(role)).toEqual([
      'metadata.name: "Vigil Bridge" is not a valid name',
      'metadata.namespace: not allowed for ClusterRole',
    ]);
    expect(validateKubernetesObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([
      'kind: "Pod" is not one this validator knows',
    ]);
  });

  it('give the bridge only the verbs server-side apply, list by label and delete need, on the two Tetragon kinds', () => {
    const roles = install.objects.filter((object) => ['ClusterRole', 'Role'].includes(object.kind));
    expect(roles).toHaveLength(1);
    expect(byKind('ClusterRole').rules).toEqual([
      {
        apiGroups: ['cilium.io'],
        resources: ['tracingpolicies', 'tracingpoliciesnamespaced'],
        verbs: ['create', 'delete', 'list', 'patch'],
      },
    ]);
    expect(byKind('ClusterRoleBinding')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'vigil-bridge' },
      subjects: [{ kind: 'ServiceAccount', name: 'vigil-bridge', namespace: 'vigil-system' }],
    });
    expect(byKind('Deployment').spec.template.spec.serviceAccountName).toBe('vigil-bridge');
  });

  it('give the forwarder no Kubernetes API access at all', () => {
    const bindings = install.objects.filter((object) => object.kind.endsWith('Binding')) as any[];
    expect(bindings.flatMap((binding) => binding.subjects.map((subject: { name: string }) => subject.name))).not.toContain(
      'vigil-forwarder',
    );
    expect(byKind('ServiceAccount', 'vigil-forwarder').automountServiceAccountToken).toBe(false);
    const pod = byKind('DaemonSet').spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'vigil-forwarder', automountServiceAccountToken: false });
  });

  it('run both agents non-root, read-only, without capabilities, under RuntimeDefault seccomp, with requests and limits', () => {
    for (const workload of workloads()) {
      const pod = workload.spec.template.spec;
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        expect(container.image).toBe(options.image);
        expect(container.securityContext).toEqual({
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('run one bridge, and a forwarder on every node reading Tetragon’s export directory read-only', () => {
    const bridge = byKind('Deployment');
    expect(bridge.spec.replicas).toBe(1);
    expect(bridge.spec.template.spec.containers[0].args).toEqual(['bridge']);
    expect(bridge.spec.template.spec.containers[0].env.map((env: { name: string }) => env.name)).toEqual([
      'VIGIL_URL',
      'VIGIL_CLUSTER',
      'VIGIL_TOKEN',
    ]);
    const forwarder = byKind('DaemonSet').spec.template.spec;
    expect(forwarder.tolerations).toEqual([{ operator: 'Exists' }]);
    const hostPaths = forwarder.volumes.filter((volume: { hostPath?: unknown }) => volume.hostPath);
    expect(hostPaths).toEqual([{ name: 'tetragon-export', hostPath: { path: install.tetragonValues.exportDirectory, type: 'Directory' } }]);
    const container = forwarder.containers[0];
    expect(container.volumeMounts).toContainEqual({ name: 'tetragon-export', mountPath: TETRAGON_EXPORT_DIRECTORY, readOnly: true });
    const exportFile = `${install.tetragonValues.exportDirectory}/${install.tetragonValues.tetragon.exportFilename}`;
    expect(container.args).toEqual([
      'forward',
      '--url',
      options.enforcerUrl,
      '--cluster',
      options.cluster,
      '--file',
      exportFile,
      '--checkpoint',
      '/var/lib/vigil/forwarder.json',
    ]);
    // The export file is written root:root with exportFilePerm: the forwarder reads it through the group.
    expect(install.tetragonValues.tetragon.exportFilePerm).toBe('640');
    expect(forwarder.securityContext.supplementalGroups).toEqual([0]);
  });

  it('put the token in the Secret only; the containers reference it', () => {
    const text = JSON.stringify(install.objects);
    expect(text.split(options.token)).toHaveLength(2);
    expect(byKind('Secret')).toMatchObject({ type: 'Opaque', stringData: { token: options.token } });
    for (const workload of workloads())
      expect(workload.spec.template.spec.containers[0].env).toContainEqual({
        name: 'VIGIL_TOKEN',
        valueFrom: { secretKeyRef: { name: 'vigil-node-agent-token', key: 'token' } },
      });
  });

  it('recommend Tetragon values that export the policy events the forwarder maps, host events included', () => {
    const values = install.tetragonValues;
    expect(values.exportDirectory).toBe('/var/run/cilium/tetragon');
    expect(values.tetragon.exportFilename).toBe(TETRAGON_EXPORT_FILENAME);
    const allow = JSON.parse(values.tetragon.exportAllowList);
    expect(allow).toEqual({ event_set: [...POLICY_EVENT_TYPES].map((type) => type.toUpperCase()).sort() });
    // The chart's default deny list drops namespace "" (every host process): nothing is denied here.
    expect(values.tetragon.exportDenyList).toBe('');
    expect(values.tetragon.exportFileCompress).toBe(false);
    expect(values.tetragon.exportFileMaxBackups).toBeGreaterThan(0);
    // The real exported events: the policy event is kept, the process_exec lines (which carry no policy) are not.
    const kept = (line: Record<string, unknown>) => allow.event_set.some((type: string) => type.toLowerCase() in line);
    const kprobe = JSON.parse(readFileSync(join(tetragonDataDir, 'examples', 'process_kprobe.json'), 'utf8'));
    expect(kept(kprobe)).toBe(true);
    const execs = readFileSync(join(tetragonDataDir, 'examples', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(execs.length).toBeGreaterThan(0);
    expect(execs.filter(kept)).toEqual([]);
  });

  it('carry only string label values and names Kubernetes accepts for any cluster name Vigil accepts', () => {
    const odd = nodeAgentInstall({ ...options, cluster: 'a'.repeat(100) });
    for (const object of odd.objects as KubernetesObject[]) expect(validateKubernetesObject(object)).toEqual([]);
  });
});
