import { compileGlob, isLiteralGlob, type GlobMatcher } from '../scope/index.js';
import type { DecisionEvent, Finding } from './events.js';

// What the evaluators of every control family share: option readers, matchers and message helpers.

export type Options = Readonly<Record<string, unknown>>;
export type Evaluate = (event: DecisionEvent) => readonly Finding[];
export type Message = (event: DecisionEvent, decision: number) => string | undefined;
/** A control's evaluation; `message` when it can do better than joining what `evaluate` found. */
export type Evaluator = (options: Options) => Evaluate | { readonly evaluate: Evaluate; readonly message: Message };

export function joinMessages(findings: readonly Finding[]): string | undefined {
  if (findings.length === 0) return undefined;
  if (findings.length === 1) return findings[0]!.message;
  return findings.map((finding) => finding.message).join('; ');
}

/**
 * A value derived from the event once per decision, however many controls ask for it: the decision number
 * tells a later decision's event from this one's, so nothing is ever carried from one request to another.
 */
export function perDecision<E, T>(derive: (event: E) => T): (event: E, decision: number) => T {
  let memoDecision = 0;
  let memo: T | undefined;
  return (event, decision) => {
    if (decision === 0) return derive(event);
    if (memoDecision !== decision) {
      memo = derive(event);
      memoDecision = decision;
    }
    return memo!;
  };
}

export const NONE: readonly Finding[] = [];

export function strings(options: Options, key: string): readonly string[] {
  const value = options[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function flag(options: Options, key: string): boolean {
  // Options default to the safer choice: only an explicit false turns a check off.
  return options[key] !== false;
}

/** The last path segment: what a pattern without "/" is compared with. */
function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/** Any of the globs matches the value: literals are one set lookup for all of them, the others are tried one by one. */
export function anyGlob(patterns: readonly string[]): (value: string) => boolean {
  const literals = new Set<string>();
  const globs: GlobMatcher[] = [];
  for (const pattern of patterns) {
    if (isLiteralGlob(pattern)) literals.add(pattern);
    else globs.push(compileGlob(pattern));
  }
  if (globs.length === 0) return literals.size === 0 ? () => false : (value) => literals.has(value);
  return (value) => {
    if (literals.has(value)) return true;
    for (const glob of globs) if (glob(value)) return true;
    return false;
  };
}

/** Program patterns: with "/" they match the full path, without it the basename. */
export function programMatcher(patterns: readonly string[]): (program: string) => boolean {
  const full = patterns.filter((pattern) => pattern.includes('/'));
  const base = patterns.filter((pattern) => !pattern.includes('/'));
  const fullMatches = anyGlob(full);
  const baseMatches = anyGlob(base);
  if (base.length === 0) return fullMatches;
  return (program) => fullMatches(program) || baseMatches(basename(program));
}

/** A value in a message: JSON-quoted, cut to 200 characters. */
export function quoted(text: string): string {
  if (text.length > 200) return JSON.stringify(`${text.slice(0, 200)}…`);
  // Most values (program names, container names, paths) need no escaping, and JSON.stringify is among the
  // costlier steps of a decision: quote them directly when the result would be the same.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Control characters, '"', '\' and surrogates (a lone one is escaped) are left to JSON.stringify.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
