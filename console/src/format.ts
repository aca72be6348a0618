import type { Policy } from './api';

/** A policy's scope in one line: its application scopes and, when there is one, its formula. */
export function scopeSummary(policy: Policy): string {
  const scopes = policy.scope.applicationScopes.join(', ');
  return policy.scope.expression ? `${scopes} · ${policy.scope.expression}` : scopes;
}

/** The pending scheduled switch of a policy, in words, or '' when none. */
export function pendingSwitch(policy: Policy): string {
  const change = policy.enforcementModeChange;
  if (!change || change.state !== 'pending') return '';
  return change.scheduledFor ? `to ${change.to} at ${formatTime(change.scheduledFor)}` : `to ${change.to}`;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/**
 * The instant of a datetime-local value (the browser's local time), as the API takes it; a value the browser
 * cannot read is sent as typed, so that the API names the field it refuses.
 */
export function instant(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}
