import type { PolicyInput } from './schemas/policy.js';

/** A predefined policy users start from (`GET /v1/policy-templates`, `POST /v1/policies {"template": …}`). */
export interface PolicyTemplate {
  /** Stable identifier used by the API and the CLI; also the default policy name. */
  readonly id: string;
  readonly title: string;
  /** Why the template enables what it enables, with the benchmark items it maps to and the ones it cannot cover. */
  readonly description: string;
  /** A complete policy (it passes policySchema as it is); `name` equals `id`. */
  readonly policy: PolicyInput;
}

/** Thrown for a template id that does not exist; the API turns it into 404 or 400. */
export class UnknownTemplateError extends Error {
  override readonly name = 'UnknownTemplateError';
  readonly templateId: string;
  readonly knownIds: readonly string[];

  constructor(templateId: string, knownIds: readonly string[]) {
    super(`unknown policy template "${templateId}" (known: ${knownIds.join(', ')})`);
    this.templateId = templateId;
    this.knownIds = knownIds;
  }
}

// Templates are shared module state handed out to every caller: freezing them turns an accidental
// mutation (say, a handler editing the template instead of a copy) into an immediate TypeError.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const defaultTemplate: PolicyTemplate = {
  id: 'default',
  title: 'Default runtime policy',
  description:
    'Interactive access into running pods is how most hands-on-keyboard intrusions and many accidental outages start, ' +
    'so this policy flags kubectl exec (including kubectl cp: no process is allowed), attach, port-forward and ephemeral ' +
    'debug containers. It also flags new pods that run privileged or share the host network, PID or IPC namespace, the ' +
    'four settings that remove container isolation outright. Root users, low ports and added capabilities are left off ' +
    'here because many stock images trip them; the cis-kubernetes and nist-800-190 templates turn them on. Every control ' +
    'is evaluated by the admission webhook itself (kube_enforcer), so the policy works without node agents. It starts in ' +
    'audit mode: review the Detect events, add allowed processes for legitimate exec use, then switch to enforce.',
  policy: {
    name: 'default',
    type: 'container',
    description:
      'Flags exec, attach, port-forward and debug containers in running pods, and privileged or host-namespace pods. ' +
      'Audit first; enforce once the Detect events are understood.',
    enabled: true,
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls: {
      blockContainerExec: { enabled: true, allowedProcesses: [] },
      blockContainerAttach: { enabled: true },
      blockPortForward: { enabled: true },
      blockDebugContainers: { enabled: true },
      limitContainerPrivileges: {
        enabled: true,
        privileged: true,
        hostNetwork: true,
        hostPid: true,
        hostIpc: true,
        rootUser: false,
        lowPortBinding: false,
        addCapabilities: false,
      },
    },
  },
};

const cisTemplate: PolicyTemplate = {
  id: 'cis-kubernetes',
  title: 'CIS Kubernetes Benchmark v1.8.0 — Pod Security Standards (5.2)',
  description:
    'Admission checks for the pod-security recommendations in section 5.2 of the CIS Kubernetes Benchmark v1.8.0 ' +
    '(the numbering is unchanged in v1.9.0; the separate CIS Amazon EKS Benchmark numbers these items differently). ' +
    'Covered: 5.2.2 privileged containers (limitContainerPrivileges.privileged); 5.2.3 hostPID (hostPid); 5.2.4 hostIPC ' +
    '(hostIpc); 5.2.5 hostNetwork (hostNetwork); 5.2.6 allowPrivilegeEscalation (noNewPrivileges: every container must ' +
    'set allowPrivilegeEscalation: false); 5.2.7 root containers (rootUser: runAsNonRoot or a non-zero runAsUser is ' +
    'required); 5.2.9 added capabilities (addCapabilities); 5.2.12 HostPath volumes (restrictedVolumes "/*" matches every ' +
    'hostPath). Partly covered: 5.2.8 NET_RAW — blockedCapabilities names NET_RAW (and SYS_ADMIN, the capability closest ' +
    'to privileged), but Vigil flags containers that add it and cannot see the runtime default set, so containers that do ' +
    'not drop NET_RAW still pass; 5.2.10 capabilities assigned — only added capabilities are seen. Not covered: 5.2.1 is ' +
    'organisational (running this webhook is one such mechanism), 5.2.11 Windows HostProcess containers (EKS Linux nodes ' +
    'only) and 5.2.13 hostPort (the lowPortBinding check looks at container ports below 1024, which is not what 5.2.13 ' +
    'asks, so it is off). Read-only root filesystems are not a 5.2 item; see the nist-800-190 template. All checks act on ' +
    'new pods only and start in audit mode.',
  policy: {
    name: 'cis-kubernetes',
    type: 'container',
    description:
      'CIS Kubernetes Benchmark v1.8.0 section 5.2: 5.2.2 privileged, 5.2.3 hostPID, 5.2.4 hostIPC, 5.2.5 hostNetwork, ' +
      '5.2.6 allowPrivilegeEscalation, 5.2.7 root containers, 5.2.8 NET_RAW (added only), 5.2.9 added capabilities, ' +
      '5.2.12 HostPath volumes. Not covered: 5.2.1, 5.2.10 (partly), 5.2.11, 5.2.13.',
    enabled: true,
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls: {
      limitContainerPrivileges: {
        enabled: true,
        privileged: true,
        hostPid: true,
        hostIpc: true,
        hostNetwork: true,
        rootUser: true,
        addCapabilities: true,
        lowPortBinding: false,
      },
      noNewPrivileges: { enabled: true },
      blockedCapabilities: { enabled: true, capabilities: ['NET_RAW', 'SYS_ADMIN'] },
      restrictedVolumes: { enabled: true, paths: ['/*'] },
    },
  },
};

