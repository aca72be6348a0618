import type { Action, ControlDefinition, PolicyType } from '../catalog.js';
import { compileGlob, isLiteralGlob, type GlobMatcher } from '../scope/index.js';
import type { ContainerFacts, DecisionEvent, EventOf, Finding, PodFacts } from './events.js';

/** A control of one policy, its options compiled once. */
export interface CompiledControl {
  readonly definition: ControlDefinition;
  /** Returns what the control objects to in the event; empty means no violation. */
  readonly evaluate: (event: DecisionEvent) => readonly Finding[];
  /**
   * The findings of `evaluate` joined into one violation message ("; " between them), or undefined when
   * there are none. `decision` numbers the decision being made (see decide): controls of the same kind
   * with other settings then share what they derive from the event, and equal messages are built once.
   * 0 shares nothing.
   */
  readonly message: (event: DecisionEvent, decision: number) => string | undefined;
}

type Options = Readonly<Record<string, unknown>>;
type Evaluate = (event: DecisionEvent) => readonly Finding[];
type Message = (event: DecisionEvent, decision: number) => string | undefined;
/** A control's evaluation; `message` when it can do better than joining what `evaluate` found. */
type Evaluator = (options: Options) => Evaluate | { readonly evaluate: Evaluate; readonly message: Message };

function joinMessages(findings: readonly Finding[]): string | undefined {
  if (findings.length === 0) return undefined;
  if (findings.length === 1) return findings[0]!.message;
  return findings.map((finding) => finding.message).join('; ');
}

/**
 * A value derived from the event once per decision, however many controls ask for it: the decision number
 * tells a later decision's event from this one's, so nothing is ever carried from one request to another.
 */
function perDecision<E, T>(derive: (event: E) => T): (event: E, decision: number) => T {
  let memoDecision = 0;
  let memo: T | undefined;
  return (event, decision) => {
    if (decision === 0) return derive(event);
    if (memoDecision !== decision) {
      memo = derive(event);
      memoDecision = decision;
    }
    return memo!;
  };
}

const NONE: readonly Finding[] = [];

