// `vigil groups|policies|scopes|settings set`: change some fields of one item with a JSON merge patch (PATCH),
// built from the command's options and an optional `--patch` for any other field.
import { segment } from '../client.js';
import type { Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { findKind, type Json } from '../kinds.js';
import type { OutputFormat } from '../output.js';
import { parseInstant } from '../time.js';

export const MERGE_PATCH_TYPE = 'application/merge-patch+json';

export interface SetOptions {
  readonly patch?: string;
  readonly ifVersion?: number;
  readonly output: OutputFormat;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `on`/`off` (and true/false, yes/no) as a boolean; anything else is a usage error naming the option. */
export function onOff(text: string, option: string): boolean {
  const value = text.trim().toLowerCase();
  if (['on', 'true', 'yes'].includes(value)) return true;
  if (['off', 'false', 'no'].includes(value)) return false;
  throw new UsageError(`${option} must be on or off (got "${text}")`);
}

/** A merge patch of `object` into `target` (objects merge; RFC 7386), for combining --patch with the options. */
function merge(target: Json, patch: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const previous = result[key];
    result[key] = isObject(previous) && isObject(value) ? merge(previous, value) : value;
  }
  return result;
}

/** The --patch JSON object: the options' fields win where both name the same member. */
export function combinePatch(patchText: string | undefined, fromOptions: Json): Json {
  if (patchText === undefined) return fromOptions;
  let parsed: unknown;
  try {
    parsed = JSON.parse(patchText);
  } catch (error) {
    throw new UsageError(`--patch must be a JSON object: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(parsed)) throw new UsageError('--patch must be a JSON object, e.g. \'{"description": "payments"}\'');
  return merge(parsed, fromOptions);
}

export interface GroupSetOptions extends SetOptions {
  readonly enforce?: boolean;
  readonly description?: string;
  readonly containerProtection?: string;
  readonly hostProtection?: string;
  readonly failMode?: string;
  readonly timeoutSeconds?: number;
  readonly exemptKubeSystem?: string;
}

export function groupPatch(options: GroupSetOptions): Json {
  const patch: Json = {};
  if (options.enforce !== undefined) patch.enforce = options.enforce;
  if (options.description !== undefined) patch.description = options.description;
  if (options.containerProtection !== undefined) patch.containerProtection = onOff(options.containerProtection, '--container-protection');
  if (options.hostProtection !== undefined) patch.hostProtection = onOff(options.hostProtection, '--host-protection');
  if (options.failMode !== undefined) patch.failMode = options.failMode;
  if (options.timeoutSeconds !== undefined) patch.timeoutSeconds = options.timeoutSeconds;
  if (options.exemptKubeSystem !== undefined) patch.exemptKubeSystem = onOff(options.exemptKubeSystem, '--exempt-kube-system');
  return combinePatch(options.patch, patch);
}

export interface PolicySetOptions extends SetOptions {
  readonly mode?: 'audit' | 'enforce';
  readonly enabled?: boolean;
  readonly description?: string;
  readonly enforceAfterDays?: number;
  readonly enforceAt?: string;
  readonly cancelSwitch?: boolean;
}

export function policyPatch(options: PolicySetOptions, now: Date = new Date()): Json {
  const switches = [options.enforceAfterDays !== undefined, options.enforceAt !== undefined, options.cancelSwitch === true];
  if (switches.filter(Boolean).length > 1) throw new UsageError('give only one of --enforce-after-days, --enforce-at and --cancel-switch');
  const patch: Json = {};
  // Setting the mode by hand decides now: a switch still pending would contradict it (or be moot), so it is cancelled.
  if (options.mode !== undefined) {
    patch.enforcementMode = options.mode;
    patch.enforcementModeChange = null;
  }
  if (options.enabled !== undefined) patch.enabled = options.enabled;
  if (options.description !== undefined) patch.description = options.description;
  if (options.enforceAfterDays !== undefined || options.enforceAt !== undefined) {
    if (options.mode === 'enforce') throw new UsageError('--mode enforce and a scheduled switch to enforce contradict each other');
    patch.enforcementMode = 'audit';
    patch.enforcementModeChange =
      options.enforceAt !== undefined
        ? { to: 'enforce', at: parseInstant(options.enforceAt, '--enforce-at', now) }
        : { to: 'enforce', afterDays: options.enforceAfterDays };
  }
  if (options.cancelSwitch === true) patch.enforcementModeChange = null;
  return combinePatch(options.patch, patch);
}

export interface ScopeSetOptions extends SetOptions {
  readonly description?: string;
  readonly expression?: string;
}

export function scopePatch(options: ScopeSetOptions): Json {
  const patch: Json = {};
  if (options.description !== undefined) patch.description = options.description;
  if (options.expression !== undefined) patch.expression = options.expression;
  return combinePatch(options.patch, patch);
}

export interface SettingsSetOptions extends SetOptions {
  readonly admissionWarnings?: string;
  readonly auditRetentionDays?: number;
}

export function settingsPatch(options: SettingsSetOptions): Json {
  const patch: Json = {};
  if (options.admissionWarnings !== undefined) patch.admissionWarnings = onOff(options.admissionWarnings, '--admission-warnings');
  if (options.auditRetentionDays !== undefined) patch.auditRetentionDays = options.auditRetentionDays;
  return combinePatch(options.patch, patch);
}

/** Sends the patch and prints the saved item; the answer's warnings go to stderr. */
export async function setCommand(
  ctx: Context,
  kindName: string,
  name: string | undefined,
  patch: Json,
  options: SetOptions,
): Promise<number> {
  const kind = findKind(kindName)!;
  if (Object.keys(patch).length === 0)
    throw new UsageError(`nothing to change: give an option of \`vigil ${kind.name} set --help\` or --patch`);
  const path = kind.singleton ? kind.path : `${kind.path}/${segment(name ?? '')}`;
  const answer = await ctx.client().request<Json>('PATCH', path, {
    body: patch,
    headers: { 'content-type': MERGE_PATCH_TYPE, ...(options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` }) },
  });
  const { warnings, ...item } = answer.body;
  ctx.output(item, options.output, kind.columns);
  if (Array.isArray(warnings)) for (const warning of warnings) ctx.warn(String(warning));
  return ExitCode.ok;
}