const nistTemplate: PolicyTemplate = {
  id: 'nist-800-190',
  title: 'NIST SP 800-190 runtime countermeasures',
  description:
    'Runtime controls for the countermeasures of NIST SP 800-190 (Application Container Security Guide, September 2017). ' +
    '§4.4.3 insecure container runtime configurations: pods that run privileged, share host namespaces, run as root or add ' +
    'capabilities, and containers that allow privilege escalation (limitContainerPrivileges, noNewPrivileges). ' +
    '§4.4.4 app vulnerabilities (detecting and preventing anomalous behaviour such as unexpected process execution, changes ' +
    'to binaries and configuration, writes to unexpected locations): read-only root filesystems (readOnlyRootFilesystem), ' +
    'executables that were not in the image (driftPrevention), reverse shells (reverseShell) and file integrity monitoring ' +
    'of system binaries and /etc (fileIntegrityMonitoring). §4.4.5 rogue containers: ephemeral debug containers added to ' +
    'running pods outside the deployment pipeline (blockDebugContainers); the audit trail names the requesting user. ' +
    '§4.5.5 host OS file system tampering: containers should very rarely mount the host file system, so every hostPath is ' +
    'flagged (restrictedVolumes "/*"). Two related items outside §4.4/§4.5 are included because they act at runtime: ' +
    '§4.3.1 unbounded administrative access (exec and attach into running containers: blockContainerExec, ' +
    'blockContainerAttach) and §4.1.5 use of untrusted images (allowedRegistries, preset to Amazon ECR and ECR Public: ' +
    'edit the list to your registries). Not covered: §4.4.1 runtime software vulnerabilities (patch the runtime), §4.4.2 ' +
    'unbounded network access (use network policies or security groups), §4.5.1–§4.5.4 (host hardening; use host policies ' +
    'for login auditing). driftPrevention, reverseShell and fileIntegrityMonitoring are applied by node agents only; the ' +
    'other controls by the admission webhook. Starts in audit mode.',
  policy: {
    name: 'nist-800-190',
    type: 'container',
    description:
      'NIST SP 800-190 runtime countermeasures: §4.4.3 runtime configuration, §4.4.4 app vulnerabilities (drift, reverse ' +
      'shells, read-only root, file integrity), §4.4.5 rogue containers, §4.5.5 host file system tampering, plus §4.3.1 ' +
      '(exec/attach) and §4.1.5 (trusted registries). Not covered: §4.4.1, §4.4.2, §4.5.1-§4.5.4.',
    enabled: true,
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls: {
      limitContainerPrivileges: {
        enabled: true,
        privileged: true,
        hostNetwork: true,
        hostPid: true,
        hostIpc: true,
        rootUser: true,
        addCapabilities: true,
        lowPortBinding: false,
      },
      noNewPrivileges: { enabled: true },
      readOnlyRootFilesystem: { enabled: true },
      driftPrevention: { enabled: true, allowedExecutables: [] },
      reverseShell: { enabled: true, allowedProcesses: [], allowedIps: [] },
      fileIntegrityMonitoring: {
        enabled: true,
        paths: ['/bin/*', '/sbin/*', '/usr/bin/*', '/usr/sbin/*', '/usr/local/bin/*', '/etc/*'],
        exceptions: [],
        operations: ['create', 'modify', 'delete', 'attributes'],
      },
      blockDebugContainers: { enabled: true },
      restrictedVolumes: { enabled: true, paths: ['/*'] },
      blockContainerExec: { enabled: true, allowedProcesses: [] },
      blockContainerAttach: { enabled: true },
      allowedRegistries: {
        enabled: true,
        registries: ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn', 'public.ecr.aws'],
      },
    },
  },
};

