import type { z } from 'zod';
import type { OptionSchemaKit } from './schemas/option-kit.js';

/** The three kinds of runtime policy. */
export const policyTypes = ['container', 'function', 'host'] as const;
export type PolicyType = (typeof policyTypes)[number];

/** The kinds of enforcer that can apply controls. */
export const enforcerTypes = ['kube_enforcer', 'nano_enforcer', 'agent', 'host_enforcer'] as const;
export type EnforcerType = (typeof enforcerTypes)[number];

/** What a workload (or a person) tried to do; one audit event names one action. */
export const actions = [
  'exec',
  'attach',
  'portforward',
  'debug',
  'create',
  'update',
  'process',
  'file',
  'network',
  'honeypot',
  'login',
] as const;
export type Action = (typeof actions)[number];

/** One entry of the control catalog (`GET /v1/controls`). */
export interface ControlDefinition {
  /** Key used in a policy's `controls` object. */
  readonly key: string;
  /** The name users know from the console. */
  readonly name: string;
  readonly policyType: PolicyType;
  readonly description: string;
  /** Enforcer types able to act on this control; the control plane evaluates kube_enforcer and nano_enforcer itself. */
  readonly enforcedBy: readonly EnforcerType[];
  /** Operations the control inspects. */
  readonly actsOn: readonly Action[];
  /** A running workload must be restarted before the control applies to it. */
  readonly newWorkloadsOnly: boolean;
  /** The control only records (always Detect), whatever the enforcement mode: blocking would make no sense. */
  readonly recordOnly: boolean;
  /**
   * Builds the schema of the options besides `enabled` (every option has a default); use
   * `controlOptionsSchema`. A builder rather than a schema: the engine reads this catalog on every cold
   * start of the webhook and the protection layer, which never validate, so the catalog itself loads no
   * schema library.
   */
  readonly options: (kit: OptionSchemaKit) => z.ZodObject;
}

type ControlSpec = Omit<ControlDefinition, 'options' | 'newWorkloadsOnly' | 'recordOnly'> &
  Partial<Pick<ControlDefinition, 'options' | 'newWorkloadsOnly' | 'recordOnly'>>;

function control(definition: ControlSpec): ControlDefinition {
  return { newWorkloadsOnly: false, recordOnly: false, options: (s) => s.none, ...definition };
}

