/**
 * Maps lines of Tetragon's JSON export back to Vigil audit events: the pure half of the event forwarder.
 *
 * Only policy events of objects the compiler made are kept, found by the object's name in the compile
 * report's index. An event is a Block only when the kernel refused (the event's action is Override or
 * Sigkill) and the object was compiled to refuse; anything else is a Detect. Objects whose kernel scope is
 * wider than the policy's Vigil scope report workloads the policy does not cover, so for those the full
 * scope (application scopes, criteria and bypass) is evaluated on each event and the others are dropped.
 */
import type { AuditEvent } from '../schemas/audit.js';
import { findControl, type Action } from '../catalog.js';
import { parseImageReference } from '../image.js';
import { compileScope, workloadAttributes, type WorkloadAttributes, type WorkloadPredicate } from '../scope/index.js';
import type { NodeObjectIndexEntry } from './compile.js';

/** The event types a TracingPolicy produces; `process_exec` and `process_exit` carry no policy. */
export const POLICY_EVENT_TYPES = ['process_lsm', 'process_kprobe', 'process_tracepoint', 'process_uprobe'] as const;

/** Actions with which the kernel refused the operation (Override returns an error, Sigkill ends the process). */
const REFUSING_ACTIONS: ReadonlySet<string> = new Set(['KPROBE_ACTION_OVERRIDE', 'KPROBE_ACTION_SIGKILL']);

/** Export lines longer than this are not parsed: Tetragon's policy events are a few kilobytes. */
export const MAX_EXPORT_LINE_LENGTH = 256 * 1024;

/** What the forwarder knows about where it runs. */
export interface NodeEventContext {
  readonly cluster: string;
  readonly group: string;
}

/** Why a line gives no audit event; the forwarder counts these. */
export type IgnoredReason = 'too-long' | 'not-json' | 'not-a-policy-event' | 'unmanaged' | 'outside-scope';

export type MappedExportLine =
  { readonly kind: 'event'; readonly event: AuditEvent } | { readonly kind: 'ignored'; readonly reason: IgnoredReason };

interface IndexedObject {
  readonly entry: NodeObjectIndexEntry;
  /** Undefined when the kernel scope is exact, so every event is in scope. */
  readonly inScope: WorkloadPredicate | undefined;
}

/** The compile report's index, prepared for mapping many events: scopes are compiled once. */
export interface NodeEventIndex {
  readonly byName: ReadonlyMap<string, readonly IndexedObject[]>;
}

function fullScopePredicate(entry: NodeObjectIndexEntry): WorkloadPredicate {
  const { scope } = entry;
  const applicationScopes = scope.applicationScopes.map((s) => compileScope(s.expression, s.variables));
  const criteria = compileScope(scope.expression, scope.variables);
  // Each bypass entry is one variable that alone removes a workload from every policy.
  const bypass = scope.bypassScopes.map((variable) => compileScope('v1', [variable]));
  return (workload) => applicationScopes.some((holds) => holds(workload)) && criteria(workload) && !bypass.some((holds) => holds(workload));
}

/** Prepares the index of a compile report (NodePolicyReport.index) for mapping events. */
export function nodeEventIndex(entries: readonly NodeObjectIndexEntry[]): NodeEventIndex {
  const byName = new Map<string, IndexedObject[]>();
  for (const entry of entries) {
    const indexed: IndexedObject = { entry, inScope: entry.scopeWidened ? fullScopePredicate(entry) : undefined };
    const list = byName.get(entry.name);
    if (list) list.push(indexed);
    else byName.set(entry.name, [indexed]);
  }
  return { byName };
}

// The parts of a Tetragon event the mapping reads; everything is checked at run time, as the file is input.
type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function labels(value: unknown): Record<string, string> | undefined {
  const object = record(value);
  if (!object) return undefined;
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) if (typeof entry === 'string') result[key] = entry;
  return result;
}

/**
 * Splits Tetragon's `arguments` string (arguments joined by spaces, quoted with `"` when they hold one)
 * back into arguments.
 */