const lambdaTemplate: PolicyTemplate = {
  id: 'lambda-default',
  title: 'Default Lambda function protection',
  description:
    'A function that is exploited (injection, deserialisation, a poisoned dependency) typically spawns a shell or a ' +
    'download tool, drops a payload in /tmp (the only writable path) and reads the credentials in its environment. This ' +
    'policy flags the first step by blocking shells and network tools (blockedExecutables), the second by flagging any ' +
    'program run from /tmp or created after the function started (driftPrevention), and the third by planting honeypot ' +
    'AWS credentials in the environment and reporting every use of them (honeypot). Note that child_process.exec in ' +
    'Node.js and subprocess with shell=True in Python start /bin/sh: functions that do this will show Detect events for ' +
    '"sh"; allow-list them with a narrower scope before enforcing. Applied inside the function by the protection layer ' +
    '(nano_enforcer). Starts in audit mode.',
  policy: {
    name: 'lambda-default',
    type: 'function',
    description: 'Flags shells and network tools, programs run from /tmp or created at runtime, and reads of planted honeypot credentials.',
    enabled: true,
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls: {
      blockedExecutables: {
        enabled: true,
        executables: [
          'sh',
          'bash',
          'dash',
          'ash',
          'zsh',
          'ksh',
          'csh',
          'tcsh',
          'curl',
          'wget',
          'nc',
          'ncat',
          'netcat',
          'socat',
          'telnet',
          'nmap',
        ],
      },
      driftPrevention: { enabled: true, allowedExecutables: [] },
      honeypot: { enabled: true, applyOn: ['environment'] },
    },
  },
};

/** Every predefined policy, in the order the console lists them. */
export const policyTemplates: readonly PolicyTemplate[] = deepFreeze([defaultTemplate, cisTemplate, nistTemplate, lambdaTemplate]);

const byId: ReadonlyMap<string, PolicyTemplate> = new Map(policyTemplates.map((template) => [template.id, template]));

/** The template with this id, or undefined. */
export function findTemplate(id: string): PolicyTemplate | undefined {
  return byId.get(id);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Copies plain objects and arrays so that results never share structure with the frozen templates. */
function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (isPlainObject(value)) return mergeInto({}, value);
  return value;
}

/**
 * Writes `source` over `target` (which it mutates and returns): objects merge key by key, anything else (arrays,
 * strings, null) replaces. An `undefined` value means "not given" and leaves the target alone.
 */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    const next = isPlainObject(current) && isPlainObject(value) ? mergeInto(mergeInto({}, current), value) : copyJson(value);
    // defineProperty, not assignment: a JSON key "__proto__" must become an ordinary (and then rejected)
    // field rather than replace the prototype of the object being built.
    Object.defineProperty(target, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return target;
}

/**
 * Deep-merges `overrides` (name, description, enforcementMode, scope, controls, …) over a template's policy and
 * returns the input for policySchema; throws UnknownTemplateError for an unknown id.
 *
 * The result is deliberately unvalidated: the caller parses it like any other request body, so a bad override
 * produces the usual validation errors with their paths. Objects merge (so `{"controls": {"blockContainerExec":
 * {"allowedProcesses": ["/bin/date"]}}}` keeps the other controls), arrays replace, and a control is switched off
 * with `{"enabled": false}`.
 */
export function policyFromTemplate(id: string, overrides: Record<string, unknown>): unknown {
  const template = byId.get(id);
  if (!template) throw new UnknownTemplateError(id, [...byId.keys()]);
  // Guards callers that pass a parsed request body straight through: an array or a string is not a set of overrides.
  if (!isPlainObject(overrides)) throw new TypeError('template overrides must be a JSON object');
  return mergeInto(copyJson(template.policy) as Record<string, unknown>, overrides);
}
