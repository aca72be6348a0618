import { z } from 'zod';
import { globListSchema } from './schemas/common.js';

/** The three kinds of runtime policy. */
export const policyTypes = ['container', 'function', 'host'] as const;
export type PolicyType = (typeof policyTypes)[number];

/** The kinds of enforcer that can apply controls. */
export const enforcerTypes = ['kube_enforcer', 'nano_enforcer', 'agent', 'host_enforcer'] as const;
export type EnforcerType = (typeof enforcerTypes)[number];

/** What a workload (or a person) tried to do; one audit event names one action. */
export const actions = ['exec', 'attach', 'portforward', 'debug', 'create', 'update', 'process', 'file', 'network', 'honeypot', 'login'] as const;
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
  /** Options besides `enabled`; every option has a default. */
  readonly options: z.ZodObject;
}

// Booleans default to the safer choice: an enabled privilege limit checks everything it can.
const saferTrue = z.boolean().default(true);
const portRangeSchema = z
  .string()
  .regex(/^\d{1,5}(?:-\d{1,5})?$/, 'must be a port ("22") or a range ("1000-2000")')
  .refine((value) => value.split('-').every((port) => Number(port) >= 0 && Number(port) <= 65535), 'ports lie between 0 and 65535');
const portListSchema = z.array(portRangeSchema).max(1000).default([]);
const capabilityListSchema = z
  .array(z.string().regex(/^(?:CAP_)?[A-Z][A-Z0-9_]{0,63}$/, 'must be a Linux capability name such as NET_ADMIN'))
  .max(64)
  .default([]);

const none = z.strictObject({});

type ControlSpec = Omit<ControlDefinition, 'options' | 'newWorkloadsOnly' | 'recordOnly'> & Partial<Pick<ControlDefinition, 'options' | 'newWorkloadsOnly' | 'recordOnly'>>;

function control(definition: ControlSpec): ControlDefinition {
  return { newWorkloadsOnly: false, recordOnly: false, options: none, ...definition };
}