const containerControls: readonly ControlDefinition[] = [
  control({
    key: 'blockContainerExec',
    name: 'Block Container Exec',
    policyType: 'container',
    description:
      'Refuses exec into running containers (kubectl exec, kubectl cp) unless command[0] matches an allowed process. A pattern with "/" matches the full path, one without matches the basename; "bash -c …" is "bash".',
    enforcedBy: ['kube_enforcer', 'agent'],
    actsOn: ['exec'],
    options: (s) => s.z.strictObject({ allowedProcesses: s.globList }),
  }),
  control({
    key: 'blockContainerAttach',
    name: 'Block Container Attach',
    policyType: 'container',
    description: 'Refuses kubectl attach to running containers.',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['attach'],
  }),
  control({
    key: 'blockPortForward',
    name: 'Block Port Forwarding',
    policyType: 'container',
    description: 'Refuses kubectl port-forward to pods.',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['portforward'],
  }),
  control({
    key: 'blockDebugContainers',
    name: 'Block Debug Containers',
    policyType: 'container',
    description: 'Refuses adding ephemeral debug containers to running pods (kubectl debug).',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['debug'],
  }),
  control({
    key: 'limitContainerPrivileges',
    name: 'Limit Container Privileges',
    policyType: 'container',
    description:
      'Refuses pods that run privileged, share host namespaces, run as root, bind ports below 1024 or add capabilities; each check can be turned off.',
    enforcedBy: ['kube_enforcer', 'agent'],
    actsOn: ['create', 'update', 'debug'],
    newWorkloadsOnly: true,
    options: (s) =>
      s.z.strictObject({
        privileged: s.saferTrue,
        hostNetwork: s.saferTrue,
        hostPid: s.saferTrue,
        hostIpc: s.saferTrue,
        rootUser: s.saferTrue,
        lowPortBinding: s.saferTrue,
        addCapabilities: s.saferTrue,
      }),
  }),
  control({
    key: 'noNewPrivileges',
    name: 'Limit New Privileges',
    policyType: 'container',
    description: 'Requires every container to set allowPrivilegeEscalation: false (no_new_privs).',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['create', 'update', 'debug'],
    newWorkloadsOnly: true,
  }),
  control({
    key: 'blockedCapabilities',
    name: 'Capabilities Blocked',
    policyType: 'container',
    description: 'Refuses containers that add any of the listed Linux capabilities (with or without the CAP_ prefix).',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['create', 'update', 'debug'],
    options: (s) => s.z.strictObject({ capabilities: s.capabilityList }),
  }),
  control({
    key: 'restrictedVolumes',
    name: 'Volumes Blocked',
    policyType: 'container',
    description: 'Refuses pods that mount a hostPath matching one of the listed globs.',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['create', 'update'],
    options: (s) => s.z.strictObject({ paths: s.globList }),
  }),
  control({
    key: 'allowedRegistries',
    name: 'Registries Allowed',
    policyType: 'container',
    description:
      'Refuses containers whose image comes from a registry not matching the list (images without a registry come from docker.io).',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['create', 'update', 'debug'],
    options: (s) => s.z.strictObject({ registries: s.globList }),
  }),
  control({
    key: 'readOnlyRootFilesystem',
    name: 'Read-only Root Filesystem',
    policyType: 'container',
    description: 'Requires every container to set readOnlyRootFilesystem: true.',
    enforcedBy: ['kube_enforcer'],
    actsOn: ['create', 'update', 'debug'],
  }),
  control({
    key: 'driftPrevention',
    name: 'Drift Prevention',
    policyType: 'container',
    description: 'Blocks executables that were not part of the original image (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ allowedExecutables: s.globList }),
  }),
  control({
    key: 'blockedExecutables',
    name: 'Executables Blocked',
    policyType: 'container',
    description: 'Blocks the listed executables inside containers (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ executables: s.globList }),
  }),
  control({
    key: 'reverseShell',
    name: 'Block Reverse Shell',
    policyType: 'container',
    description: 'Blocks processes whose standard streams are redirected to a network socket (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['process', 'network'],
    options: (s) => s.z.strictObject({ allowedProcesses: s.globList, allowedIps: s.globList }),
  }),
  control({
    key: 'forkGuard',
    name: 'Fork Guard',
    policyType: 'container',
    description: 'Limits the number of processes in a container (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ processLimit: s.z.number().int().min(1).max(1_000_000).default(1000) }),
  }),
  control({
    key: 'portBlock',
    name: 'Port Block',
    policyType: 'container',
    description: 'Blocks inbound and outbound connections on the listed ports (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['network'],
    options: (s) => s.z.strictObject({ inbound: s.portList, outbound: s.portList }),
  }),
  control({
    key: 'readOnlyFiles',
    name: 'Read-only Files and Directories',
    policyType: 'container',
    description: 'Refuses writes to the listed paths (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['file'],
    options: (s) => s.z.strictObject({ paths: s.globList, exceptions: s.globList }),
  }),
  control({
    key: 'fileIntegrityMonitoring',
    name: 'File Integrity Monitoring',
    policyType: 'container',
    description: 'Records changes to the listed paths (enforced by node agents).',
    enforcedBy: ['agent'],
    actsOn: ['file'],
    recordOnly: true,
    options: (s) =>
      s.z.strictObject({
        paths: s.globList,
        exceptions: s.globList,
        operations: s.z
          .array(s.z.enum(['create', 'read', 'modify', 'delete', 'attributes']))
          .max(5)
          .default(['create', 'modify', 'delete', 'attributes']),
      }),
  }),
];