function strings(options: Options, key: string): readonly string[] {
  const value = options[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function flag(options: Options, key: string): boolean {
  // Options default to the safer choice: only an explicit false turns a check off.
  return options[key] !== false;
}

/** The last path segment: what a pattern without "/" is compared with. */
export function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/** Any of the globs matches the value: literals are one set lookup for all of them, the others are tried one by one. */
function anyGlob(patterns: readonly string[]): (value: string) => boolean {
  const literals = new Set<string>();
  const globs: GlobMatcher[] = [];
  for (const pattern of patterns) {
    if (isLiteralGlob(pattern)) literals.add(pattern);
    else globs.push(compileGlob(pattern));
  }
  if (globs.length === 0) return literals.size === 0 ? () => false : (value) => literals.has(value);
  return (value) => {
    if (literals.has(value)) return true;
    for (const glob of globs) if (glob(value)) return true;
    return false;
  };
}

/** Program patterns: with "/" they match the full path, without it the basename. */
function programMatcher(patterns: readonly string[]): (program: string) => boolean {
  const full = patterns.filter((pattern) => pattern.includes('/'));
  const base = patterns.filter((pattern) => !pattern.includes('/'));
  const fullMatches = anyGlob(full);
  const baseMatches = anyGlob(base);
  if (base.length === 0) return fullMatches;
  return (program) => fullMatches(program) || baseMatches(basename(program));
}

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

/** A value in a message: JSON-quoted, cut to 200 characters. */
export function quoted(text: string): string {
  if (text.length > 200) return JSON.stringify(`${text.slice(0, 200)}…`);
  // Most values (program names, container names, paths) need no escaping, and JSON.stringify is among the
  // costlier steps of a decision: quote them directly when the result would be the same.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Control characters, '"', '\' and surrogates (a lone one is escaped) are left to JSON.stringify.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

// ---------------------------------------------------------------- pod-spec controls

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

const limitContainerPrivileges: Evaluator = (options) => {
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

const noNewPrivileges = podSpecControl((pod) =>
  forEachContainer(pod, (c) =>
    c.allowPrivilegeEscalation === false
      ? undefined
      : { key: `nnp:${c.kind}/${c.name}`, message: `${containerLabel(c)} does not set allowPrivilegeEscalation: false` },
  ),
);

const readOnlyRootFilesystem = podSpecControl((pod) =>
  forEachContainer(pod, (c) =>
    c.readOnlyRootFilesystem === true
      ? undefined
      : { key: `rorfs:${c.kind}/${c.name}`, message: `${containerLabel(c)} does not set readOnlyRootFilesystem: true` },
  ),
);

const blockedCapabilities: Evaluator = (options) => {
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

const restrictedVolumes: Evaluator = (options) => {
  const blocked = anyGlob(strings(options, 'paths'));
  return podSpecControl((pod) =>
    pod.hostPaths.filter(blocked).map((path) => ({ key: `hostPath:${path}`, message: `pod mounts the blocked host path ${quoted(path)}` })),
  )(options);
};

const allowedRegistries: Evaluator = (options) => {
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

// ---------------------------------------------------------------- Kubernetes CONNECT controls

/** What every blockContainerExec setting derives from an exec: the program and the finding about it. */
const execFinding = perDecision((event: EventOf<'exec'>) => {
  // `bash -c …` is `bash`: the allow-list names programs, not command lines.
  const program = event.command[0] ?? '';
  return { program, findings: [{ key: 'exec', message: `exec of ${quoted(program)} is not an allowed process` }] as readonly Finding[] };
});

const blockContainerExec: Evaluator = (options) => {
  const allowed = programMatcher(strings(options, 'allowedProcesses'));
  const findingsOf = (event: DecisionEvent, decision: number): readonly Finding[] => {
    if (event.action !== 'exec') return NONE;
    const { program, findings } = execFinding(event, decision);
    return program !== '' && allowed(program) ? NONE : findings;
  };
  return { evaluate: (event) => findingsOf(event, 0), message: (event, decision) => joinMessages(findingsOf(event, decision)) };
};

function always(action: Action, message: string): Evaluator {
  return () => (event) => (event.action === action ? [{ key: action, message }] : NONE);
}

// ---------------------------------------------------------------- process, network, file, login controls

function programOf(event: Extract<DecisionEvent, { action: 'process' }>): string {
  return event.resolvedPath ?? event.executable;
}

function processControl(check: (event: Extract<DecisionEvent, { action: 'process' }>, options: Options) => Finding | undefined): Evaluator {
  return (options) => (event) => {
    if (event.action !== 'process') return NONE;
    const finding = check(event, options);
    return finding ? [finding] : NONE;
  };
}

/** Matches a program pattern against the invoked name and the resolved path. */
function programIn(patterns: readonly string[]): (event: Extract<DecisionEvent, { action: 'process' }>) => boolean {
  const matches = programMatcher(patterns);
  return (event) => matches(event.executable) || (event.resolvedPath !== undefined && matches(event.resolvedPath));
}

const blockedExecutables: Evaluator = (options) => {
  const blocked = programIn(strings(options, 'executables'));
  return processControl((event) =>
    blocked(event) ? { key: 'blocked', message: `${quoted(programOf(event))} is a blocked executable` } : undefined,
  )(options);
};

const driftPrevention: Evaluator = (options) => {
  const allowed = programIn(strings(options, 'allowedExecutables'));
  return processControl((event) => {
    const program = programOf(event);
    const underTmp = program === '/tmp' || program.startsWith('/tmp/');
    if (!underTmp && event.createdAfterStart !== true) return undefined;
    if (allowed(event)) return undefined;
    const why = underTmp ? 'is located under /tmp' : 'was created after the workload started';
    return { key: 'drift', message: `${quoted(program)} ${why} (drift)` };
  })(options);
};

const blockAllProcesses: Evaluator = (options) => {
  const allowed = programIn(strings(options, 'allowedExecutables'));
  return processControl((event) =>
    allowed(event) ? undefined : { key: 'process', message: `starting ${quoted(programOf(event))} is not allowed` },
  )(options);
};

const reverseShell: Evaluator = (options) => {
  const allowedProgram = programIn(strings(options, 'allowedProcesses'));
  const allowedIp = anyGlob(strings(options, 'allowedIps'));
  return processControl((event) => {
    if (event.socketPeer === undefined || allowedProgram(event) || allowedIp(event.socketPeer)) return undefined;
    return {
      key: 'reverseShell',
      message: `${quoted(programOf(event))} has its standard streams connected to ${event.socketPeer} (reverse shell)`,
    };
  })(options);
};

const forkGuard: Evaluator = (options) => {
  const limit = typeof options.processLimit === 'number' ? options.processLimit : 1000;
  return processControl((event) =>
    event.processCount !== undefined && event.processCount > limit
      ? { key: 'fork', message: `${event.processCount} processes exceed the limit of ${limit}` }
      : undefined,
  )(options);
};

/** Port lists such as ["22", "1000-2000"]. */
function portMatcher(ranges: readonly string[]): (port: number) => boolean {
  const parsed = ranges.map((range) => {
    const [low, high] = range.split('-').map(Number);
    return { low: low ?? 0, high: high ?? low ?? 0 };
  });
  return (port) => parsed.some((r) => port >= r.low && port <= r.high);
}

const portBlock: Evaluator = (options) => {
  const inbound = portMatcher(strings(options, 'inbound'));
  const outbound = portMatcher(strings(options, 'outbound'));
  return (event) => {
    if (event.action !== 'network') return NONE;
    const blocked = event.direction === 'inbound' ? inbound(event.port) : outbound(event.port);
    return blocked ? [{ key: 'port', message: `${event.direction} connection on blocked port ${event.port}` }] : NONE;
  };
};

const networkEgress: Evaluator = (options) => {
  const allowedHost = anyGlob(strings(options, 'allowedHosts'));
  const ports = Array.isArray(options.allowedPorts) ? new Set(options.allowedPorts as number[]) : new Set<number>();
  return (event) => {
    if (event.action !== 'network' || event.direction !== 'outbound') return NONE;
    if (!allowedHost(event.host)) return [{ key: 'host', message: `outbound connection to ${quoted(event.host)} is not allowed` }];
    if (ports.size > 0 && !ports.has(event.port))
      return [{ key: 'port', message: `outbound connection to ${quoted(event.host)} on port ${event.port} is not allowed` }];
    return NONE;
  };
};

const writeOperations = new Set(['create', 'modify', 'delete', 'attributes']);

const readOnlyFiles: Evaluator = (options) => {
  const protectedPath = anyGlob(strings(options, 'paths'));
  const exception = anyGlob(strings(options, 'exceptions'));
  return (event) => {
    if (event.action !== 'file' || !writeOperations.has(event.operation)) return NONE;
    if (!protectedPath(event.path) || exception(event.path)) return NONE;
    return [{ key: 'write', message: `${event.operation} of read-only path ${quoted(event.path)}` }];
  };
};

const fileIntegrityMonitoring: Evaluator = (options) => {
  const watched = anyGlob(strings(options, 'paths'));
  const exception = anyGlob(strings(options, 'exceptions'));
  const operations = new Set(strings(options, 'operations'));
  return (event) => {
    if (event.action !== 'file' || !operations.has(event.operation)) return NONE;
    if (!watched(event.path) || exception(event.path)) return NONE;
    return [{ key: 'fim', message: `${event.operation} of monitored path ${quoted(event.path)}` }];
  };
};

const osUsers: Evaluator = (options) => {
  const allowedList = strings(options, 'allowed');
  const allowed = anyGlob(allowedList);
  const blocked = anyGlob(strings(options, 'blocked'));
  return (event) => {
    if (event.action !== 'login') return NONE;
    if (blocked(event.user)) return [{ key: 'blocked', message: `login of blocked user ${quoted(event.user)}` }];
    if (allowedList.length > 0 && !allowed(event.user))
      return [{ key: 'notAllowed', message: `login of user ${quoted(event.user)}, who is not in the allowed list` }];
    return NONE;
  };
};

const loginAuditing: Evaluator = () => (event) =>
  event.action === 'login'
    ? [{ key: 'login', message: `${event.success ? 'login' : 'failed login'} of user ${quoted(event.user)}` }]
    : NONE;

const honeypot: Evaluator = () => (event) =>
  event.action === 'honeypot'
    ? [{ key: 'honeypot', message: `honeypot credentials were read from the ${event.source}${event.detail ? ` (${event.detail})` : ''}` }]
    : NONE;

const evaluators: Readonly<Record<PolicyType, Readonly<Record<string, Evaluator>>>> = {
  container: {
    blockContainerExec,
    blockContainerAttach: always('attach', 'attaching to a running container is not allowed'),
    blockPortForward: always('portforward', 'port forwarding to a pod is not allowed'),
    blockDebugContainers: always('debug', 'adding a debug (ephemeral) container is not allowed'),
    limitContainerPrivileges,
    noNewPrivileges,
    blockedCapabilities,
    restrictedVolumes,
    allowedRegistries,
    readOnlyRootFilesystem,
    driftPrevention,
    blockedExecutables,
    reverseShell,
    forkGuard,
    portBlock,
    readOnlyFiles,
    fileIntegrityMonitoring,
  },
  function: { blockedExecutables, driftPrevention, blockAllProcesses, honeypot, networkEgress },
  host: { blockedExecutables, fileIntegrityMonitoring, readOnlyFiles, osUsers, loginAuditing, portBlock },
};

/** Compiles one enabled control of a policy; undefined when the engine has no evaluator for it. */
export function compileControl(definition: ControlDefinition, options: Options): CompiledControl | undefined {
  const evaluator = evaluators[definition.policyType][definition.key];
  if (!evaluator) return undefined;
  const compiled = evaluator(options);
  if (typeof compiled !== 'function') return { definition, evaluate: compiled.evaluate, message: compiled.message };
  return { definition, evaluate: compiled, message: (event) => joinMessages(compiled(event)) };
}
