// The resource kinds of `vigil get|list|delete`: their names and aliases, API paths and table columns.
import type { Column } from './output.js';

export type Json = Record<string, unknown>;

export interface KindSpec {
  /** The name shown in help and messages, e.g. `policies`. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Singular noun for messages. */
  readonly noun: string;
  readonly path: string;
  /** Settings: one object, no name. */
  readonly singleton?: boolean;
  /** How items are named in paths (`id` for audit events and templates). */
  readonly key: 'name' | 'id' | 'key';
  readonly list: boolean;
  readonly get: boolean;
  readonly delete: boolean;
  /** Newest-first logs: `list` reads one page of this size unless --limit says otherwise. */
  readonly defaultLimit?: number;
  readonly columns: readonly Column<Json>[];
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** A scope variable or bypass entry the short way: `attribute[name]=value`. */
export function selectorText(entry: unknown): string {
  const e = record(entry);
  return `${str(e.attribute)}${e.name === undefined ? '' : `[${str(e.name)}]`}=${str(e.value)}`;
}

function enabledControls(policy: Json): string[] {
  return Object.entries(record(policy.controls))
    .filter(([, settings]) => record(settings).enabled !== false)
    .map(([key]) => key);
}

function mode(policy: Json): string {
  const change = record(policy.enforcementModeChange);
  const when = change.scheduledFor ?? change.at ?? (change.afterDays === undefined ? undefined : `+${str(change.afterDays)}d`);
  return change.to === undefined ? str(policy.enforcementMode) : `${str(policy.enforcementMode)} (→ ${str(change.to)} ${str(when)})`;
}

/** Where a workload is: cluster/namespace/pod, a function, or a host. */
export function workloadText(workload: unknown): string {
  const w = record(workload);
  if (typeof w.function === 'string') return `function ${w.function}`;
  if (typeof w.host === 'string') return `host ${w.host}`;
  return [w.cluster, w.namespace, w.pod]
    .filter((part) => typeof part === 'string' && part !== '')
    .map(str)
    .join('/');
}

export const auditColumns: readonly Column<Json>[] = [
  { header: 'TIME', value: (e) => e.time },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'POLICY', value: (e) => e.policy },
  { header: 'CONTROL', value: (e) => e.control },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'WORKLOAD', value: (e) => workloadText(e.workload) },
  { header: 'MESSAGE', value: (e) => e.message },
];