const functionControls: readonly ControlDefinition[] = [
  control({
    key: 'blockedExecutables',
    name: 'Executables Blocked',
    policyType: 'function',
    description: 'Refuses starting the listed programs from the function (globs on the full path or the basename).',
    enforcedBy: ['nano_enforcer'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ executables: s.globList }),
  }),
  control({
    key: 'driftPrevention',
    name: 'Block Executables in /tmp (drift)',
    policyType: 'function',
    description: 'Refuses running any program located under /tmp (after realpath) or created after the function started.',
    enforcedBy: ['nano_enforcer'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ allowedExecutables: s.globList }),
  }),
  control({
    key: 'blockAllProcesses',
    name: 'Block All Child Processes',
    policyType: 'function',
    description: 'Refuses starting any child process except the allowed executables.',
    enforcedBy: ['nano_enforcer'],
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ allowedExecutables: s.globList }),
  }),
  control({
    key: 'honeypot',
    name: 'Honeypot Credentials',
    policyType: 'function',
    description: 'Plants fake AWS credentials in the environment and/or a credentials file and reports every read of them.',
    // The fake value has been handed out by the time the read is seen: a read cannot be refused, so it is Detect.
    enforcedBy: ['nano_enforcer'],
    actsOn: ['honeypot'],
    recordOnly: true,
    options: (s) =>
      s.z.strictObject({
        accessKeyId: s.z
          .string()
          .regex(/^AKIA[A-Z0-9]{16}$/, 'must look like an access key id (AKIA followed by 16 capitals or digits)')
          .optional(),
        secretAccessKey: s.z
          .string()
          .min(16)
          .max(128)
          .optional()
          .meta({ writeOnly: true, description: 'Write-only: never returned by the API.' }),
        applyOn: s.z
          .array(s.z.enum(['environment', 'file']))
          .min(1)
          .max(2)
          .default(['environment']),
      }),
  }),
  control({
    key: 'networkEgress',
    name: 'Outbound Connections Allowed',
    policyType: 'function',
    description:
      'Refuses outbound connections to hosts not matching the allow-list; an empty allowedPorts list allows any port on an allowed host.',
    enforcedBy: ['nano_enforcer'],
    actsOn: ['network'],
    options: (s) =>
      s.z.strictObject({
        allowedHosts: s.globList,
        allowedPorts: s.z.array(s.z.number().int().min(1).max(65535)).max(1000).default([]),
      }),
  }),
];

const hostEnforcers: readonly EnforcerType[] = ['agent', 'host_enforcer'];
const hostControls: readonly ControlDefinition[] = [
  control({
    key: 'blockedExecutables',
    name: 'Executables Blocked',
    policyType: 'host',
    description: 'Blocks the listed executables on hosts.',
    enforcedBy: hostEnforcers,
    actsOn: ['process'],
    options: (s) => s.z.strictObject({ executables: s.globList }),
  }),
  control({
    key: 'fileIntegrityMonitoring',
    name: 'File Integrity Monitoring',
    policyType: 'host',
    description: 'Records changes to the listed paths on hosts.',
    enforcedBy: hostEnforcers,
    actsOn: ['file'],
    recordOnly: true,
    options: (s) =>
      s.z.strictObject({
        paths: s.globList,
        exceptions: s.globList,
        operations: s.z
          .array(s.z.enum(['create', 'read', 'modify', 'delete', 'attributes']))
          .max(5)
          .default(['create', 'modify', 'delete', 'attributes']),
      }),
  }),
  control({
    key: 'readOnlyFiles',
    name: 'Read-only Files and Directories',
    policyType: 'host',
    description: 'Refuses writes to the listed paths on hosts.',
    enforcedBy: hostEnforcers,
    actsOn: ['file'],
    options: (s) => s.z.strictObject({ paths: s.globList, exceptions: s.globList }),
  }),
  control({
    key: 'osUsers',
    name: 'OS Users and Groups',
    policyType: 'host',
    description: 'Refuses logins of blocked users, and of users outside the allowed list when it is not empty.',
    enforcedBy: hostEnforcers,
    actsOn: ['login'],
    options: (s) => s.z.strictObject({ allowed: s.globList, blocked: s.globList }),
  }),
  control({
    key: 'loginAuditing',
    name: 'Login Auditing',
    policyType: 'host',
    description: 'Records every successful and failed login.',
    enforcedBy: hostEnforcers,
    actsOn: ['login'],
    recordOnly: true,
  }),
  control({
    key: 'portBlock',
    name: 'Port Block',
    policyType: 'host',
    description: 'Blocks inbound and outbound connections on the listed ports on hosts.',
    enforcedBy: hostEnforcers,
    actsOn: ['network'],
    options: (s) => s.z.strictObject({ inbound: s.portList, outbound: s.portList }),
  }),
];

/** The whole control catalog, in the order the console shows it. */
export const controlCatalog: readonly ControlDefinition[] = [...containerControls, ...functionControls, ...hostControls];

const byType = new Map<PolicyType, ReadonlyMap<string, ControlDefinition>>(
  policyTypes.map((type) => [type, new Map(controlCatalog.filter((c) => c.policyType === type).map((c) => [c.key, c]))]),
);

/** The controls a policy of the given type may use, by key. */
export function controlsForType(type: PolicyType): ReadonlyMap<string, ControlDefinition> {
  return byType.get(type) ?? new Map();
}

/** The definition of one control of one policy type, if the type has it. */
export function findControl(type: PolicyType, key: string): ControlDefinition | undefined {
  return controlsForType(type).get(key);
}
