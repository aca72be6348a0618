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
