/**
 * Telling the commercial product's JSON apart by its shape: a runtime policy (with or without `runtime_type`), an
 * application scope, an enforcer group, a pasted list of global bypass entries, and the containers they come in
 * (a bare list, the product's list answer `{count, page, pagesize, result}`, a hand-made `{policies}` wrapper).
 */
import { isPlainObject } from './source.js';

export type CommercialKind = 'policy' | 'applicationScope' | 'enforcerGroup';

// Fields only runtime policies have (the product's RuntimePolicy object and its older flat form); `scope` and
// `name` are left out, since Vigil's policies have them too.
const policyFields = new Set([
  'application_scopes',
  'exclude_application_scopes',
  'bypass_scope',
  'container_exec',
  'drift_prevention',
  'limit_container_privileges',
  'restricted_volumes',
  'executable_blacklist',
  'enable_fork_guard',
  'fork_guard_process_limit',
  'no_new_privileges',
  'tripwire',
  'allowed_executables',
  'linux_capabilities',
  'file_integrity_monitoring',
  'reverse_shell',
  'port_block',
  'readonly_files',
  'auditing',
  'blacklisted_os_users',
  'whitelisted_os_users',
  'enable_ip_reputation',
  'enable_port_scan_protection',
  'enable_crypto_mining_dns',
  'block_fileless_exec',
  'malware_scan_options',
  'package_block',
  'file_block',
  'system_integrity_protection',
  'enforce_after_days',
  'enforce_scheduler_added_on',
  'block_container_exec',
  'blocked_capabilities',
  'blocked_volumes',
  'blocked_executables',
  'prevent_override_default_config',
  'block_nw_unlink_cont',
  'failed_kubernetes_checks',
  'block_non_compliant_workloads',
  'only_registered_images',
  'block_disallowed_images',
]);

// Fields only enforcer groups have.
const groupFields = new Set([
  'gateways',
  'logicalname',
  'orchestrator',
  'host_os',
  'enforcer_image_name',
  'container_activity_protection',
  'host_protection',
  'network_protection',
  'host_network_protection',
  'user_access_control',
  'image_assurance',
  'syscall_enabled',
  'sync_host_images',
  'install_command',
  'admission_control',
  'micro_enforcer_injection',
  'allow_kube_enforcer_audit',
  'hosts_count',
  'gateway_name',
  'behavioral_engine',
  'auto_discovery_enabled',
]);

const vigilPolicyTypes = new Set(['container', 'function', 'host']);
const policyRuntimeTypes = new Set(['container', 'host', 'function', 'serverless']);

/** Which of the product's objects a value is, by the fields it has; undefined for anything else (Vigil's own shapes included). */
export function recogniseItem(value: unknown): CommercialKind | undefined {
  if (!isPlainObject(value) || 'formatVersion' in value || 'controls' in value || 'enforcementMode' in value) return undefined;
  // Vigil's policies name their type "container", "function" or "host"; the product's say "runtime.policy".
  if (typeof value.type === 'string' && vigilPolicyTypes.has(value.type)) return undefined;
  if (isPlainObject(value.categories)) return 'applicationScope';
  const keys = Object.keys(value);
  const policy =
    keys.filter((key) => policyFields.has(key)).length +
    (typeof value.runtime_type === 'string' && policyRuntimeTypes.has(value.runtime_type.toLowerCase()) ? 2 : 0);
  const group = keys.filter((key) => groupFields.has(key)).length;
  if (group > policy) return 'enforcerGroup';
  if (policy > 0) return 'policy';
  // `enforce` alone is shared by policies and groups; a policy is the common case.
  return typeof value.enforce === 'boolean' ? 'policy' : undefined;
}

/** One object of a document, with its JSON path in the document ("" for a document that is one object). */
export interface LocatedItem {
  readonly path: string;
  readonly value: unknown;
}

/** What a document holds: objects to recognise one by one, or a pasted list of global bypass entries. */
export type DocumentShape = { readonly items: readonly LocatedItem[] } | { readonly bypassEntries: readonly string[] };

export function documentShape(input: unknown): DocumentShape | undefined {
  const located = (list: readonly unknown[], prefix: string): DocumentShape => ({
    items: list.map((value, index) => ({ path: `${prefix}${index}`, value })),
  });
  if (Array.isArray(input)) {
    if (input.length > 0 && input.every((entry) => typeof entry === 'string')) return { bypassEntries: input };
    return located(input, '');
  }
  if (!isPlainObject(input) || 'formatVersion' in input) return undefined;
  if (Array.isArray(input.result)) return located(input.result, 'result.');
  if (Array.isArray(input.policies)) return located(input.policies, 'policies.');
  return { items: [{ path: '', value: input }] };
}

/** Whether a document is the commercial product's JSON (at least one object of it, or a bypass list), not Vigil's. */
export function isCommercialDocument(input: unknown): boolean {
  const shape = documentShape(input);
  if (!shape) return false;
  return 'bypassEntries' in shape || shape.items.some((item) => recogniseItem(item.value) !== undefined);
}

/** Whether a value looks like one of the commercial product's runtime policies rather than a Vigil policy. */
export function isCommercialPolicy(input: unknown): boolean {
  return recogniseItem(input) === 'policy';
}
