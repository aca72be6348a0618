/**
 * Synthetic, reproducible configurations and admission requests for the decision benchmark.
 *
 * Shape of a configuration with N container policies:
 * - Policy i with i % 5 !== 4 (80 %) is scoped to literal clusters/namespaces through its additional
 *   criteria, sometimes combined with label conditions (see `scopedScope`).
 * - Policy i with i % 5 === 4 (20 %) is Global or wildcard/label/image scoped (see `broadScope`):
 *   the policies no literal cluster/namespace index can narrow. Exactly one of them (policy 4) is
 *   Global without criteria, i.e. applies to every workload.
 * - There are 4 clusters and max(8, N / 8) namespaces, teams and app names: value domains grow with
 *   the number of policies, as they do in real installations (more teams, more namespaces, more
 *   policies), so a workload is in scope of a roughly bounded number of policies at every N and the
 *   per-request cost measures how well the evaluator skips the others.
 *
 * Requests are built from a rotating set of workloads placed mostly in namespaces that policies name,
 * so that the candidate index is exercised on hits as well as misses.
 */
import type { ContainerFacts, ConfigSnapshot, DecisionRequest, PodFacts } from '../layers/core/engine/index.js';
import { parseImageReference } from '../layers/core/image.js';
import { policySchema, type Policy, type PolicyInput } from '../layers/core/schemas/policy.js';
import { defaultEnforcerGroups, enforcerGroupSchema, enforcerSettingsSchema, type EnforcerGroup } from '../layers/core/schemas/settings.js';
import { workloadAttributes } from '../layers/core/scope/index.js';
import { seededRandom, type Random } from './prng.js';

export const DEFAULT_SEED = 20261128;
export const CLUSTER_COUNT = 4;
export const WORKLOAD_COUNT = 64;

export type RequestKind = 'exec' | 'create';
export const requestKinds: readonly RequestKind[] = ['exec', 'create'];

/** Namespaces grow with the configuration: about 8 policies per namespace (spread over the clusters). */
export function namespaceCount(n: number): number {
  return Math.max(8, Math.round(n / 8));
}

/** One namespace in four is a `prod-…` namespace, so that `prod-*` style wildcards have something to match. */
export function namespaceName(j: number): string {
  return j % 4 === 0 ? `prod-${j}` : `ns-${j}`;
}

function clusterName(k: number): string {
  return `cluster-${k}`;
}

/** Teams (label `team`) and app numbers (label `app` = `<kind>-<number>`) grow like namespaces. */
function domainSize(n: number): number {
  return namespaceCount(n);
}

const APPS = ['web', 'api', 'worker', 'cache', 'batch', 'gateway'] as const;
const TIERS = ['frontend', 'backend', 'data', 'debug'] as const;
/** Where app images come from; the repository is named after the app. */
const IMAGE_PREFIXES = [
  '',
  'docker.io/library/',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/',
  'ghcr.io/acme/',
  'quay.io/acme/',
  'registry.k8s.io/',
  'acme/',
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/',
] as const;
const IMAGE_TAGS = ['1.27', '2.3.1', 'v1.8.0', 'latest'] as const;
const SIDECAR_IMAGES = [
  'envoyproxy/envoy:v1.31',
  'docker.io/fluent/fluent-bit:3.1',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/otel/collector:0.104',
] as const;

const PROCESS_PATTERNS = ['date', 'ls', 'cat', '/usr/bin/env', 'python*', '/bin/ba*', 'ps', 'sh'] as const;
const REGISTRY_PATTERNS = ['docker.io', '*.dkr.ecr.*.amazonaws.com', 'ghcr.io', 'quay.io', 'registry.k8s.io'] as const;
const HOST_PATH_PATTERNS = ['/var/run/docker.sock', '/etc/*', '/proc*', '/var/lib/kubelet/*'] as const;

