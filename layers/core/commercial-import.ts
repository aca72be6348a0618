/**
 * Converts runtime policies exported from the commercial product (snake_case JSON such as `runtime_type`,
 * `enforce`, `container_exec.container_exec_proc_white_list`) into Vigil policies.
 *
 * The converter never validates: its output goes through planImport like any document, so problems surface as the
 * usual errors with paths. Its own job is to carry over what has a faithful equivalent and to name every field that
 * does not, so that nobody believes a protection was migrated when it was not.
 */
import { findAttribute } from './attributes.js';
import { findControl, type PolicyType } from './catalog.js';
import { EXPORT_FORMAT_VERSION } from './schemas/export.js';
import { formatScopeExpression, parseScopeExpression, ScopeParseError, SCOPE_LIMITS, type ScopeExpression } from './scope/index.js';

/** One converted policy: the Vigil policy input (not yet validated) and the source fields it could not carry over. */
export interface CommercialConversion {
  readonly policy: unknown;
  /** Dotted paths into the source policy, e.g. "audit_all_processes" or "limit_container_privileges.utsmode". */
  readonly unsupported: string[];
}

/** An import document built from commercial policies; pass it to planImport. */
export interface ConvertedDocument {
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  readonly policies: unknown[];
}

/** A converted list of commercial policies and, per policy that lost something, the fields not carried over. */
export interface CommercialDocumentConversion {
  readonly document: ConvertedDocument;
  readonly unsupported: Array<{ readonly policy: string; readonly fields: string[] }>;
}

/** Thrown when a document is neither a commercial policy, a list of them, nor a wrapper holding such a list. */
export class CommercialFormatError extends Error {
  override readonly name = 'CommercialFormatError';
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value carries a setting: false, 0, "", [], null and objects made only of those lose nothing when dropped. */
function inUse(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.values(value).some(inUse);
  return false;
}

// Bookkeeping the product keeps about a policy; Vigil keeps its own (version, updatedAt, updatedBy), so dropping
// these loses no protection and reporting them would only bury the fields that matter.
const metadataFields = [
  'author',
  'created',
  'updated',
  'lastupdate',
  'version',
  'digest',
  'domain',
  'domain_name',
  'permission',
  'is_ootb_policy',
  'is_auto_generated',
  'is_audit_checked',
];

/** Reads a source policy and remembers which paths were carried over; everything else is reported. */
class Source {
  private readonly consumed = new Set<string>();
  private readonly explicit: string[] = [];

  constructor(private readonly root: Json) {
    for (const field of metadataFields) this.consumed.add(field);
  }

  get(path: string): unknown {
    let node: unknown = this.root;
    for (const key of path.split('.')) {
      if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
      node = node[key];
    }
    return node;
  }

  /** Marks a path as carried over. */
  take(path: string): void {
    this.consumed.add(path);
  }

  /** Reports a path that was read (so the walk skips it) but could not be carried over. */
  report(path: string): void {
    this.consumed.add(path);
    this.explicit.push(path);
  }

  bool(path: string): boolean | undefined {
    const value = this.get(path);
    if (typeof value !== 'boolean') return undefined;
    this.take(path);
    return value;
  }

  /** True only for an explicit `true`; the product writes every flag, so absence means off. */
  flag(path: string): boolean {
    return this.bool(path) === true;
  }

  string(path: string): string | undefined {
    const value = this.get(path);
    if (typeof value !== 'string') return undefined;
    this.take(path);
    return value;
  }

  /** A list of strings; `null` (how the product writes an empty list) reads as empty. */
  strings(path: string): string[] | undefined {
    const value = this.get(path);
    if (value === null) {
      this.take(path);
      return [];
    }
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) return undefined;
    this.take(path);
    return value;
  }

  /** A whole integer, not yet marked as carried over (some integers only count in combination). */
  peekInteger(path: string): number | undefined {
    const value = this.get(path);
    return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
  }

