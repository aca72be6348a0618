/**
 * One runtime policy of the commercial product (container, host or function) as a Vigil policy input (validated
 * later by planImport, like any document), with what it could not carry over, what changed meaning and which
 * fields have values of the wrong type.
 */
import { findControl, type PolicyType } from '../catalog.js';
import { readContainerControls } from './container-controls.js';
import { readFunctionControls } from './function-controls.js';
import { readHostControls } from './host-controls.js';
import { readNodeControls } from './node-controls.js';
import { excluding, readFormula, type Formula } from './scope.js';
import { Source, type Json, type MeaningChange, type SourceIssue } from './source.js';

/** What converting one item of the product's JSON gives: the Vigil input, and what the user must know about it. */
export interface ItemConversion {
  readonly value: unknown;
  /** Dotted paths into the source item that held a setting and were not carried over. */
  readonly unsupported: string[];
  readonly meaningChanges: MeaningChange[];
  /** Fields of the wrong type: the import is refused. */
  readonly issues: SourceIssue[];
  /** The source field a field of the Vigil item came from, so that validation errors name what the user wrote. */
  readonly sourceOf: (vigilPath: string) => string | undefined;
}

/** What a policy conversion may look up: application scopes it excludes by name, and the time (for schedules). */
export interface PolicyContext {
  readonly applicationScope?: (name: string) => Formula | undefined;
  readonly now?: Date;
}

// Bookkeeping the product keeps about a policy (authors, timestamps, digests, and the references of policies it
// generated itself); Vigil keeps its own, so dropping these loses no protection and listing them would only bury
// the fields that matter.
const bookkeeping = [
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
  'heuristic_ref_id',
  'vuln_id',
  'cve',
  'image_id',
  'image_name',
  'repo_id',
  'repo_name',
  'resource_name',
  'resource_type',
  'vpatch_version',
  'registry',
];

/** Where each Vigil control comes from in the product's policy. */
const controlSources: Readonly<Record<string, string>> = {
  blockContainerExec: 'container_exec',
  limitContainerPrivileges: 'limit_container_privileges',
  noNewPrivileges: 'no_new_privileges',
  blockedCapabilities: 'linux_capabilities',
  restrictedVolumes: 'restricted_volumes',
  allowedRegistries: 'allowed_registries',
  driftPrevention: 'drift_prevention',
  blockedExecutables: 'executable_blacklist',
  blockAllProcesses: 'allowed_executables',
  reverseShell: 'reverse_shell',
  forkGuard: 'fork_guard_process_limit',
  portBlock: 'port_block',
  readOnlyFiles: 'readonly_files',
  fileIntegrityMonitoring: 'file_integrity_monitoring',
  osUsers: 'blacklisted_os_users',
  loginAuditing: 'auditing',
  honeypot: 'tripwire',
  'honeypot.accessKeyId': 'tripwire.user_id',
  'honeypot.secretAccessKey': 'tripwire.user_password',
  'honeypot.applyOn': 'tripwire.apply_on',
};

const policyFieldSources: Readonly<Record<string, string>> = {
  name: 'name',
  type: 'runtime_type',
  description: 'description',
  enabled: 'enabled',
  enforcementMode: 'enforce',
  enforcementModeChange: 'enforce_after_days',
  // The due time is the product's countdown start plus its days; the start is the field a user would fix.
  'enforcementModeChange.at': 'enforce_scheduler_added_on',
  'enforcementModeChange.afterDays': 'enforce_after_days',
  'enforcementModeChange.to': 'enforce_after_days',
  'scope.applicationScopes': 'application_scopes',
  'scope.expression': 'scope.expression',
};

function policyType(source: Source): PolicyType | undefined {
  const raw = source.get('runtime_type');
  if (raw === undefined) {
    // The product's API body for container policies has no runtime_type (its support article's example).
    source.changed('runtime_type', 'the policy names no runtime_type: it was read as a container runtime policy');
    return 'container';
  }
  const normalised = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  const type =
    normalised === 'serverless' || normalised === 'function'
      ? 'function'
      : normalised === 'container' || normalised === 'host'
        ? normalised
        : undefined;
  if (type) source.take('runtime_type');
  else source.refuse('runtime_type', '"container", "host", "function" or "serverless"');
  return type;
}

function readSchedule(source: Source, policy: Json, enforce: boolean | undefined, now: Date | undefined): void {
  const afterDays = source.peekInteger('enforce_after_days');
  const startedAt = source.peekInteger('enforce_scheduler_added_on');
  source.take('enforce_after_days');
  source.take('enforce_scheduler_added_on');
  // An enforcing policy has nothing left to switch: its countdown is moot and dropping it changes nothing.
  if (enforce === true || afterDays === undefined || afterDays <= 0) return;
  if (startedAt === undefined || startedAt <= 0) {
    policy.enforcementModeChange = { to: 'enforce', afterDays };
    source.changed(
      'enforce_after_days',
      `the document does not say when the ${afterDays}-day countdown to enforce started (enforce_scheduler_added_on), so it starts again at the import: the policy switches to enforce ${afterDays} days after it`,
    );
    return;
  }
  // The product does not document the unit: up to 10^12 it reads as seconds (until the year 33658), above as
  // milliseconds (since 2001), so any real date reads right either way.
  const startedMs = startedAt > 1e12 ? startedAt : startedAt * 1000;
  const due = new Date(startedMs + afterDays * 86_400_000);
  if (now && due.getTime() <= now.getTime()) {
    source.changed(
      'enforce_after_days',
      `the switch to enforce was due at ${due.toISOString()}, which has passed: the policy is imported in audit mode without a schedule; switch it to enforce when you are ready`,
    );
    return;
  }
  // The original due time is kept, so a re-import does not postpone the switch.
  policy.enforcementModeChange = { to: 'enforce', at: due.toISOString() };
}