const containerControls: readonly ControlDefinition[] = [
  control({
    key: 'blockContainerExec', name: 'Block Container Exec', policyType: 'container',
    description: 'Refuses exec into running containers (kubectl exec, kubectl cp) unless command[0] matches an allowed process. A pattern with "/" matches the full path, one without matches the basename; "bash -c …" is "bash".',
    enforcedBy: ['kube_enforcer', 'agent'], actsOn: ['exec'],
    options: z.strictObject({ allowedProcesses: globListSchema }),
  }),
  control({
    key: 'blockContainerAttach', name: 'Block Container Attach', policyType: 'container',
    description: 'Refuses kubectl attach to running containers.',
    enforcedBy: ['kube_enforcer'], actsOn: ['attach'],
  }),
  control({
    key: 'blockPortForward', name: 'Block Port Forwarding', policyType: 'container',
    description: 'Refuses kubectl port-forward to pods.',
    enforcedBy: ['kube_enforcer'], actsOn: ['portforward'],
  }),
  control({
    key: 'blockDebugContainers', name: 'Block Debug Containers', policyType: 'container',
    description: 'Refuses adding ephemeral debug containers to running pods (kubectl debug).',
    enforcedBy: ['kube_enforcer'], actsOn: ['debug'],
  }),
  control({
    key: 'limitContainerPrivileges', name: 'Limit Container Privileges', policyType: 'container',
    description: 'Refuses pods that run privileged, share host namespaces, run as root, bind ports below 1024 or add capabilities; each check can be turned off.',
    enforcedBy: ['kube_enforcer', 'agent'], actsOn: ['create', 'update', 'debug'], newWorkloadsOnly: true,
    options: z.strictObject({
      privileged: saferTrue, hostNetwork: saferTrue, hostPid: saferTrue, hostIpc: saferTrue,
      rootUser: saferTrue, lowPortBinding: saferTrue, addCapabilities: saferTrue,
    }),
  }),
  control({
    key: 'noNewPrivileges', name: 'Limit New Privileges', policyType: 'container',
    description: 'Requires every container to set allowPrivilegeEscalation: false (no_new_privs).',
    enforcedBy: ['kube_enforcer'], actsOn: ['create', 'update', 'debug'], newWorkloadsOnly: true,
  }),
  control({
    key: 'blockedCapabilities', name: 'Capabilities Blocked', policyType: 'container',
    description: 'Refuses containers that add any of the listed Linux capabilities (with or without the CAP_ prefix).',
    enforcedBy: ['kube_enforcer'], actsOn: ['create', 'update', 'debug'],
    options: z.strictObject({ capabilities: capabilityListSchema }),
  }),
  control({
    key: 'restrictedVolumes', name: 'Volumes Blocked', policyType: 'container',
    description: 'Refuses pods that mount a hostPath matching one of the listed globs.',
    enforcedBy: ['kube_enforcer'], actsOn: ['create', 'update'],
    options: z.strictObject({ paths: globListSchema }),
  }),
  control({
    key: 'allowedRegistries', name: 'Registries Allowed', policyType: 'container',
    description: 'Refuses containers whose image comes from a registry not matching the list (images without a registry come from docker.io).',
    enforcedBy: ['kube_enforcer'], actsOn: ['create', 'update', 'debug'],
    options: z.strictObject({ registries: globListSchema }),
  }),
  control({
    key: 'readOnlyRootFilesystem', name: 'Read-only Root Filesystem', policyType: 'container',
    description: 'Requires every container to set readOnlyRootFilesystem: true.',
    enforcedBy: ['kube_enforcer'], actsOn: ['create', 'update', 'debug'],
  }),
  control({
    key: 'driftPrevention', name: 'Drift Prevention', policyType: 'container',
    description: 'Blocks executables that were not part of the original image (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['process'],
    options: z.strictObject({ allowedExecutables: globListSchema }),
  }),
  control({
    key: 'blockedExecutables', name: 'Executables Blocked', policyType: 'container',
    description: 'Blocks the listed executables inside containers (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['process'],
    options: z.strictObject({ executables: globListSchema }),
  }),
  control({
    key: 'reverseShell', name: 'Block Reverse Shell', policyType: 'container',
    description: 'Blocks processes whose standard streams are redirected to a network socket (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['process', 'network'],
    options: z.strictObject({ allowedProcesses: globListSchema, allowedIps: globListSchema }),
  }),
  control({
    key: 'forkGuard', name: 'Fork Guard', policyType: 'container',
    description: 'Limits the number of processes in a container (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['process'],
    options: z.strictObject({ processLimit: z.number().int().min(1).max(1_000_000).default(1000) }),
  }),
  control({
    key: 'portBlock', name: 'Port Block', policyType: 'container',
    description: 'Blocks inbound and outbound connections on the listed ports (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['network'],
    options: z.strictObject({ inbound: portListSchema, outbound: portListSchema }),
  }),
  control({
    key: 'readOnlyFiles', name: 'Read-only Files and Directories', policyType: 'container',
    description: 'Refuses writes to the listed paths (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['file'],
    options: z.strictObject({ paths: globListSchema, exceptions: globListSchema }),
  }),
  control({
    key: 'fileIntegrityMonitoring', name: 'File Integrity Monitoring', policyType: 'container',
    description: 'Records changes to the listed paths (enforced by node agents).',
    enforcedBy: ['agent'], actsOn: ['file'], recordOnly: true,
    options: z.strictObject({
      paths: globListSchema, exceptions: globListSchema,
      operations: z.array(z.enum(['create', 'read', 'modify', 'delete', 'attributes'])).max(5).default(['create', 'modify', 'delete', 'attributes']),
    }),
  }),
];