type Variable = { attribute: string; name?: string; value: string };
interface GeneratedScope {
  expression: string;
  variables: Variable[];
  /** Cluster/namespace pairs a workload must be in to match (scoped policies only). */
  targets: Array<{ cluster: string; namespace: string }>;
}

const cluster = (value: string): Variable => ({ attribute: 'kubernetes.cluster', value });
const namespace = (value: string): Variable => ({ attribute: 'kubernetes.namespace', value });
const label = (name: string, value: string): Variable => ({ attribute: 'kubernetes.label', name, value });

/** 80 %: literal cluster and namespace, in the forms authors write. */
function scopedScope(random: Random, namespaces: number): GeneratedScope {
  const c = clusterName(random.int(CLUSTER_COUNT));
  const ns = namespaceName(random.int(namespaces));
  const targets = [{ cluster: c, namespace: ns }];
  const r = random.next();
  if (r < 0.6) return { expression: 'v1 && v2', variables: [cluster(c), namespace(ns)], targets };
  if (r < 0.75) {
    const extra = random.chance(0.5) ? label('app', `${random.pick(APPS)}-*`) : label('tier', random.pick(TIERS));
    return { expression: 'v1 && v2 && v3', variables: [cluster(c), namespace(ns), extra], targets };
  }
  if (r < 0.85) {
    const ns2 = namespaceName(random.int(namespaces));
    targets.push({ cluster: c, namespace: ns2 });
    return { expression: 'v1 && (v2 || v3)', variables: [cluster(c), namespace(ns), namespace(ns2)], targets };
  }
  if (r < 0.95) return { expression: 'v1 && v2 && !v3', variables: [cluster(c), namespace(ns), label('tier', 'debug')], targets };
  const c2 = clusterName(random.int(CLUSTER_COUNT));
  const ns2 = namespaceName(random.int(namespaces));
  targets.push({ cluster: c2, namespace: ns2 });
  return { expression: '(v1 && v2) || (v3 && v4)', variables: [cluster(c), namespace(ns), cluster(c2), namespace(ns2)], targets };
}

/** 20 %: Global, namespace wildcards, label, image and cluster-wildcard scopes: nothing a literal index can key on. */
function broadScope(random: Random, ordinal: number, n: number): GeneratedScope | undefined {
  if (ordinal === 4) return undefined; // The one Global policy without criteria: applies to everything.
  const variant = Math.floor(ordinal / 5) % 20;
  const size = domainSize(n);
  const j = random.int(size);
  const e = random.int(10);
  const app = `${random.pick(APPS)}-${random.int(size)}`;
  if (variant <= 5) {
    const pattern = random.pick([`${namespaceName(j)}*`, `*-${j}`, `n*-${j}`, `${namespaceName(j)}*${e}`]);
    return { expression: 'v1', variables: [namespace(pattern)], targets: [] };
  }
  if (variant <= 10) return { expression: 'v1', variables: [label('team', `team-${random.int(size)}`)], targets: [] };
  if (variant <= 13) return { expression: 'v1', variables: [label('app', `${app}*`)], targets: [] };
  if (variant <= 16) {
    const image = random.pick<Variable>([
      { attribute: 'container.image', value: `*/${app}:*` },
      { attribute: 'image.name', value: `acme/${app}` },
      { attribute: 'container.image', value: `*${app}:latest` },
    ]);
    return random.chance(0.5)
      ? { expression: 'v1', variables: [image], targets: [] }
      : { expression: 'v1 && !v2', variables: [image, label('tier', 'debug')], targets: [] };
  }
  return { expression: 'v1 && v2', variables: [cluster('cluster-*'), label('team', `team-${random.int(size)}`)], targets: [] };
}