  /**
   * The control object at `path` when it holds any setting; an object of defaults only (the product writes every
   * control, mostly `{"enabled": false, …: []}`) is taken as carried over, because dropping it loses nothing.
   */
  control(path: string): Json | undefined {
    const value = this.get(path);
    if (value === null || (isPlainObject(value) && !inUse(value))) {
      this.take(path);
      return undefined;
    }
    return isPlainObject(value) ? value : undefined;
  }

  /** Every field that holds a setting and was not carried over, sorted. */
  leftovers(): string[] {
    const found = new Set(this.explicit);
    const walk = (value: unknown, path: string): void => {
      if (path !== '' && this.consumed.has(path)) return;
      const prefix = path === '' ? '' : `${path}.`;
      // Descend only into objects that were partly carried over; an untouched object is reported as a whole.
      if (isPlainObject(value) && (path === '' || [...this.consumed].some((taken) => taken.startsWith(prefix)))) {
        for (const [key, child] of Object.entries(value)) walk(child, `${prefix}${key}`);
        return;
      }
      if (inUse(value)) found.add(path);
    };
    walk(this.root, '');
    return [...found].sort();
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// ------------------------------------------------------------------ scope

interface Formula {
  readonly expression: string;
  readonly variables: Json[];
}

function readVariables(source: Source, path: string): Json[] {
  const raw = source.get(path);
  if (raw === null || raw === undefined) {
    if (raw === null) source.take(path);
    return [];
  }
  if (!Array.isArray(raw)) return [];
  source.take(path);
  return raw.map((item, index) => {
    if (!isPlainObject(item)) return { value: item };
    const attribute = item.attribute;
    const variable: Json = { attribute, value: item.value };
    // The product writes "name": "" for attributes without a key; Vigil wants it absent there.
    if (typeof item.name === 'string' && item.name !== '') variable.name = item.name;
    // An unknown attribute is kept, not dropped: dropping a variable would silently widen or narrow the scope,
    // so validation refuses the policy and the report says why.
    if (typeof attribute !== 'string' || !findAttribute(attribute)) source.report(`${path}.${index}.attribute`);
    return variable;
  });
}

function shiftVariables(expression: ScopeExpression, offset: number): ScopeExpression {
  switch (expression.kind) {
    case 'var':
      return { ...expression, index: expression.index + offset };
    case 'not':
      return { kind: 'not', operand: shiftVariables(expression.operand, offset) };
    default:
      return { kind: expression.kind, left: shiftVariables(expression.left, offset), right: shiftVariables(expression.right, offset) };
  }
}

/**
 * Folds a per-policy bypass scope into the formula as `(scope) && !(bypass)`: Vigil has only the global bypass,
 * and excluding the bypassed workloads from the policy's scope has the same effect for this policy.
 */
function withBypass(scope: Formula, bypass: Formula): Formula | undefined {
  if (bypass.expression.trim() === '' || scope.variables.length + bypass.variables.length > SCOPE_LIMITS.maxVariables) return undefined;
  try {
    const excluded: ScopeExpression = {
      kind: 'not',
      operand: shiftVariables(parseScopeExpression(bypass.expression, bypass.variables.length), scope.variables.length),
    };
    const expression: ScopeExpression =
      scope.expression.trim() === ''
        ? excluded
        : { kind: 'and', left: parseScopeExpression(scope.expression, scope.variables.length), right: excluded };
    const text = formatScopeExpression(expression);
    return text.length > SCOPE_LIMITS.maxExpressionLength
      ? undefined
      : { expression: text, variables: [...scope.variables, ...bypass.variables] };
  } catch (error) {
    if (error instanceof ScopeParseError) return undefined;
    throw error;
  }
}

function readScope(source: Source): Json {
  const scope: Json = {};
  const applicationScopes = source.strings('application_scopes');
  if (applicationScopes && applicationScopes.length > 0) scope.applicationScopes = applicationScopes;
  let formula: Formula = { expression: source.string('scope.expression') ?? '', variables: readVariables(source, 'scope.variables') };

  const bypass = source.control('bypass_scope');
  if (bypass && source.flag('bypass_scope.enabled')) {
    const combined = withBypass(formula, {
      expression: source.string('bypass_scope.scope.expression') ?? '',
      variables: readVariables(source, 'bypass_scope.scope.variables'),
    });
    if (combined) formula = combined;
    else source.report('bypass_scope');
  }
  if (formula.expression !== '') scope.expression = formula.expression;
  if (formula.variables.length > 0) scope.variables = formula.variables;
  return scope;
}

// ------------------------------------------------------------------ controls

const fileOperations = ['create', 'read', 'modify', 'delete', 'attributes'] as const;

/** A registry entry Vigil can match: a host name (with dots, a port or wildcards), not a display name like "Docker Hub". */
function isRegistryHost(entry: string): boolean {
  return entry !== '' && !/\s/.test(entry) && (entry.includes('.') || entry.includes(':') || entry.includes('*') || entry === 'localhost');
}

/**
 * An allowed IP as a Vigil glob: addresses stay as they are, IPv4 networks on octet boundaries (/0, /8, /16, /24,
 * /32) become prefix globs; any other network cannot be written as a glob and yields undefined.
 */
function ipGlob(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return entry;
  const octets = entry.slice(0, slash).split('.');
  const bits = entry.slice(slash + 1);
  if (octets.length !== 4 || !octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)) return undefined;
  switch (bits) {
    case '0':
      return '*';
    case '8':
    case '16':
    case '24':
      return `${octets.slice(0, Number(bits) / 8).join('.')}.*`;
    case '32':
      return octets.join('.');
    default:
      return undefined;
  }
}

/** The honeypot placements Vigil has; the product's other ones (e.g. a layer) are reported. */
function honeypotPlacement(entry: string): 'environment' | 'file' | undefined {
  const lower = entry.toLowerCase();
  if (lower.includes('env')) return 'environment';
  if (lower.includes('file')) return 'file';
  return undefined;
}

function allowedIps(source: Source, path: string): string[] {
  const globs: string[] = [];
  (source.strings(path) ?? []).forEach((entry, index) => {
    const glob = ipGlob(entry);
    if (glob === undefined) source.report(`${path}.${index}`);
    else globs.push(glob);
  });
  return globs;
}

function readControls(source: Source, type: PolicyType): Json {
  const controls: Json = {};
  const applies = (key: string) => findControl(type, key) !== undefined;

  if (applies('blockContainerExec')) {
    const exec = source.control('container_exec');
    const legacy = source.bool('block_container_exec');
    if (exec || legacy) {
      const enabled = [source.flag('container_exec.enabled'), source.flag('container_exec.block_container_exec'), legacy === true].some(
        Boolean,
      );
      controls.blockContainerExec = { enabled, allowedProcesses: source.strings('container_exec.container_exec_proc_white_list') ?? [] };
    }
  }

  if (applies('limitContainerPrivileges') && source.control('limit_container_privileges')) {
    const flag = (field: string) => source.flag(`limit_container_privileges.${field}`);
    // Every check is written out: Vigil's options default to on, the product's to off. The product's UTS and user
    // namespace checks and use_host_user have no Vigil counterpart and stay unread, hence reported.
    controls.limitContainerPrivileges = {
      enabled: flag('enabled'),
      privileged: flag('privileged'),
      hostNetwork: flag('netmode'),
      hostPid: flag('pidmode'),
      hostIpc: flag('ipcmode'),
      rootUser: flag('prevent_root_user'),
      lowPortBinding: flag('prevent_low_port_binding'),
      addCapabilities: flag('block_add_capabilities'),
    };
  }

  if (applies('noNewPrivileges') && source.bool('no_new_privileges') === true) controls.noNewPrivileges = { enabled: true };

  if (applies('blockedCapabilities')) {
    // The product removes these capabilities from containers; Vigil refuses pods that add them. For capabilities
    // outside the runtime's default set the two are equivalent; for default ones (e.g. NET_RAW) Vigil is weaker.
    const capabilities = source.control('linux_capabilities');
    const legacy = source.strings('blocked_capabilities') ?? [];
    if (capabilities || legacy.length > 0) {
      const listed = source.strings('linux_capabilities.remove_linux_capabilities') ?? [];
      controls.blockedCapabilities = {
        enabled: (capabilities ? source.flag('linux_capabilities.enabled') : false) || legacy.length > 0,
        capabilities: unique([...listed, ...legacy]),
      };
    }
  }

  if (applies('restrictedVolumes')) {
    const volumes = source.control('restricted_volumes');
    const legacy = source.strings('blocked_volumes') ?? [];
    if (volumes || legacy.length > 0) {
      const listed = source.strings('restricted_volumes.volumes') ?? [];
      controls.restrictedVolumes = {
        enabled: (volumes ? source.flag('restricted_volumes.enabled') : false) || legacy.length > 0,
        paths: unique([...listed, ...legacy]),
      };
    }
  }

  if (applies('allowedRegistries') && source.control('allowed_registries')) {
    const listPath = 'allowed_registries.allowed_registries';
    const listed = source.strings(listPath) ?? [];
    const hosts = listed.filter(isRegistryHost);
    if (listed.length > 0 && hosts.length === 0) {
      // Registry display names cannot be matched against image references, and an allow-list emptied by the
      // conversion would flag every pod: leave the control out and say so.
      source.report('allowed_registries');
    } else {
      listed.forEach((entry, index) => {
        if (!isRegistryHost(entry)) source.report(`${listPath}.${index}`);
      });
      controls.allowedRegistries = { enabled: source.flag('allowed_registries.enabled'), registries: hosts };
    }
  }

  if (applies('driftPrevention') && source.control('drift_prevention')) {
    // exec_lockdown is the product's "block executables not in the image" (for functions: "in /tmp"), which is
    // what Vigil's drift prevention does; image_lockdown and prevent_privileged are not, and stay reported.
    const lockdown = source.flag('drift_prevention.exec_lockdown');
    const enabled = source.flag('drift_prevention.enabled') || (type === 'function' && lockdown);
    controls.driftPrevention = { enabled, allowedExecutables: source.strings('drift_prevention.exec_lockdown_white_list') ?? [] };
  }

  if (applies('blockedExecutables')) {
    const blacklist = source.control('executable_blacklist');
    const legacy = source.strings('blocked_executables') ?? [];
    if (blacklist || legacy.length > 0) {
      const listed = source.strings('executable_blacklist.executables') ?? [];
      controls.blockedExecutables = {
        enabled: (blacklist ? source.flag('executable_blacklist.enabled') : false) || legacy.length > 0,
        executables: unique([...listed, ...legacy]),
      };
    }
  }

  if (applies('blockAllProcesses') && source.control('allowed_executables')) {
    controls.blockAllProcesses = {
      enabled: source.flag('allowed_executables.enabled'),
      allowedExecutables: source.strings('allowed_executables.allow_executables') ?? [],
    };
  }

  if (applies('reverseShell')) {
    const reverse = source.control('reverse_shell');
    const legacy = source.bool('block_reverse_shell');
    if (reverse || legacy) {
      controls.reverseShell = {
        enabled: [source.flag('reverse_shell.enabled'), source.flag('reverse_shell.block_reverse_shell'), legacy === true].some(Boolean),
        allowedProcesses: source.strings('reverse_shell.reverse_shell_proc_white_list') ?? [],
        allowedIps: allowedIps(source, 'reverse_shell.reverse_shell_ip_white_list'),
      };
    }
  }

  if (applies('forkGuard')) {
    const enabled = source.bool('enable_fork_guard');
    const limit = source.peekInteger('fork_guard_process_limit');
    if (enabled === true || (limit !== undefined && limit > 0)) {
      controls.forkGuard = { enabled: enabled === true, ...(limit !== undefined && limit > 0 ? { processLimit: limit } : {}) };
      source.take('fork_guard_process_limit');
    }
  }

  if (applies('portBlock') && source.control('port_block')) {
    controls.portBlock = {
      enabled: source.flag('port_block.enabled'),
      inbound: source.strings('port_block.block_inbound_ports') ?? [],
      outbound: source.strings('port_block.block_outbound_ports') ?? [],
    };
  }

  if (applies('readOnlyFiles') && source.control('readonly_files')) {
    controls.readOnlyFiles = {
      enabled: source.flag('readonly_files.enabled'),
      paths: source.strings('readonly_files.readonly_files') ?? [],
      exceptions: source.strings('readonly_files.exceptional_readonly_files') ?? [],
    };
  }

  if (applies('fileIntegrityMonitoring') && source.control('file_integrity_monitoring')) {
    const settings: Json = {
      enabled: source.flag('file_integrity_monitoring.enabled'),
      paths: source.strings('file_integrity_monitoring.monitored_files') ?? [],
      exceptions: source.strings('file_integrity_monitoring.exceptional_monitored_files') ?? [],
    };
    const flags = fileOperations.map(
      (operation) => [operation, source.bool(`file_integrity_monitoring.monitored_files_${operation}`)] as const,
    );
    // Without any operation flag the product's own default applies, which Vigil's default mirrors.
    if (flags.some(([, value]) => value !== undefined))
      settings.operations = flags.filter(([, value]) => value === true).map(([operation]) => operation);
    controls.fileIntegrityMonitoring = settings;
  }

  if (applies('osUsers')) {
    // A disabled list must not become active by being merged with an enabled one, so only enabled lists are read.
    const blocked = source.control('blacklisted_os_users') && source.flag('blacklisted_os_users.enabled');
    const allowed = source.control('whitelisted_os_users') && source.flag('whitelisted_os_users.enabled');
    if (blocked || allowed) {
      controls.osUsers = {
        enabled: true,
        allowed: allowed ? (source.strings('whitelisted_os_users.user_white_list') ?? []) : [],
        blocked: blocked ? (source.strings('blacklisted_os_users.user_black_list') ?? []) : [],
      };
    }
  }

  if (applies('loginAuditing') && source.control('auditing')) {
    const success = source.bool('auditing.audit_success_login');
    const failure = source.bool('auditing.audit_failed_login');
    // Vigil records both successful and failed logins; recording more than asked loses nothing.
    if (success === true || failure === true) controls.loginAuditing = { enabled: source.flag('auditing.enabled') };
  }

  if (applies('honeypot') && source.control('tripwire')) {
    const honeypot: Json = { enabled: source.flag('tripwire.enabled') };
    const accessKeyId = source.string('tripwire.user_id');
    if (accessKeyId) honeypot.accessKeyId = accessKeyId;
    const secret = source.string('tripwire.user_password');
    if (secret) honeypot.secretAccessKey = secret;
    const applyOn = source.strings('tripwire.apply_on') ?? [];
    const placements: string[] = [];
    applyOn.forEach((entry, index) => {
      const placement = honeypotPlacement(entry);
      if (placement) placements.push(placement);
      else source.report(`tripwire.apply_on.${index}`);
    });
    if (placements.length > 0) honeypot.applyOn = unique(placements);
    controls.honeypot = honeypot;
  }

  return controls;
}

// ------------------------------------------------------------------ policies and documents

function policyType(source: Source): PolicyType | undefined {
  const raw = source.get('runtime_type');
  // Read as a container policy, the common case; fields that do not fit a container policy are still reported.
  if (raw === undefined) return 'container';
  if (typeof raw !== 'string') return undefined;
  const normalised = raw.toLowerCase();
  const type =
    normalised === 'serverless' || normalised === 'function'
      ? 'function'
      : normalised === 'container' || normalised === 'host'
        ? normalised
        : undefined;
  if (type) source.take('runtime_type');
  return type;
}

/** Whether a value looks like one of the commercial product's runtime policies rather than a Vigil policy. */
export function isCommercialPolicy(input: unknown): boolean {
  if (!isPlainObject(input) || 'enforcementMode' in input || 'controls' in input) return false;
  return (
    'runtime_type' in input ||
    typeof input.enforce === 'boolean' ||
    'enforce_after_days' in input ||
    'application_scopes' in input ||
    'container_exec' in input
  );
}

/** Whether a document is a commercial policy, a list of them, or a `{policies}` / `{result}` wrapper around one. */
export function isCommercialDocument(input: unknown): boolean {
  const list = policyList(input);
  return list !== undefined && list.length > 0 && list.every(isCommercialPolicy);
}

/** Converts one commercial runtime policy into a Vigil policy input and lists the source fields it could not carry over. */
export function convertCommercialPolicy(input: unknown): CommercialConversion {
  // Not an object: nothing to map; validation will say what is wrong with it.
  if (!isPlainObject(input)) return { policy: input, unsupported: [] };
  const source = new Source(input);
  const type = policyType(source);
  const policy: Json = {};

  const name = source.string('name');
  if (name !== undefined) policy.name = name;
  // An unrecognised runtime type is passed on as it is, so validation names the allowed ones.
  policy.type = type ?? source.get('runtime_type');
  const description = source.string('description');
  if (description) policy.description = description;
  const enabled = source.bool('enabled');
  if (enabled !== undefined) policy.enabled = enabled;

  const enforce = source.bool('enforce');
  if (enforce !== undefined) policy.enforcementMode = enforce ? 'enforce' : 'audit';
  const afterDays = source.peekInteger('enforce_after_days');
  if (enforce !== true && afterDays !== undefined && afterDays > 0) {
    // The countdown restarts at import: enforce_scheduler_added_on (when it started) has no place in Vigil, and a
    // past instant would be refused, so it stays unread and is reported.
    policy.enforcementModeChange = { to: 'enforce', afterDays };
    source.take('enforce_after_days');
  }

  policy.scope = readScope(source);
  policy.controls = type ? readControls(source, type) : {};
  return { policy, unsupported: source.leftovers() };
}

function asList(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

function policyList(input: unknown): readonly unknown[] | undefined {
  if (!isPlainObject(input)) return asList(input);
  // `{policies: [...]}` is how people wrap exports by hand; `{count, page, pagesize, result: [...]}` is the
  // product's list response.
  return asList(input.policies) ?? asList(input.result) ?? (isCommercialPolicy(input) ? [input] : undefined);
}

/**
 * Converts a commercial policy, a list of them, or a `{policies}` / `{result}` wrapper into an import document
 * (policies only: settings and application scopes are left untouched by the import). Throws CommercialFormatError
 * for anything else.
 */
export function convertCommercialDocument(input: unknown): CommercialDocumentConversion {
  const list = policyList(input);
  if (!list)
    throw new CommercialFormatError(
      'expected a commercial runtime policy, an array of them, or an object with a "policies" or "result" array',
    );
  const policies: unknown[] = [];
  const unsupported: Array<{ policy: string; fields: string[] }> = [];
  list.forEach((item, index) => {
    const converted = convertCommercialPolicy(item);
    policies.push(converted.policy);
    if (converted.unsupported.length > 0) {
      const name = isPlainObject(item) && typeof item.name === 'string' && item.name !== '' ? item.name : `#${index}`;
      unsupported.push({ policy: name, fields: converted.unsupported });
    }
  });
  return { document: { formatVersion: EXPORT_FORMAT_VERSION, policies }, unsupported };
}