const functionControls: readonly ControlDefinition[] = [
  control({
    key: 'blockedExecutables', name: 'Executables Blocked', policyType: 'function',
    description: 'Refuses starting the listed programs from the function (globs on the full path or the basename).',
    enforcedBy: ['nano_enforcer'], actsOn: ['process'],
    options: z.strictObject({ executables: globListSchema }),
  }),
  control({
    key: 'driftPrevention', name: 'Block Executables in /tmp (drift)', policyType: 'function',
    description: 'Refuses running any program located under /tmp (after realpath) or created after the function started.',
    enforcedBy: ['nano_enforcer'], actsOn: ['process'],
    options: z.strictObject({ allowedExecutables: globListSchema }),
  }),
  control({
    key: 'blockAllProcesses', name: 'Block All Child Processes', policyType: 'function',
    description: 'Refuses starting any child process except the allowed executables.',
    enforcedBy: ['nano_enforcer'], actsOn: ['process'],
    options: z.strictObject({ allowedExecutables: globListSchema }),
  }),
  control({
    key: 'honeypot', name: 'Honeypot Credentials', policyType: 'function',
    description: 'Plants fake AWS credentials in the environment and/or a credentials file and reports every read of them.',
    enforcedBy: ['nano_enforcer'], actsOn: ['honeypot'],
    options: z.strictObject({
      accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{16}$/, 'must look like an access key id (AKIA followed by 16 capitals or digits)').optional(),
      secretAccessKey: z.string().min(16).max(128).optional().meta({ writeOnly: true, description: 'Write-only: never returned by the API.' }),
      applyOn: z.array(z.enum(['environment', 'file'])).min(1).max(2).default(['environment']),
    }),
  }),
  control({
    key: 'networkEgress', name: 'Outbound Connections Allowed', policyType: 'function',
    description: 'Refuses outbound connections to hosts not matching the allow-list; an empty allowedPorts list allows any port on an allowed host.',
    enforcedBy: ['nano_enforcer'], actsOn: ['network'],
    options: z.strictObject({
      allowedHosts: globListSchema,
      allowedPorts: z.array(z.number().int().min(1).max(65535)).max(1000).default([]),
    }),
  }),
];

const hostEnforcers: readonly EnforcerType[] = ['agent', 'host_enforcer'];
const hostControls: readonly ControlDefinition[] = [
  control({
    key: 'blockedExecutables', name: 'Executables Blocked', policyType: 'host',
    description: 'Blocks the listed executables on hosts.',
    enforcedBy: hostEnforcers, actsOn: ['process'],
    options: z.strictObject({ executables: globListSchema }),
  }),
  control({
    key: 'fileIntegrityMonitoring', name: 'File Integrity Monitoring', policyType: 'host',
    description: 'Records changes to the listed paths on hosts.',
    enforcedBy: hostEnforcers, actsOn: ['file'], recordOnly: true,
    options: z.strictObject({
      paths: globListSchema, exceptions: globListSchema,
      operations: z.array(z.enum(['create', 'read', 'modify', 'delete', 'attributes'])).max(5).default(['create', 'modify', 'delete', 'attributes']),
    }),
  }),
  control({
    key: 'readOnlyFiles', name: 'Read-only Files and Directories', policyType: 'host',
    description: 'Refuses writes to the listed paths on hosts.',
    enforcedBy: hostEnforcers, actsOn: ['file'],
    options: z.strictObject({ paths: globListSchema, exceptions: globListSchema }),
  }),
  control({
    key: 'osUsers', name: 'OS Users and Groups', policyType: 'host',
    description: 'Refuses logins of blocked users, and of users outside the allowed list when it is not empty.',
    enforcedBy: hostEnforcers, actsOn: ['login'],
    options: z.strictObject({ allowed: globListSchema, blocked: globListSchema }),
  }),
  control({
    key: 'loginAuditing', name: 'Login Auditing', policyType: 'host',
    description: 'Records every successful and failed login.',
    enforcedBy: hostEnforcers, actsOn: ['login'], recordOnly: true,
  }),
  control({
    key: 'portBlock', name: 'Port Block', policyType: 'host',
    description: 'Blocks inbound and outbound connections on the listed ports on hosts.',
    enforcedBy: hostEnforcers, actsOn: ['network'],
    options: z.strictObject({ inbound: portListSchema, outbound: portListSchema }),
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

/** The catalog as plain JSON (what `GET /v1/controls` returns): option schemas as JSON Schema. */
export function describeCatalog(): Array<Omit<ControlDefinition, 'options'> & { options: unknown }> {
  return controlCatalog.map((c) => ({ ...c, options: z.toJSONSchema(c.options, { io: 'input', unrepresentable: 'any' }) }));
}