function generateControls(random: Random): Record<string, Record<string, unknown>> {
  const controls: Record<string, Record<string, unknown>> = {};
  if (random.chance(0.55)) controls.blockContainerExec = { enabled: true, allowedProcesses: random.some(PROCESS_PATTERNS, random.int(4)) };
  if (random.chance(0.45)) {
    const options: Record<string, unknown> = { enabled: true };
    for (const flag of ['privileged', 'hostNetwork', 'hostPid', 'hostIpc', 'rootUser', 'lowPortBinding', 'addCapabilities']) {
      if (random.chance(0.2)) options[flag] = false;
    }
    controls.limitContainerPrivileges = options;
  }
  if (random.chance(0.4)) controls.allowedRegistries = { enabled: true, registries: random.some(REGISTRY_PATTERNS, 1 + random.int(3)) };
  if (random.chance(0.15)) controls.noNewPrivileges = { enabled: true };
  if (random.chance(0.15)) controls.readOnlyRootFilesystem = { enabled: true };
  if (random.chance(0.15))
    controls.blockedCapabilities = {
      enabled: true,
      capabilities: random.chance(0.1) ? ['ALL'] : random.some(['NET_ADMIN', 'CAP_SYS_ADMIN', 'SYS_TIME'], 1 + random.int(2)),
    };
  if (random.chance(0.15)) controls.restrictedVolumes = { enabled: true, paths: random.some(HOST_PATH_PATTERNS, 1 + random.int(2)) };
  if (random.chance(0.1)) controls.blockContainerAttach = { enabled: true };
  if (random.chance(0.05)) controls.blockPortForward = { enabled: true };
  if (random.chance(0.05)) controls.blockDebugContainers = { enabled: true };
  // Node-agent controls: stored and distributed, never acting on admission requests.
  if (random.chance(0.05)) controls.driftPrevention = { enabled: true, allowedExecutables: ['/app/*'] };
  // A disabled control must be ignored by every evaluator.
  if (random.chance(0.05)) controls.blockContainerExec = { enabled: false };
  if (!Object.values(controls).some((c) => c.enabled === true)) controls.blockContainerExec = { enabled: true, allowedProcesses: ['date'] };
  return controls;
}

/** Groups of the benchmark: the defaults plus an enforcing group and one with container protection off. */
export const enforcingGroup: EnforcerGroup = enforcerGroupSchema.parse({ name: 'enforcing-ke', type: 'kube_enforcer', enforce: true });
export const pausedGroup: EnforcerGroup = enforcerGroupSchema.parse({
  name: 'paused-ke',
  type: 'kube_enforcer',
  containerProtection: false,
});
const auditGroup: EnforcerGroup =
  defaultEnforcerGroups.find((g) => g.name === 'default-ke') ?? enforcerGroupSchema.parse({ name: 'default-ke', type: 'kube_enforcer' });

export interface BenchConfig {
  readonly n: number;
  readonly seed: number;
  readonly config: ConfigSnapshot;
  /** Cluster/namespace pairs the scoped policies name: where most workloads are placed. */
  readonly targets: ReadonlyArray<{ cluster: string; namespace: string }>;
  /** Time spent validating the generated policies with policySchema (ms). */
  readonly policyParseMs: number;
}

/** Generates N container policies, validated by policySchema, plus default settings and groups. */
export function generateConfig(n: number, seed: number = DEFAULT_SEED): BenchConfig {
  const random = seededRandom(seed ^ Math.imul(n, 0x9e3779b1));
  const namespaces = namespaceCount(n);
  const inputs: PolicyInput[] = [];
  const targets: Array<{ cluster: string; namespace: string }> = [];
  for (let i = 0; i < n; i++) {
    const scope = i % 5 === 4 ? broadScope(random, i, n) : scopedScope(random, namespaces);
    if (scope) targets.push(...scope.targets);
    const enforce = random.chance(0.3);
    inputs.push({
      name: `policy-${i}`,
      type: 'container',
      enabled: !random.chance(0.03),
      enforcementMode: enforce ? 'enforce' : 'audit',
      scope: scope
        ? { applicationScopes: ['Global'], expression: scope.expression, variables: scope.variables }
        : { applicationScopes: ['Global'] },
      controls: generateControls(random),
      version: 1 + (i % 7),
    });
  }
  const started = performance.now();
  const policies: Policy[] = inputs.map((input) => policySchema.parse(input));
  const policyParseMs = performance.now() - started;
  return {
    n,
    seed,
    targets,
    policyParseMs,
    config: {
      revision: 1,
      policies,
      applicationScopes: [],
      settings: enforcerSettingsSchema.parse({}),
      groups: [...defaultEnforcerGroups, enforcingGroup, pausedGroup],
    },
  };
}

