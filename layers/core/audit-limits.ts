// The length bounds of an audit event: in a module of their own so that the schema and the code that cuts
// events to them (audit-bounds.ts) share them without importing each other.

/** The bounds of the AuditEvent schema (layers/core/schemas/audit.ts builds the schema from them). */
export const AUDIT_LIMITS = {
  message: 2048,
  /** Each workload field, the user name and each group. */
  text: 1024,
  groups: 256,
  argument: 4096,
  arguments: 256,
  unresolvedEntry: 128,
  unresolved: 64,
  /** Entries of `truncated`: at most one per field and list item that can be cut. */
  truncated: 600,
  truncatedField: 32,
  /**
   * Characters of all arguments together, and of all groups together. The per-item bounds alone would allow
   * 1 MiB of arguments; these keep the stored item far below DynamoDB's 400 KB even at 3 bytes a character.
   */
  commandTotal: 16_384,
  groupsTotal: 8_192,
} as const;

/** The text fields an event's `truncated` may name, as boundAuditEvent names them when it cuts one. */
export const CUT_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'message',
  'workload.cluster',
  'workload.namespace',
  'workload.pod',
  'workload.container',
  'workload.image',
  'workload.function',
  'workload.host',
  'user.name',
]);

/**
 * The lists an event's `truncated` may name, whole (too many items) or one item (`command[3]`, cut to its share),
 * with the most items each keeps: an item at or past it was never kept, so never cut on its own.
 */
export const CUT_LIST_FIELDS: Readonly<Record<string, number>> = {
  'user.groups': AUDIT_LIMITS.groups,
  command: AUDIT_LIMITS.arguments,
  unresolved: AUDIT_LIMITS.unresolved,
};
