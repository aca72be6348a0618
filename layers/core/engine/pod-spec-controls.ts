import { anyGlob, flag, NONE, quoted, strings, type Evaluator, type Options } from './control-kit.js';
import type { ContainerFacts, Finding, PodFacts } from './events.js';

// Controls judging a pod's specification when it is created, updated or debugged.

/**
 * The registry of an image reference, as parseImageReference reports it, without taking the rest apart:
 * allowedRegistries asks for it once per container and policy.
 */
export function imageRegistry(image: string): string {
  const slash = image.indexOf('/');
  const at = image.indexOf('@');
  if (slash < 0 || (at >= 0 && at < slash)) return 'docker.io';
  // Docker's rule: the first component is a registry when it looks like a host.
  const dot = image.indexOf('.');
  const colon = image.indexOf(':');
  const looksLikeHost = (dot >= 0 && dot < slash) || (colon >= 0 && colon < slash) || (slash === 9 && image.startsWith('localhost'));
  return looksLikeHost ? image.slice(0, slash) : 'docker.io';
}

/** Runs a per-pod check on the new pod and, for updates, reports only findings the old pod did not have. */
function podSpecControl(check: (pod: PodFacts, options: Options) => Finding[]): Evaluator {
  return (options) => (event) => {
    if (event.action !== 'create' && event.action !== 'update' && event.action !== 'debug') return NONE;
    const findings = check(event.pod, options);
    if (findings.length === 0 || !event.oldPod) return findings;
    // Fields of a running pod are mostly immutable: judging them again on every label update
    // would block harmless changes. Only what the update introduces counts.
    const before = new Set(check(event.oldPod, options).map((f) => f.key));
    return findings.filter((f) => !before.has(f.key));
  };
}

function containerLabel(c: ContainerFacts): string {
  const kind = c.kind === 'container' ? 'container' : `${c.kind} container`;
  return `${kind} ${quoted(c.name)}`;
}

function forEachContainer(pod: PodFacts, check: (c: ContainerFacts) => Finding | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const container of pod.containers) {
    const finding = check(container);
    if (finding) findings.push(finding);
  }
  return findings;
}

function normaliseCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

export const limitContainerPrivileges: Evaluator = (options) => {
  // Read once per compiled control, not once per container and request.
  const checks = {
    hostNetwork: flag(options, 'hostNetwork'),
    hostPid: flag(options, 'hostPid'),
    hostIpc: flag(options, 'hostIpc'),
    privileged: flag(options, 'privileged'),
    rootUser: flag(options, 'rootUser'),
    lowPortBinding: flag(options, 'lowPortBinding'),
    addCapabilities: flag(options, 'addCapabilities'),
  };
  return podSpecControl((pod) => {
    const findings: Finding[] = [];
    if (checks.hostNetwork && pod.hostNetwork) findings.push({ key: 'hostNetwork', message: 'pod uses the host network' });
    if (checks.hostPid && pod.hostPID) findings.push({ key: 'hostPID', message: 'pod shares the host PID namespace' });
    if (checks.hostIpc && pod.hostIPC) findings.push({ key: 'hostIPC', message: 'pod shares the host IPC namespace' });
    for (const c of pod.containers) {
      const id = `${c.kind}/${c.name}`;
      if (checks.privileged && c.privileged) findings.push({ key: `privileged:${id}`, message: `${containerLabel(c)} runs privileged` });
      if (checks.rootUser && (c.runAsUser === 0 || (c.runAsUser === undefined && c.runAsNonRoot !== true))) {
        findings.push({ key: `root:${id}`, message: `${containerLabel(c)} may run as root (set runAsNonRoot or a non-zero runAsUser)` });
      }
      if (checks.lowPortBinding) {
        const low = c.ports.find((p) => p > 0 && p < 1024);
        if (low !== undefined) findings.push({ key: `lowPort:${id}`, message: `${containerLabel(c)} binds port ${low} (below 1024)` });
      }
      if (checks.addCapabilities && c.addCapabilities.length > 0) {
        findings.push({ key: `addCaps:${id}`, message: `${containerLabel(c)} adds capabilities ${c.addCapabilities.join(', ')}` });
      }
    }
    return findings;
  })(options);
};

export const noNewPrivileges = podSpecControl((pod) =>
  forEachContainer(pod, (c) =>
    c.allowPrivilegeEscalation === false
      ? undefined
      : { key: `nnp:${c.kind}/${c.name}`, message: `${containerLabel(c)} does not set allowPrivilegeEscalation: false` },
  ),
);

export const readOnlyRootFilesystem = podSpecControl((pod) =>
  forEachContainer(pod, (c) =>
    c.readOnlyRootFilesystem === true
      ? undefined
      : { key: `rorfs:${c.kind}/${c.name}`, message: `${containerLabel(c)} does not set readOnlyRootFilesystem: true` },
  ),
);

export const blockedCapabilities: Evaluator = (options) => {
  const blocked = new Set(strings(options, 'capabilities').map(normaliseCapability));
  return podSpecControl((pod) =>
    forEachContainer(pod, (c) => {
      const hits = c.addCapabilities.filter((cap) => blocked.has(normaliseCapability(cap)) || blocked.has('ALL'));
      return hits.length === 0
        ? undefined
        : {
            key: `caps:${c.kind}/${c.name}:${hits.join(',')}`,
            message: `${containerLabel(c)} adds blocked capabilities ${hits.join(', ')}`,
          };
    }),
  )(options);
};

export const restrictedVolumes: Evaluator = (options) => {
  const blocked = anyGlob(strings(options, 'paths'));
  return podSpecControl((pod) =>
    pod.hostPaths.filter(blocked).map((path) => ({ key: `hostPath:${path}`, message: `pod mounts the blocked host path ${quoted(path)}` })),
  )(options);
};

export const allowedRegistries: Evaluator = (options) => {
  const allowed = anyGlob(strings(options, 'registries'));
  return podSpecControl((pod) =>
    forEachContainer(pod, (c) => {
      const registry = imageRegistry(c.image);
      return allowed(registry)
        ? undefined
        : {
            key: `registry:${c.kind}/${c.name}:${registry}`,
            message: `${containerLabel(c)} uses image ${quoted(c.image)} from registry ${quoted(registry)}, which is not allowed`,
          };
    }),
  )(options);
};
