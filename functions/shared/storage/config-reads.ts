import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { defaultEnforcerSettings } from '../../../layers/core/zod-free.js';
import type { ApplicationScope, ConfigSnapshot, EnforcerGroup, EnforcerSettings, Policy } from '../../../layers/core/index.js';
import { batchGetWithRetry } from './batch.js';
import { storageError } from './client.js';
import {
  decodeExportCursor,
  encodeExportCursor,
  EXPORT_SECTIONS,
  exportKeepsMoving,
  exportRevisionGone,
  itemBytes,
  walkPartition,
  type ExportCursor,
} from './config-export.js';
import { overlaid } from './config-stage-plan.js';
import { metaOf, readMeta, readStagedWrite, readStagedWrites, type MetaState } from './config-staging.js';
import { toStored, type ConfigItem } from './config-write-plan.js';
import { checkLimit, decodeCursor, encodeCursor, queryPage, sortableInstant, type Item, type ItemKey } from './paging.js';
import type { ActivityEntry, ConfigKind, ConfigListFilter, ExportPage, Page, PageRequest, PendingModeChange, Stored } from './ports.js';
import { configItemKey, configKeys } from './tables.js';

// The reads of the config table (see tables.ts): items by name and by kind, the revision, the activity
// trail and the due mode changes, all consistent. Reads of configuration items see a committed import
// whose writes are still being copied (docs/adr/0009). DynamoConfigStore adds the writes.

/** Runs of a multi-item read when staged imports keep committing while it reads. */
const READ_ATTEMPTS = 4;
/** The one item of the settings partition. */
const SETTINGS_NAME = 'enforcer';

/**
 * Bytes of items a list page carries at most, whatever `limit` asks: items reach 400 KB, so 500 of them could
 * exceed the 6 MB a Lambda function may answer. A page ends before the item that would cross this (it holds
 * at least one item), and its cursor continues there.
 */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** Cuts a page at MAX_PAGE_BYTES of items (as JSON); the cursor then points after the last item kept. */
export function withinPageBytes(items: readonly Item[], nextKey: ItemKey | undefined): { items: Item[]; nextKey?: ItemKey | undefined } {
  let bytes = 0;
  for (const [index, item] of items.entries()) {
    bytes += itemBytes(item);
    if (bytes > MAX_PAGE_BYTES && index > 0) {
      const last = items[index - 1]!;
      return { items: items.slice(0, index), nextKey: { pk: String(last.pk), sk: String(last.sk) } };
    }
  }
  return { items: [...items], nextKey };
}

