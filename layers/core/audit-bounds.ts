import { AUDIT_LIMITS } from './audit-limits.js';
import type { AuditEvent } from './schemas/audit.js';

// Every audit event is cut to the published AuditEvent schema when it is made, whoever makes it (webhook,
// protection layer, enforcer events route): an event that breaks the schema is dropped by the export, and
// one over DynamoDB's 400 KB item limit fails the write it is part of. Zod-free: the webhook's and the
// protection layer's bundles use it without the validating schemas.

/** A list cut to its total budget never cuts an item shorter than this. */
const MIN_ITEM_SHARE = 64;
/** Runs of blanks at least this long are replaced by a marker before anything else is cut. */
const MIN_BLANK_RUN = 16;

/** What was cut: the field (`command[3]`, `workload.image`) and its original length (characters, or items of a list). */
export interface TruncatedField {
  readonly field: string;
  readonly length: number;
}

const isBlank = (code: number): boolean => code === 0x20 || (code >= 0x09 && code <= 0x0d);
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/**
 * Replaces runs of blanks by a marker naming their length. Padding with spaces is how a command is pushed
 * past a bound so that the part that matters is cut away: collapsing it first keeps that part.
 */
function collapseBlankRuns(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < text.length;) {
    if (!isBlank(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < text.length && isBlank(text.charCodeAt(end))) end++;
    if (end - i >= MIN_BLANK_RUN) {
      out += `${text.slice(copiedUpTo, i)} [… ${end - i} blanks …] `;
      copiedUpTo = end;
    }
    i = end;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/**
 * `text` within `max` characters: unchanged when it fits; otherwise long runs of blanks are collapsed and,
 * if that is not enough, the middle is replaced by a visible marker, so both the start (the program) and the
 * end (what a padded script finally runs) stay readable. Never splits a surrogate pair.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const collapsed = collapseBlankRuns(text);
  if (collapsed.length <= max) return collapsed;
  const marker = (cut: number) => ` [… ${cut} characters cut …] `;
  // The marker's own length depends on the count; the longest count it can show is the text's length.
  const room = max - marker(collapsed.length).length;
  if (room < 2) return collapsed.slice(0, max);
  let headEnd = Math.ceil(room / 2);
  let tailStart = collapsed.length - (room - headEnd);
  if (isHighSurrogate(collapsed.charCodeAt(headEnd - 1))) headEnd--;
  if (isLowSurrogate(collapsed.charCodeAt(tailStart))) tailStart++;
  return `${collapsed.slice(0, headEnd)}${marker(tailStart - headEnd)}${collapsed.slice(tailStart)}`;
}

/**
 * The longest length each item may keep so that all items together stay within `budget` characters: short
 * items are kept whole and the long ones share the rest equally (never less than MIN_ITEM_SHARE each).
 */
function shareOf(lengths: readonly number[], budget: number): number {
  const total = lengths.reduce((sum, length) => sum + length, 0);
  if (total <= budget) return Number.POSITIVE_INFINITY;
  const sorted = [...lengths].sort((a, b) => a - b);
  let remaining = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(remaining / (sorted.length - i));
    if (sorted[i]! > share) return Math.max(share, MIN_ITEM_SHARE);
    remaining -= sorted[i]!;
  }
  return Number.POSITIVE_INFINITY;
}

/** Cuts a list to `maxItems` (the last kept item then says how many followed) and its items to their bounds. */
function cutList(
  field: string,
  items: readonly string[],
  limits: { readonly items: number; readonly item: number; readonly total: number },
  truncated: TruncatedField[],
): string[] {
  let kept: string[] = [...items];
  if (kept.length > limits.items) {
    truncated.push({ field, length: items.length });
    kept = kept.slice(0, limits.items - 1);
    kept.push(`[… ${items.length - kept.length} more cut …]`);
  }
  const share = Math.min(
    limits.item,
    shareOf(
      kept.map((item) => Math.min(item.length, limits.item)),
      limits.total,
    ),
  );
  return kept.map((item, index) => {
    if (item.length <= share) return item;
    truncated.push({ field: `${field}[${index}]`, length: item.length });
    return cutText(item, share);
  });
}

/** Cuts one text field, noting its original length. */
function cutField<T extends string | null>(field: string, value: T, max: number, truncated: TruncatedField[]): T {
  if (value === null || value.length <= max) return value;
  truncated.push({ field, length: value.length });
  return cutText(value, max) as T;
}

/**
 * Bytes an event's JSON may have. The export publishes each event as one EventBridge entry (at most 256 KiB)
 * and the table stores it in one item (at most 400 KB). Characters that JSON escapes (control characters) take
 * six bytes each, so the character bounds alone do not guarantee either.
 */
export const MAX_AUDIT_EVENT_BYTES = 128 * 1024;
/** The most a character can take in an event's JSON (`\u0001`). */
const MAX_JSON_BYTES_PER_CHARACTER = 6;
/**
 * Generous room for the fields that are not cut (ids, names, enums, numbers, the JSON punctuation), all but
 * `truncated`, which is counted by its entries: at 600 of them it can take a third of the bound.
 */
const FIXED_FIELDS_BYTES = 8 * 1024;
/** The JSON of the longest entry `truncated` admits (a 32-character field, the largest length) and its comma. */
const MAX_TRUNCATED_ENTRY_BYTES =
  JSON.stringify({ field: 'x'.repeat(AUDIT_LIMITS.truncatedField), length: Number.MAX_SAFE_INTEGER }).length + 1;
/** The smallest fraction of the bounds a cutting pass applies: at it, any event's JSON fits MAX_AUDIT_EVENT_BYTES. */
const SMALLEST_SCALE = 0.125;

/** The bounds one cutting pass applies: the schema's, or a fraction of them when the JSON was still too large. */
function scaledLimits(scale: number) {
  const scaled = (limit: number) => Math.max(Math.floor(limit * scale), MIN_ITEM_SHARE);
  // Counts of items scale without the floor of characters: 64 arguments, groups and unresolved entries of 64
  // escaped characters each, next to a full `truncated`, are more than the byte bound holds.
  const scaledCount = (limit: number) => Math.max(Math.floor(limit * scale), 2);
  return {
    message: scaled(AUDIT_LIMITS.message),
    text: scaled(AUDIT_LIMITS.text),
    groups: scaledCount(AUDIT_LIMITS.groups),
    groupsTotal: scaled(AUDIT_LIMITS.groupsTotal),
    argument: scaled(AUDIT_LIMITS.argument),
    arguments: scaledCount(AUDIT_LIMITS.arguments),
    commandTotal: scaled(AUDIT_LIMITS.commandTotal),
    unresolvedEntry: scaled(AUDIT_LIMITS.unresolvedEntry),
    unresolved: scaledCount(AUDIT_LIMITS.unresolved),
  };
}

/**
 * True when nothing in the event exceeds a bound and its JSON surely fits MAX_AUDIT_EVENT_BYTES (the common
 * case: no copy is made then). Only an event with a lot of text has its JSON measured.
 */
function fitsBounds(event: AuditEvent): boolean {
  const { workload, user, command, unresolved } = event;
  if (event.message.length > AUDIT_LIMITS.message) return false;
  let characters = event.message.length;
  for (const value of Object.values(workload)) {
    if (value === null) continue;
    if (value.length > AUDIT_LIMITS.text) return false;
    characters += value.length;
  }
  if (user) {
    if (user.name !== null && user.name.length > AUDIT_LIMITS.text) return false;
    if (user.groups.length > AUDIT_LIMITS.groups) return false;
    let total = 0;
    for (const group of user.groups) {
      if (group.length > AUDIT_LIMITS.text) return false;
      total += group.length;
    }
    if (total > AUDIT_LIMITS.groupsTotal) return false;
    characters += total + (user.name?.length ?? 0);
  }
  if (command) {
    if (command.length > AUDIT_LIMITS.arguments) return false;
    let total = 0;
    for (const argument of command) {
      if (argument.length > AUDIT_LIMITS.argument) return false;
      total += argument.length;
    }
    if (total > AUDIT_LIMITS.commandTotal) return false;
    characters += total;
  }
  if (unresolved) {
    if (unresolved.length > AUDIT_LIMITS.unresolved) return false;
    for (const entry of unresolved) if (entry.length > AUDIT_LIMITS.unresolvedEntry) return false;
    characters += unresolved.length * AUDIT_LIMITS.unresolvedEntry;
  }
  const truncatedEntries = event.truncated?.length ?? 0;
  if (truncatedEntries > AUDIT_LIMITS.truncated) return false;
  const estimate = characters * MAX_JSON_BYTES_PER_CHARACTER + FIXED_FIELDS_BYTES + truncatedEntries * MAX_TRUNCATED_ENTRY_BYTES;
  if (estimate <= MAX_AUDIT_EVENT_BYTES) return true;
  return jsonBytes(event) <= MAX_AUDIT_EVENT_BYTES;
}

function jsonBytes(event: AuditEvent): number {
  return new TextEncoder().encode(JSON.stringify(event)).length;
}

/** One cutting pass with the given limits. */
function cutEvent(event: AuditEvent, limits: ReturnType<typeof scaledLimits>): AuditEvent {
  const truncated: TruncatedField[] = [];
  const workload = { ...event.workload };
  for (const key of Object.keys(workload) as Array<keyof typeof workload>)
    workload[key] = cutField(`workload.${key}`, workload[key], limits.text, truncated);
  const user = event.user && {
    name: cutField('user.name', event.user.name, limits.text, truncated),
    groups: cutList('user.groups', event.user.groups, { items: limits.groups, item: limits.text, total: limits.groupsTotal }, truncated),
  };
  const command =
    event.command &&
    cutList('command', event.command, { items: limits.arguments, item: limits.argument, total: limits.commandTotal }, truncated);
  const unresolved =
    event.unresolved &&
    cutList(
      'unresolved',
      event.unresolved,
      { items: limits.unresolved, item: limits.unresolvedEntry, total: limits.unresolved * limits.unresolvedEntry },
      truncated,
    );
  const message = cutField('message', event.message, limits.message, truncated);
  return {
    ...event,
    message,
    workload,
    user,
    command,
    ...(unresolved ? { unresolved } : {}),
    // What the sender already cut (an enforcer may bound its own reports) comes after what was cut here.
    truncated: [...truncated, ...(event.truncated ?? [])].slice(0, AUDIT_LIMITS.truncated),
  };
}

/**
 * The event cut to the AuditEvent schema's bounds and to MAX_AUDIT_EVENT_BYTES: every cut string carries a
 * visible marker, and `truncated` lists each cut field with its original length. An event that fits is
 * returned as is. If the JSON is still too large (text that JSON escapes), the bounds are halved and the
 * original cut again; at an eighth of the bounds any event fits: about 5,900 characters of text at six bytes
 * each, the uncut fields and a full `truncated` come to about 84 KB (the worst case is a test).
 */
export function boundAuditEvent(event: AuditEvent): AuditEvent {
  if (fitsBounds(event)) return event;
  let bounded = cutEvent(event, scaledLimits(1));
  for (let scale = 0.5; scale >= SMALLEST_SCALE && jsonBytes(bounded) > MAX_AUDIT_EVENT_BYTES; scale /= 2)
    bounded = cutEvent(event, scaledLimits(scale));
  return bounded;
}
