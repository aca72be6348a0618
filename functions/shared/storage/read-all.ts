import type { ConfigKind, ConfigStore, Stored, StoredMeta } from './ports.js';

/** Every stored item of one kind, following the pages: for the small kinds that are read whole. */
export async function listAll<K extends ConfigKind>(store: ConfigStore, kind: K): Promise<Array<Stored<K>>> {
  const items: Array<Stored<K>> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(kind, { limit: 500, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** A stored document without its server-managed metadata, ready to be written back. */
export function withoutMeta<T extends object>(doc: T): Omit<T, keyof StoredMeta> {
  const { version: _v, createdAt: _c, updatedAt: _u, updatedBy: _b, ...rest } = doc as T & Partial<StoredMeta>;
  return rest;
}