/** Reads configuration items from the config table. */
export class DynamoConfigReads {
  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the config table, `<prefix>config`
   */
  constructor(
    protected readonly document: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  /** The current global revision (0 before the first write), read consistently. */
  async revision(): Promise<number> {
    try {
      return (await readMeta(this.document, this.tableName)).revision;
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * One item by name, read consistently (config reads are rare; the webhook caches snapshots). Read together
   * with `META`/`revision`: while a committed import is being copied, its staged write of the item counts.
   */
  async get<K extends ConfigKind>(kind: K, name: string): Promise<Stored<K> | undefined> {
    try {
      const key = configItemKey(kind, name);
      const found = await batchGetWithRetry(this.document, this.tableName, [{ ...configKeys.meta }, key], { consistentRead: true });
      const meta = metaOf(found.find((item) => item.pk === configKeys.meta.pk));
      let item = found.find((candidate) => candidate.pk === key.pk) as ConfigItem | undefined;
      if (meta.applying !== undefined) {
        const staged = await readStagedWrite(this.document, this.tableName, meta.applying, key);
        if (staged) item = staged.item as ConfigItem | undefined;
      }
      return item ? (toStored(item) as Stored<K>) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Runs a read of several items so that what it returns is the configuration of one committed revision:
   * `META`/`revision` is read before and after, and while an import is being copied its staged writes are
   * laid over the stored items. A staged import committed during the read changes the revision: then the
   * read runs again (a few times; writes are rare). Single-transaction writes are atomic on their own.
   */
  protected async atOneRevision<T>(read: (meta: MetaState) => Promise<T>): Promise<{ readonly meta: MetaState; readonly result: T }> {
    let meta = await readMeta(this.document, this.tableName);
    for (let attempt = 1; ; attempt++) {
      const result = await read(meta);
      if (attempt >= READ_ATTEMPTS) return { meta, result };
      const after = await readMeta(this.document, this.tableName);
      if (after.revision === meta.revision) return { meta, result };
      meta = after;
    }
  }

  /** Every item of one partition as of `meta`: the stored ones with a committed import's staged writes on top. */
  protected async partitionAt(pk: string, meta: MetaState): Promise<ConfigItem[]> {
    if (meta.applying === undefined) return this.queryAll(pk);
    const [stored, staged] = await Promise.all([this.queryAll(pk), readStagedWrites(this.document, this.tableName, meta.applying, pk)]);
    return overlaid(stored, staged, pk);
  }

  /**
   * A page of one kind, sorted by name; the filter runs in DynamoDB so that pages stay full. A page holds at
   * most `limit` items and MAX_PAGE_BYTES of them.
   */
  async list<K extends ConfigKind>(kind: K, page: PageRequest, filter: ConfigListFilter = {}): Promise<Page<Stored<K>>> {
    try {
      const limit = checkLimit(page.limit);
      const pk = configKeys.partitions[kind];
      const index = `config:${pk}`;
      const cursor = decodeCursor(page.cursor, {
        index,
        keyAttributes: ['pk', 'sk'],
        check: (state) => state.day === undefined && state.key?.pk === pk,
      });
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':pk': pk };
      const conditions: string[] = [];
      if (filter.type !== undefined) {
        names['#type'] = 'type';
        values[':type'] = filter.type;
        conditions.push('#type = :type');
      }
      if (filter.enabled !== undefined) {
        names['#enabled'] = 'enabled';
        values[':enabled'] = filter.enabled;
        conditions.push('#enabled = :enabled');
      }
      const input: QueryCommandInput = {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
      };
      const { result } = await this.atOneRevision(async (meta) => {
        if (meta.applying === undefined) {
          return queryPage(this.document, input, {
            limit,
            startKey: cursor?.key,
            keyOf: (item) => ({ pk: String(item.pk), sk: String(item.sk) }),
          });
        }
        // While an import is being copied (seconds, and rare), the page is cut from the whole partition with
        // the import laid over it: the same items and cursor as the query gives once the copy is done.
        const after = cursor?.key?.sk === undefined ? undefined : Buffer.from(cursor.key.sk, 'utf8');
        const matching = (await this.partitionAt(pk, meta)).filter(
          (item) =>
            (filter.type === undefined || item.type === filter.type) &&
            (filter.enabled === undefined || item.enabled === filter.enabled) &&
            (after === undefined || Buffer.compare(Buffer.from(item.sk, 'utf8'), after) > 0),
        );
        const items = matching.slice(0, limit) as unknown as Item[];
        const last = matching[limit - 1];
        return { items, nextKey: matching.length > limit && last ? { pk: last.pk, sk: last.sk } : undefined };
      });
      const { items, nextKey } = withinPageBytes(result.items, result.nextKey);
      return {
        items: items.map((item) => toStored(item as unknown as ConfigItem) as Stored<K>),
        ...(nextKey ? { nextCursor: encodeCursor({ index, key: nextKey }) } : {}),
      };
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Everything the engine needs, as of one committed revision (see atOneRevision). The revision is read
   * FIRST: if a single-transaction write lands while the items are read, the snapshot carries an older
   * revision than its content, so the next revision check sees a newer number and reloads. Read last, a
   * snapshot could carry a revision newer than its content and the cache would keep the stale content
   * until the next write.
   */
  async loadSnapshot(): Promise<ConfigSnapshot> {
    try {
      const { meta, result } = await this.atOneRevision((at) =>
        Promise.all([
          this.partitionAt(configKeys.partitions.policy, at),
          this.partitionAt(configKeys.partitions.applicationScope, at),
          this.partitionAt(configKeys.partitions.enforcerGroup, at),
          this.partitionAt(configKeys.partitions.settings, at),
        ]),
      );
      const [policies, applicationScopes, groups, settingsItems] = result;
      const settingsItem = settingsItems.find((item) => item.sk === SETTINGS_NAME);
      const settings = settingsItem ? (toStored(settingsItem) as unknown as EnforcerSettings) : undefined;
      return {
        revision: meta.revision,
        policies: policies.map((item) => toStored(item) as unknown as Policy),
        applicationScopes: applicationScopes.map((item) => toStored(item) as unknown as ApplicationScope),
        // The snapshot travels further than the store (bundles, logs): token hashes stay behind.
        groups: groups.map((item) => {
          const { tokenHash: _tokenHash, ...group } = toStored(item) as unknown as EnforcerGroup & { tokenHash?: string };
          return group;
        }),
        settings: settings ?? defaultEnforcerSettings(),
      };
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * One page of the export of one revision (docs/adr/0016): without a cursor, the first page at the current
   * revision (settings, then application scopes, then policies, in name order); with one, the page after it,
   * only while the configuration is still at the cursor's revision (else 410: start again). A page holds at
   * most MAX_PAGE_BYTES of items, and at least one.
   */
  async exportPage(cursorText?: string): Promise<ExportPage> {
    const cursor = decodeExportCursor(cursorText);
    try {
      for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
        const before = await readMeta(this.document, this.tableName);
        if (cursor && before.revision !== cursor.revision) throw exportRevisionGone(cursor.revision, before.revision);
        const page = await this.exportItems(before, cursor);
        const after = await readMeta(this.document, this.tableName);
        // Every configuration write bumps the revision: unchanged around the reads, they saw exactly that revision.
        if (after.revision === before.revision) return page;
        if (cursor) throw exportRevisionGone(cursor.revision, after.revision);
      }
      throw exportKeepsMoving();
    } catch (error) {
      throw storageError(error);
    }
  }

  private async exportItems(meta: MetaState, cursor: ExportCursor | undefined): Promise<ExportPage> {
    let bytes = 0;
    let settings: EnforcerSettings | undefined;
    if (!cursor) {
      const item = (await this.partitionAt(configKeys.partitions.settings, meta)).find((candidate) => candidate.sk === SETTINGS_NAME);
      settings = item ? (toStored(item) as unknown as EnforcerSettings) : defaultEnforcerSettings();
      bytes += itemBytes(settings);
    }
    const kept: ConfigItem[] = [];
    let next: ExportCursor['after'] | undefined;
    const first = cursor ? EXPORT_SECTIONS.indexOf(cursor.after.pk) : 0;
    walk: for (const pk of EXPORT_SECTIONS.slice(first)) {
      const afterSk = cursor && pk === cursor.after.pk ? cursor.after.sk : undefined;
      const items = walkPartition(this.document, this.tableName, { pk, afterSk, meta, overlay: (p, m) => this.partitionAt(p, m) });
      for await (const item of items) {
        const size = itemBytes(item);
        if (bytes + size > MAX_PAGE_BYTES && kept.length > 0) {
          const last = kept[kept.length - 1]!;
          next = { pk: last.pk as ExportCursor['after']['pk'], sk: last.sk };
          break walk;
        }
        kept.push(item);
        bytes += size;
      }
    }
    const of = (pk: string) => kept.filter((item) => item.pk === pk).map((item) => toStored(item));
    return {
      revision: meta.revision,
      ...(settings ? { settings } : {}),
      applicationScopes: of(configKeys.partitions.applicationScope) as unknown as ApplicationScope[],
      policies: of(configKeys.partitions.policy) as unknown as Policy[],
      // Token hashes stay behind, as in the snapshot (the export document also keeps only the group's own fields).
      enforcerGroups: of(configKeys.partitions.enforcerGroup).map((stored) => {
        const { tokenHash: _tokenHash, ...group } = stored as unknown as EnforcerGroup & { tokenHash?: string };
        return group;
      }),
      ...(next ? { nextCursor: encodeExportCursor({ revision: meta.revision, after: next }) } : {}),
    };
  }

  /** The activity trail, newest first, optionally from `since` (inclusive) on. */
  async activity(query: PageRequest & { readonly since?: string | undefined }): Promise<Page<ActivityEntry>> {
    try {
      const limit = checkLimit(query.limit);
      const since = query.since === undefined ? undefined : sortableInstant(query.since, 'since');
      const index = 'activity';
      const cursor = decodeCursor(query.cursor, {
        index,
        keyAttributes: ['pk', 'sk'],
        // A start key outside the queried range is rejected by DynamoDB: reject it here as a bad cursor.
        check: (state) =>
          state.day === undefined && state.key?.pk === configKeys.activity && (since === undefined || (state.key.sk ?? '') >= since),
      });
      const input: QueryCommandInput = {
        TableName: this.tableName,
        KeyConditionExpression: since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: since === undefined ? { ':pk': configKeys.activity } : { ':pk': configKeys.activity, ':since': since },
        ScanIndexForward: false,
        ConsistentRead: true,
      };
      const { items, nextKey } = await queryPage(this.document, input, {
        limit,
        startKey: cursor?.key,
        keyOf: (item) => ({ pk: String(item.pk), sk: String(item.sk) }),
      });
      const entries = items.map((item): ActivityEntry => ({
        id: String(item.id),
        time: String(item.time),
        actor: String(item.actor),
        action: String(item.action),
        resource: String(item.resource),
        before: item.before ?? null,
        after: item.after ?? null,
      }));
      return { items: entries, ...(nextKey ? { nextCursor: encodeCursor({ index, key: nextKey }) } : {}) };
    } catch (error) {
      throw storageError(error);
    }
  }

  /** Pending mode changes due by `until` (inclusive), oldest first: one range query on their partition. */
  async dueModeChanges(until: Date, limit: number): Promise<PendingModeChange[]> {
    try {
      // Sort keys start with the 24-character instant: everything before the next millisecond is due.
      const bound = new Date(until.getTime() + 1).toISOString();
      const found: PendingModeChange[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const output = await this.document.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk < :bound',
            ExpressionAttributeValues: { ':pk': configKeys.modeChange, ':bound': bound },
            ConsistentRead: true,
            Limit: limit - found.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of output.Items ?? []) {
          found.push({
            policy: String(item.policy),
            changeId: String(item.changeId),
            to: item.to === 'audit' ? 'audit' : 'enforce',
            scheduledFor: String(item.scheduledFor),
          });
        }
        startKey = output.LastEvaluatedKey;
      } while (startKey && found.length < limit);
      return found;
    } catch (error) {
      throw storageError(error);
    }
  }

  protected async queryAll(pk: string): Promise<ConfigItem[]> {
    const items: ConfigItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.document.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((output.Items ?? []) as ConfigItem[]));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