function readScope(source: Source, context: PolicyContext, variableSources: string[]): Json {
  const scope: Json = {};
  const applicationScopes = source.strings('application_scopes');
  if (applicationScopes && applicationScopes.length > 0) scope.applicationScopes = applicationScopes;
  let formula = readFormula(source, 'scope');
  formula.variables.forEach((_, index) => variableSources.push(`scope.variables.${index}`));

  const bypass = source.control('bypass_scope');
  if (bypass && source.flag('bypass_scope.enabled')) {
    const excluded = readFormula(source, 'bypass_scope.scope');
    const combined = excluding(formula, excluded);
    if (combined) {
      excluded.variables.forEach((_, index) => variableSources.push(`bypass_scope.scope.variables.${index}`));
      formula = combined;
      source.changed(
        'bypass_scope',
        'the policy\'s bypass scope became part of its scope expression ("… && !(bypass)"): bypassed workloads are simply outside this policy',
      );
    } else source.report('bypass_scope');
  }

  (source.strings('exclude_application_scopes') ?? []).forEach((name, index) => {
    const path = `exclude_application_scopes.${index}`;
    const excluded = context.applicationScope?.(name);
    if (!excluded) {
      source.issues.push({
        path,
        message: `application scope "${name}" is neither in this document nor stored, so its workloads cannot be excluded: add it to the document or create it first`,
      });
      return;
    }
    const combined = excluding(formula, excluded);
    if (!combined) {
      source.issues.push({ path, message: `excluding application scope "${name}" makes the scope expression longer than Vigil allows` });
      return;
    }
    excluded.variables.forEach(() => variableSources.push(path));
    formula = combined;
    source.changed(
      path,
      `workloads of application scope "${name}" are excluded through the scope expression ("… && !(${name}'s formula)")`,
    );
  });

  if (formula.expression !== '') scope.expression = formula.expression;
  if (formula.variables.length > 0) scope.variables = formula.variables;
  return scope;
}

/** Converts one runtime policy of the product. */
export function convertRuntimePolicy(input: Json, context: PolicyContext = {}): ItemConversion {
  const source = new Source(input, bookkeeping);
  // "runtime.policy" (or empty) is the product's object type, which this converter already decided by shape.
  const objectType = source.get('type');
  if (objectType === 'runtime.policy' || objectType === '') source.take('type');
  const type = policyType(source);
  const policy: Json = {};

  const name = source.string('name');
  if (name !== undefined) policy.name = name;
  if (type) policy.type = type;
  const description = source.string('description');
  if (description) policy.description = description;
  const enabled = source.bool('enabled');
  if (enabled !== undefined) policy.enabled = enabled;
  const enforce = source.bool('enforce');
  if (enforce !== undefined) policy.enforcementMode = enforce ? 'enforce' : 'audit';
  readSchedule(source, policy, enforce, context.now);

  const variableSources: string[] = [];
  policy.scope = readScope(source, context, variableSources);
  const controls: Json = {};
  if (type) {
    const applies = (key: string) => findControl(type, key) !== undefined;
    readContainerControls(source, controls, applies);
    readNodeControls(source, controls, applies, type);
    readHostControls(source, controls, applies);
    readFunctionControls(source, controls, applies);
  }
  policy.controls = controls;

  const sourceOf = (vigilPath: string): string | undefined => {
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: digits, then an optional rest starting with a literal "."
    const variable = /^scope\.variables\.(\d+)(\..*)?$/.exec(vigilPath);
    if (variable) {
      const origin = variableSources[Number(variable[1])];
      return origin && origin.includes('.variables.') ? `${origin}${variable[2] ?? ''}` : origin;
    }
    const parts = vigilPath.split('.');
    for (let length = parts.length; length > 0; length--) {
      const prefix = parts.slice(0, length).join('.');
      const rest = parts.slice(length).join('.');
      const fieldSource = policyFieldSources[prefix];
      if (fieldSource) return rest === '' ? fieldSource : `${fieldSource}.${rest}`;
      if (prefix.startsWith('controls.')) {
        const control = controlSources[prefix.slice('controls.'.length)];
        if (control) return control;
      }
    }
    return undefined;
  };

  return { value: policy, unsupported: source.leftovers(), meaningChanges: source.meaningChanges, issues: source.issues, sourceOf };
}