// ---------------------------------------------------------------- workloads and requests

interface Workload {
  readonly cluster: string;
  readonly namespace: string;
  readonly podName: string;
  readonly generateName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly image: string }>;
  readonly serviceAccount: string;
  readonly owner: string;
  readonly group: EnforcerGroup;
  readonly user: { readonly name: string; readonly groups: readonly string[] };
  readonly pod: PodFacts;
  readonly command: readonly string[];
}

/** A decision request of one kind, ready for the engine. */
export interface BenchRequest {
  readonly kind: RequestKind;
  readonly request: DecisionRequest;
}

function containerFacts(random: Random, name: string, image: string, sidecar: boolean): ContainerFacts {
  if (sidecar && random.chance(0.7)) {
    return {
      name,
      kind: 'container',
      image,
      privileged: false,
      allowPrivilegeEscalation: false,
      runAsUser: 1337,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      addCapabilities: [],
      ports: [15001],
    };
  }
  const escalation = random.chance(0.5) ? false : random.chance(0.5) ? true : undefined;
  return {
    name,
    kind: 'container',
    image,
    privileged: random.chance(0.05),
    allowPrivilegeEscalation: escalation,
    runAsUser: random.chance(0.2) ? 0 : random.chance(0.5) ? 1000 : undefined,
    runAsNonRoot: random.chance(0.5) ? true : undefined,
    readOnlyRootFilesystem: random.chance(0.4) ? true : undefined,
    addCapabilities: random.chance(0.15) ? random.pick([['NET_ADMIN'], ['cap_sys_admin'], ['NET_BIND_SERVICE', 'SYS_TIME']]) : [],
    ports: random.chance(0.3) ? [80] : [8080],
  };
}

function makeWorkloads(bench: BenchConfig, count: number): Workload[] {
  const random = seededRandom((bench.seed + 7919 * bench.n) >>> 0);
  const namespaces = namespaceCount(bench.n);
  const size = domainSize(bench.n);
  const workloads: Workload[] = [];
  for (let i = 0; i < count; i++) {
    let place =
      bench.targets.length > 0 && random.chance(0.7)
        ? random.pick(bench.targets)
        : { cluster: clusterName(random.int(CLUSTER_COUNT)), namespace: namespaceName(random.int(namespaces)) };
    // One workload of the set is a system pod (global bypass) ...
    if (i === count - 1) place = { cluster: place.cluster, namespace: 'kube-system' };
    const app = `${random.pick(APPS)}-${random.int(size)}`;
    const hash = (0x10000000 + random.int(0x70000000)).toString(16).slice(0, 9);
    const generateName = `${app}-${hash}-`;
    const image = `${random.pick(IMAGE_PREFIXES)}${app}:${random.pick(IMAGE_TAGS)}`;
    const sidecar = random.pick(SIDECAR_IMAGES);
    const containers = [
      { name: 'app', image },
      { name: 'sidecar', image: sidecar },
    ];
    const hostPathRoll = random.next();
    const pod: PodFacts = {
      hostNetwork: random.chance(0.05),
      hostPID: random.chance(0.03),
      hostIPC: random.chance(0.02),
      containers: [containerFacts(random, 'app', image, false), containerFacts(random, 'sidecar', sidecar, true)],
      hostPaths: hostPathRoll < 0.1 ? ['/var/run/docker.sock'] : hostPathRoll < 0.2 ? ['/etc/ssl/certs'] : [],
    };
    // Mostly `sh`, as in `kubectl exec -it … -- sh`; some other programs exercise allow-lists.
    const command = random.pick<readonly string[]>([['sh'], ['sh'], ['sh'], ['/bin/bash', '-c', 'id'], ['date'], ['python3', '-V']]);
    workloads.push({
      cluster: place.cluster,
      namespace: place.namespace,
      podName: `${generateName}${random
        .int(1 << 20)
        .toString(36)
        .padStart(5, 'x')}`,
      generateName,
      labels: { app, team: `team-${random.int(size)}`, tier: random.pick(TIERS), 'pod-template-hash': hash },
      containers,
      serviceAccount: random.chance(0.5) ? 'default' : app,
      owner: app,
      // ... and one is seen by a group with container protection off.
      group: i === count - 2 ? pausedGroup : i % 2 === 0 ? auditGroup : enforcingGroup,
      user: random.chance(0.5)
        ? { name: 'alice@example.com', groups: ['system:authenticated', 'developers'] }
        : { name: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] },
      pod,
      command,
    });
  }
  return workloads;
}

