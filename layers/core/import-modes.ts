// The vocabulary every import plan shares (native documents, the commercial product's, enforcer groups), kept
// apart from export-import.ts so that planners it uses can name it without importing that module back.

/** `upsert` creates or replaces; `create` refuses to replace an existing item that differs. */
export const importModes = ['upsert', 'create'] as const;
export type ImportMode = (typeof importModes)[number];

/** What importing an item does to the stored item of the same name. */
export type ImportResult = 'created' | 'updated' | 'unchanged';
