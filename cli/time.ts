// Durations (`2s`, `15m`) and instants (`2026-11-28T12:00:00Z`, or `1h` meaning an hour ago) on the command line.
import { UsageError } from './errors.js';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of `500ms`, `2s`, `15m`, `1h`, `7d`, `2w`; a bare number is seconds. Undefined when not a duration. */
export function durationMs(text: string): number | undefined {
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: one optional fraction after the digits, nothing nested can match the same text twice
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (units[match[2] ?? 's'] ?? 1000));
}

export function parseDuration(text: string, option: string): number {
  const ms = durationMs(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${option} must be a duration such as 500ms, 2s, 1m (got "${text}")`);
  return ms;
}

/** An ISO 8601 instant as given, or a duration meaning that long before `now`. */
export function parseInstant(text: string, option: string, now: Date = new Date()): string {
  const ago = durationMs(text);
  if (ago !== undefined) return new Date(now.getTime() - ago).toISOString();
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: the optional time part starts with a literal T and its zone is fixed-width
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text))) {
    return new Date(text).toISOString();
  }
  throw new UsageError(`${option} must be an ISO 8601 instant (2026-11-28T12:00:00Z) or a duration ago (15m, 2h, 7d) (got "${text}")`);
}