function imageAttributes(images: readonly string[]): Record<string, string[]> {
  const refs = images.map(parseImageReference);
  return {
    'image.registry': refs.map((r) => r.registry),
    'image.name': refs.map((r) => r.name),
    'image.tag': refs.flatMap((r) => (r.tag === undefined ? [] : [r.tag])),
  };
}

/** CONNECT pods/exec into the first container of a running pod whose labels and images are known. */
function execRequest(w: Workload): BenchRequest {
  const container = w.containers[0]!;
  const workload = workloadAttributes(
    {
      'kubernetes.cluster': w.cluster,
      'kubernetes.namespace': w.namespace,
      'kubernetes.pod': w.podName,
      'kubernetes.serviceaccount': w.serviceAccount,
      'kubernetes.deployment': w.owner,
      'container.name': container.name,
      'container.image': [container.image],
      ...imageAttributes([container.image]),
      'enforcer.group': w.group.name,
      'user.name': w.user.name,
      'user.group': w.user.groups,
    },
    {
      'kubernetes.label': w.labels,
      'container.label': {
        ...w.labels,
        'io.kubernetes.pod.namespace': w.namespace,
        'io.kubernetes.pod.name': w.podName,
        'io.kubernetes.container.name': container.name,
      },
    },
  );
  return {
    kind: 'exec',
    request: {
      policyType: 'container',
      group: w.group,
      workload,
      event: { action: 'exec', container: container.name, command: w.command },
    },
  };
}

/** CREATE of a controller-made pod with two containers (its final name is not known yet). */
function createRequest(w: Workload): BenchRequest {
  const images = [...new Set(w.containers.map((c) => c.image))];
  const workload = workloadAttributes(
    {
      'kubernetes.cluster': w.cluster,
      'kubernetes.namespace': w.namespace,
      'kubernetes.serviceaccount': w.serviceAccount,
      'kubernetes.deployment': w.owner,
      'container.name': w.containers.map((c) => c.name),
      'container.image': images,
      ...imageAttributes(images),
      'enforcer.group': w.group.name,
      'user.name': w.user.name,
      'user.group': w.user.groups,
    },
    { 'kubernetes.label': w.labels, 'container.label': { ...w.labels, 'io.kubernetes.pod.namespace': w.namespace } },
  );
  return { kind: 'create', request: { policyType: 'container', group: w.group, workload, event: { action: 'create', pod: w.pod } } };
}

/** The rotating request set of one kind for one configuration (same workloads for both kinds). */
export function generateRequests(bench: BenchConfig, kind: RequestKind, count: number = WORKLOAD_COUNT): BenchRequest[] {
  const workloads = makeWorkloads(bench, count);
  return workloads.map(kind === 'exec' ? execRequest : createRequest);
}