export function splitTetragonArguments(argumentsText: string): string[] {
  const result: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < argumentsText.length; i++) {
    const c = argumentsText[i]!;
    if (c === '\\' && quoted && i + 1 < argumentsText.length) {
      current += argumentsText[++i]!;
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (c === ' ' && !quoted) {
      if (started) result.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) result.push(current);
  return result;
}

/** What the event's hook touched: the executed file, the file or path, or the socket address. */
function targetOf(args: unknown): string | undefined {
  if (!Array.isArray(args)) return undefined;
  for (const arg of args) {
    const object = record(arg);
    if (!object) continue;
    for (const key of ['linux_binprm_arg', 'file_arg', 'path_arg']) {
      const path = text(record(object[key])?.['path']);
      if (path !== undefined) return path;
    }
    const sock = record(object['sockaddr_arg']) ?? record(object['sock_arg']);
    if (sock) {
      const address = text(sock['addr']) ?? text(sock['daddr']);
      const port = sock['port'] ?? sock['dport'];
      if (address !== undefined || typeof port === 'number') return `${address ?? '*'}:${typeof port === 'number' ? port : '*'}`;
    }
  }
  return undefined;
}

function actionOfHook(hook: string | undefined): Action {
  if (hook === undefined) return 'process';
  if (hook.startsWith('socket_') || hook.includes('connect')) return 'network';
  if (hook === 'bprm_check_security' || hook.includes('exec')) return 'process';
  return 'file';
}

interface Workload {
  readonly namespace: string | undefined;
  readonly pod: string | undefined;
  readonly container: string | undefined;
  readonly image: string | undefined;
  readonly host: string | undefined;
  readonly attributes: WorkloadAttributes;
}

function workloadOf(process: Json | undefined, nodeName: string | undefined, context: NodeEventContext): Workload {
  const pod = record(process?.['pod']);
  const namespace = text(pod?.['namespace']);
  const podName = text(pod?.['name']);
  const container = record(pod?.['container']);
  const containerName = text(container?.['name']);
  const image = text(record(container?.['image'])?.['name']);
  const podLabels = labels(pod?.['pod_labels']);
  const workloadName = text(pod?.['workload']);
  const workloadKind = text(pod?.['workload_kind']);
  const values: Record<string, string | readonly string[] | undefined> = {
    'kubernetes.cluster': context.cluster,
    'enforcer.group': context.group,
  };
  const keyed: Record<string, Record<string, string> | undefined> = {};
  if (pod) {
    values['kubernetes.namespace'] = namespace;
    values['kubernetes.pod'] = podName;
    values['kubernetes.deployment'] = workloadKind === 'Deployment' ? workloadName : undefined;
    values['container.name'] = containerName;
    if (image !== undefined) {
      const ref = parseImageReference(image);
      values['container.image'] = image;
      values['image.registry'] = ref.registry;
      values['image.name'] = ref.name;
      values['image.tag'] = ref.tag;
    }
    keyed['kubernetes.label'] = podLabels;
    // container.label also sees the labels the container runtime adds to every container of a pod.
    const runtimeLabels: Record<string, string> = { ...(podLabels ?? {}) };
    if (namespace !== undefined) runtimeLabels['io.kubernetes.pod.namespace'] = namespace;
    if (podName !== undefined) runtimeLabels['io.kubernetes.pod.name'] = podName;
    if (containerName !== undefined) runtimeLabels['io.kubernetes.container.name'] = containerName;
    keyed['container.label'] = runtimeLabels;
  } else {
    values['os.hostname'] = nodeName;
  }
  return {
    namespace,
    pod: podName,
    container: containerName,
    image,
    host: nodeName,
    attributes: workloadAttributes(values, keyed),
  };
}

function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

/**
 * The fields that identify one event in the export, as one text: the same event read twice (after a
 * restart or a rotation) gives the same text, so its hash is a stable event id.
 */
export function tetragonEventIdentity(line: Json, type: string, body: Json): string {
  const process = record(body['process']);
  return JSON.stringify([
    type,
    line['node_name'] ?? null,
    line['time'] ?? null,
    process?.['exec_id'] ?? null,
    process?.['tid'] ?? null,
    body['policy_name'] ?? null,
    body['function_name'] ?? null,
    body['args'] ?? null,
  ]);
}

/**
 * Maps one line of the export to an audit event, or says why it gives none.
 * `hashIdentity` turns an event's identity text into its id (a cryptographic hash; the core does no I/O
 * and loads no crypto module, so the caller brings it).
 */
export function mapTetragonExportLine(
  line: string,
  index: NodeEventIndex,
  context: NodeEventContext,
  hashIdentity: (identity: string) => string,
): MappedExportLine {
  if (line.length > MAX_EXPORT_LINE_LENGTH) return { kind: 'ignored', reason: 'too-long' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { kind: 'ignored', reason: 'not-json' };
  }
  const event = record(parsed);
  if (!event) return { kind: 'ignored', reason: 'not-json' };
  const type = POLICY_EVENT_TYPES.find((candidate) => record(event[candidate]) !== undefined);
  if (type === undefined) return { kind: 'ignored', reason: 'not-a-policy-event' };
  const body = record(event[type])!;
  const policyName = text(body['policy_name']);
  if (policyName === undefined) return { kind: 'ignored', reason: 'not-a-policy-event' };
  const candidates = index.byName.get(policyName);
  if (!candidates) return { kind: 'ignored', reason: 'unmanaged' };
  const process = record(body['process']);
  const nodeName = text(event['node_name']);
  const workload = workloadOf(process, nodeName, context);
  // A namespaced object's events come from pods of its namespace; a cluster-wide one has none.
  const found =
    candidates.find((c) => c.entry.namespace !== undefined && c.entry.namespace === workload.namespace) ??
    candidates.find((c) => c.entry.namespace === undefined);
  if (!found) return { kind: 'ignored', reason: 'unmanaged' };
  const { entry, inScope } = found;
  // A host policy's object selects host processes only, a container policy's object pods only.
  if ((entry.policyType === 'host') !== (process?.['pod'] === undefined)) return { kind: 'ignored', reason: 'outside-scope' };
  if (inScope && !inScope(workload.attributes)) return { kind: 'ignored', reason: 'outside-scope' };

  const refused = REFUSING_ACTIONS.has(text(body['action']) ?? '');
  const blocked = refused && entry.action === 'block';
  const hook = text(body['function_name']);
  const target = targetOf(body['args']);
  const binary = text(process?.['binary']);
  const argumentsText = typeof process?.['arguments'] === 'string' ? process['arguments'] : '';
  const controlName = findControl(entry.policyType, entry.control)?.name ?? entry.control;
  const what = `${hook ?? 'a hook'}${target !== undefined ? ` on ${target}` : ''}`;
  const where = workload.pod !== undefined ? `pod ${workload.namespace ?? '?'}/${workload.pod}` : `host ${workload.host ?? '?'}`;
  return {
    kind: 'event',
    event: {
      id: `tetragon-${hashIdentity(tetragonEventIdentity(event, type, body))}`,
      time: isoTime(event['time']) ?? new Date(0).toISOString(),
      status: blocked ? 'Block' : 'Detect',
      policy: entry.policy,
      policyType: entry.policyType,
      policyVersion: entry.policyVersion,
      control: entry.control,
      controlName,
      enforcementMode: entry.action === 'block' ? 'enforce' : 'audit',
      action: actionOfHook(hook),
      message: `${controlName}: ${blocked ? 'refused' : 'reported'} ${what} by ${binary ?? 'a process'} in ${where}`,
      workload: {
        cluster: context.cluster,
        namespace: workload.namespace ?? null,
        pod: workload.pod ?? null,
        container: workload.container ?? null,
        image: workload.image ?? null,
        function: null,
        host: workload.host ?? null,
      },
      user: null,
      command: binary !== undefined ? [binary, ...splitTetragonArguments(argumentsText)] : null,
      enforcer: { group: context.group, type: 'agent', id: null },
    },
  };
}