export const kinds: readonly KindSpec[] = [
  {
    name: 'policies',
    aliases: ['policy', 'pol', 'runtime-policies'],
    noun: 'policy',
    path: '/v1/policies',
    key: 'name',
    list: true,
    get: true,
    delete: true,
    columns: [
      { header: 'NAME', value: (p) => p.name },
      { header: 'TYPE', value: (p) => p.type },
      { header: 'MODE', value: mode },
      { header: 'ENABLED', value: (p) => p.enabled },
      { header: 'SCOPES', value: (p) => record(p.scope).applicationScopes },
      { header: 'CONTROLS', value: enabledControls },
      { header: 'VERSION', value: (p) => p.version },
    ],
  },
  {
    name: 'scopes',
    aliases: ['scope', 'application-scopes', 'application-scope', 'applicationscopes'],
    noun: 'application scope',
    path: '/v1/application-scopes',
    key: 'name',
    list: true,
    get: true,
    delete: true,
    columns: [
      { header: 'NAME', value: (s) => s.name },
      { header: 'EXPRESSION', value: (s) => s.expression },
      { header: 'VARIABLES', value: (s) => (Array.isArray(s.variables) ? s.variables.map(selectorText) : []) },
      { header: 'VERSION', value: (s) => s.version },
    ],
  },
  {
    name: 'groups',
    aliases: ['group', 'enforcer-groups', 'enforcer-group'],
    noun: 'enforcer group',
    path: '/v1/enforcer-groups',
    key: 'name',
    list: true,
    get: true,
    delete: true,
    columns: [
      { header: 'NAME', value: (g) => g.name },
      { header: 'TYPE', value: (g) => g.type },
      { header: 'ENFORCE', value: (g) => (g.enforce === true ? 'enforce' : 'audit only') },
      { header: 'CONTAINER', value: (g) => g.containerProtection },
      { header: 'HOST', value: (g) => g.hostProtection },
      { header: 'FAIL MODE', value: (g) => g.failMode },
      { header: 'VERSION', value: (g) => g.version },
    ],
  },
  {
    name: 'clusters',
    aliases: ['cluster'],
    noun: 'cluster',
    path: '/v1/clusters',
    key: 'name',
    list: true,
    get: true,
    delete: true,
    columns: [
      { header: 'NAME', value: (c) => c.name },
      { header: 'GROUP', value: (c) => c.enforcerGroup },
      { header: 'ARN', value: (c) => c.arn },
      { header: 'CREATED', value: (c) => c.createdAt },
      { header: 'VERSION', value: (c) => c.version },
    ],
  },
  {
    name: 'settings',
    aliases: ['setting', 'enforcer-settings'],
    noun: 'enforcer settings',
    path: '/v1/settings/enforcer',
    key: 'name',
    singleton: true,
    list: true,
    get: true,
    delete: false,
    columns: [
      { header: 'BYPASS', value: (s) => (Array.isArray(s.bypassScopes) ? s.bypassScopes.map(selectorText) : []) },
      { header: 'ADMISSION WARNINGS', value: (s) => s.admissionWarnings },
      { header: 'AUDIT RETENTION DAYS', value: (s) => s.auditRetentionDays },
      { header: 'VERSION', value: (s) => s.version },
    ],
  },
  {
    name: 'enforcers',
    aliases: ['enforcer'],
    noun: 'enforcer',
    path: '/v1/enforcers',
    key: 'id',
    list: true,
    get: false,
    delete: false,
    columns: [
      { header: 'ID', value: (e) => e.enforcerId ?? e.id },
      { header: 'NAME', value: (e) => e.name },
      { header: 'TYPE', value: (e) => e.type },
      { header: 'GROUP', value: (e) => e.group },
      { header: 'STATUS', value: (e) => e.status },
      { header: 'LAST SEEN', value: (e) => e.lastSeen ?? e.lastHeartbeat },
    ],
  },
  {
    name: 'audit',
    aliases: ['audit-events', 'audit-event', 'events', 'event'],
    noun: 'audit event',
    path: '/v1/audit-events',
    key: 'id',
    list: true,
    get: true,
    delete: false,
    defaultLimit: 50,
    columns: auditColumns,
  },
  {
    name: 'activity',
    aliases: ['activities'],
    noun: 'activity entry',
    path: '/v1/activity',
    key: 'id',
    list: true,
    get: false,
    delete: false,
    defaultLimit: 50,
    columns: [
      { header: 'TIME', value: (a) => a.time },
      { header: 'ACTOR', value: (a) => a.actor },
      { header: 'ACTION', value: (a) => a.action },
      { header: 'RESOURCE', value: (a) => a.resource },
    ],
  },
  {
    name: 'templates',
    aliases: ['template', 'policy-templates'],
    noun: 'policy template',
    path: '/v1/policy-templates',
    key: 'id',
    list: true,
    get: true,
    delete: false,
    columns: [
      { header: 'ID', value: (t) => t.id },
      { header: 'TYPE', value: (t) => record(t.policy).type },
      { header: 'TITLE', value: (t) => t.title },
    ],
  },
  {
    name: 'controls',
    aliases: ['control'],
    noun: 'control',
    path: '/v1/controls',
    key: 'key',
    list: true,
    get: false,
    delete: false,
    columns: [
      { header: 'KEY', value: (c) => c.key },
      { header: 'TYPE', value: (c) => c.policyType },
      { header: 'NAME', value: (c) => c.name },
      { header: 'ENFORCED BY', value: (c) => c.enforcedBy },
      { header: 'ACTS ON', value: (c) => c.actsOn },
    ],
  },
];

export function findKind(name: string): KindSpec | undefined {
  const wanted = name.toLowerCase();
  return kinds.find((kind) => kind.name === wanted || kind.aliases.includes(wanted));
}

/** `policies (policy), scopes (...)`: the kinds an operation supports, for help and errors. */
export function kindNames(operation: 'list' | 'get' | 'delete'): string {
  return kinds
    .filter((kind) => kind[operation])
    .map((kind) => kind.name)
    .join(', ');
}
