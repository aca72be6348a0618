/**
 * The Kubernetes objects that install Vigil's node agents in a cluster (the bridge that applies the compiled
 * Tetragon objects, and the forwarder that brings Tetragon's events back), and the Tetragon Helm values they
 * rely on. Pure: the same options give the same objects, in the same order, with the same names, so a
 * re-issued manifest differs from the applied one only where something really changed.
 */
import { POLICY_EVENT_TYPES } from './events.js';
import { TETRAGON_API_VERSION } from './tetragon.js';

/** The image the manifests name when registration names none: it exists only once built and pushed (docs/node-enforcement.md). */
export const DEFAULT_NODE_AGENT_IMAGE = 'localhost/vigil-node-agent:0.1.0';
export const DEFAULT_NODE_AGENT_NAMESPACE = 'vigil-system';

/** Where the Tetragon v1.7 chart writes its JSON export (`exportDirectory` and `tetragon.exportFilename`). */
export const TETRAGON_EXPORT_DIRECTORY = '/var/run/cilium/tetragon';
export const TETRAGON_EXPORT_FILENAME = 'tetragon.log';

/** Stable object names: the bridge, the forwarder and what they share. */
export const NODE_AGENT_NAMES = {
  bridge: 'vigil-bridge',
  forwarder: 'vigil-forwarder',
  tokenSecret: 'vigil-node-agent-token',
} as const;

/** The unprivileged user the node-agent image runs as (`USER` in layers/node-agent/Dockerfile). */
export const NODE_AGENT_USER_ID = 65532;
/**
 * Tetragon runs as root and writes its export as root:root with the mode `exportFilePerm` (recommended "640"):
 * the forwarder reads it through the group, without running as root.
 */
const EXPORT_FILE_GROUP = 0;
const CHECKPOINT_DIRECTORY = '/var/lib/vigil';

export interface NodeAgentInstallOptions {
  /** The cluster's name as registered in Vigil (the agents report events and heartbeats for it). */
  readonly cluster: string;
  /** Base URL of the control plane's HTTP API (the enforcer routes live under /v1/enforcers). */
  readonly enforcerUrl: string;
  /** The node-agent token: the agents authenticate with it as the `agent` enforcer group it was issued for. */
  readonly token: string;
  readonly image: string;
  readonly namespace: string;
}

/** A Kubernetes object as written to a manifest: plain JSON data. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

export interface NodeAgentInstall {
  /** In the order `kubectl apply -f` needs them: the namespace first, workloads last. */
  readonly objects: readonly KubernetesObject[];
  /** Values for Tetragon's Helm chart (v1.7) that the forwarder relies on. */
  readonly tetragonValues: TetragonHelmValues;
}

export interface TetragonHelmValues {
  readonly exportDirectory: string;
  readonly tetragon: {
    readonly exportFilename: string;
    readonly exportFilePerm: string;
    readonly exportFileMaxSizeMB: number;
    readonly exportFileMaxBackups: number;
    readonly exportFileCompress: boolean;
    readonly exportAllowList: string;
    readonly exportDenyList: string;
    readonly enablePolicyFilter: boolean;
    readonly enableK8sAPI: boolean;
  };
}

function labels(component: 'bridge' | 'forwarder' | 'install'): Record<string, string> {
  return { 'app.kubernetes.io/name': `vigil-${component}`, 'app.kubernetes.io/part-of': 'vigil' };
}

/** What both agents' containers share: nothing writable but what is mounted, no privilege, bounded resources. */
function restrictedContainer(memory: string) {
  return {
    imagePullPolicy: 'IfNotPresent',
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NODE_AGENT_USER_ID,
      runAsGroup: NODE_AGENT_USER_ID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory } },
  };
}

function tokenEnv() {
  return { name: 'VIGIL_TOKEN', valueFrom: { secretKeyRef: { name: NODE_AGENT_NAMES.tokenSecret, key: 'token' } } };
}

/**
 * The Tetragon Helm values the forwarder needs. The chart's default deny list drops namespace "" (every host
 * process) and kube-system, so host policies would never report: it is replaced. The allow list keeps only the
 * event types a TracingPolicy produces (the ones the forwarder maps), which also keeps the file small: exec and
 * exit events of every process are not written. Rotated files stay uncompressed because the forwarder finishes
 * reading a rotated file by its inode.
 */
export function recommendedTetragonValues(): TetragonHelmValues {
  return {
    exportDirectory: TETRAGON_EXPORT_DIRECTORY,
    tetragon: {
      exportFilename: TETRAGON_EXPORT_FILENAME,
      exportFilePerm: '640',
      exportFileMaxSizeMB: 50,
      exportFileMaxBackups: 5,
      exportFileCompress: false,
      exportAllowList: JSON.stringify({ event_set: POLICY_EVENT_TYPES.map((type) => type.toUpperCase()).sort() }),
      exportDenyList: '',
      enablePolicyFilter: true,
      enableK8sAPI: true,
    },
  };
}

/**
 * The Secret both agents read their token from. Also answered alone when the token is rotated: applying it changes
 * nothing else of the install, so an image or namespace chosen at registration stays as it is.
 */
export function nodeAgentTokenSecret(namespace: string, token: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: NODE_AGENT_NAMES.tokenSecret, namespace, labels: labels('install') },
    type: 'Opaque',
    stringData: { token },
  };
}

/** The namespace, service accounts, RBAC, token Secret, bridge Deployment and forwarder DaemonSet for one cluster. */
export function nodeAgentInstall(options: NodeAgentInstallOptions): NodeAgentInstall {
  const { namespace } = options;
  const exportFile = `${TETRAGON_EXPORT_DIRECTORY}/${TETRAGON_EXPORT_FILENAME}`;
  const commonEnv = [
    { name: 'VIGIL_URL', value: options.enforcerUrl },
    { name: 'VIGIL_CLUSTER', value: options.cluster },
  ];
  const objects: KubernetesObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        // The forwarder mounts Tetragon's export directory (hostPath, read-only), which the baseline and restricted
        // Pod Security levels refuse; the pods meet the restricted level otherwise.
        labels: { ...labels('install'), 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: NODE_AGENT_NAMES.bridge, namespace, labels: labels('bridge') },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: NODE_AGENT_NAMES.forwarder, namespace, labels: labels('forwarder') },
      // The forwarder never calls the Kubernetes API: no token reaches its pods.
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: NODE_AGENT_NAMES.bridge, labels: labels('bridge') },
      rules: [
        {
          apiGroups: [TETRAGON_API_VERSION.split('/')[0]!],
          resources: ['tracingpolicies', 'tracingpoliciesnamespaced'],
          // Server-side apply is a patch, and a create when the object does not exist yet; list by label finds
          // what Vigil applied before; delete prunes it. No get, watch or update: the bridge never needs them.
          verbs: ['create', 'delete', 'list', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: NODE_AGENT_NAMES.bridge, labels: labels('bridge') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NODE_AGENT_NAMES.bridge },
      subjects: [{ kind: 'ServiceAccount', name: NODE_AGENT_NAMES.bridge, namespace }],
    },
    nodeAgentTokenSecret(namespace, options.token),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NODE_AGENT_NAMES.bridge, namespace, labels: labels('bridge') },
      spec: {
        // One writer of the Tetragon objects: two bridges would apply and prune against each other.
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels('bridge') },
        template: {
          metadata: { labels: labels('bridge') },
          spec: {
            serviceAccountName: NODE_AGENT_NAMES.bridge,
            automountServiceAccountToken: true,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'bridge',
                image: options.image,
                args: ['bridge'],
                env: [...commonEnv, tokenEnv()],
                ...restrictedContainer('256Mi'),
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: NODE_AGENT_NAMES.forwarder, namespace, labels: labels('forwarder') },
      spec: {
        selector: { matchLabels: labels('forwarder') },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: labels('forwarder') },
          spec: {
            serviceAccountName: NODE_AGENT_NAMES.forwarder,
            automountServiceAccountToken: false,
            // Wherever Tetragon runs (its chart tolerates every taint), its events are forwarded.
            tolerations: [{ operator: 'Exists' }],
            securityContext: {
              runAsNonRoot: true,
              supplementalGroups: [EXPORT_FILE_GROUP],
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'forwarder',
                image: options.image,
                args: [
                  'forward',
                  '--url',
                  options.enforcerUrl,
                  '--cluster',
                  options.cluster,
                  '--file',
                  exportFile,
                  '--checkpoint',
                  `${CHECKPOINT_DIRECTORY}/forwarder.json`,
                ],
                env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, tokenEnv()],
                volumeMounts: [
                  { name: 'tetragon-export', mountPath: TETRAGON_EXPORT_DIRECTORY, readOnly: true },
                  { name: 'checkpoint', mountPath: CHECKPOINT_DIRECTORY },
                ],
                ...restrictedContainer('256Mi'),
              },
            ],
            volumes: [
              { name: 'tetragon-export', hostPath: { path: TETRAGON_EXPORT_DIRECTORY, type: 'Directory' } },
              // Survives container restarts; a new pod re-reads the current file, and the stable event ids
              // make the re-read store nothing twice.
              { name: 'checkpoint', emptyDir: { sizeLimit: '1Mi' } },
            ],
          },
        },
      },
    },
  ];
  return { objects, tetragonValues: recommendedTetragonValues() };
}
