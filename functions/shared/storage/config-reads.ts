import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { defaultEnforcerSettings } from '../../../layers/core/zod-free.js';
import type { ApplicationScope, ConfigSnapshot, EnforcerGroup, Policy } from '../../../layers/core/index.js';
import { storageError } from './client.js';
import { toStored, type ConfigItem } from './config-write-plan.js';
import { checkLimit, decodeCursor, encodeCursor, queryPage, sortableInstant } from './paging.js';
import type { ActivityEntry, ConfigKind, ConfigListFilter, Page, PageRequest, PendingModeChange, Stored } from './ports.js';
import { configItemKey, configKeys } from './tables.js';

// The reads of the config table (see tables.ts): items by name and by kind, the revision, the activity
// trail and the due mode changes, all consistent. DynamoConfigStore adds the writes.

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
      const { pk, sk } = configKeys.meta;
      const output = await this.document.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
      return Number(output.Item?.revision ?? 0);
    } catch (error) {
      throw storageError(error);
    }
  }

  /** One item by name, read consistently (config reads are rare; the webhook caches snapshots). */
  async get<K extends ConfigKind>(kind: K, name: string): Promise<Stored<K> | undefined> {
    try {
      const output = await this.document.send(
        new GetCommand({ TableName: this.tableName, Key: configItemKey(kind, name), ConsistentRead: true }),
      );
      return output.Item ? (toStored(output.Item as ConfigItem) as Stored<K>) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  /** A page of one kind, sorted by name; the filter runs in DynamoDB so that pages stay full. */
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
      const { items, nextKey } = await queryPage(this.document, input, {
        limit,
        startKey: cursor?.key,
        keyOf: (item) => ({ pk: String(item.pk), sk: String(item.sk) }),
      });
      return {
        items: items.map((item) => toStored(item as unknown as ConfigItem) as Stored<K>),
        ...(nextKey ? { nextCursor: encodeCursor({ index, key: nextKey }) } : {}),
      };
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Everything the engine needs. The revision is read FIRST: if a write lands while the items are read,
   * the snapshot carries an older revision than its content, so the next revision check sees a newer
   * number and reloads. Read last, a snapshot could carry a revision newer than its content and the
   * cache would keep the stale content until the next write.
   */
  async loadSnapshot(): Promise<ConfigSnapshot> {
    try {
      const revision = await this.revision();
      const [policies, applicationScopes, groups, settings] = await Promise.all([
        this.queryAll(configKeys.partitions.policy),
        this.queryAll(configKeys.partitions.applicationScope),
        this.queryAll(configKeys.partitions.enforcerGroup),
        this.get('settings', 'enforcer'),
      ]);
      return {
        revision,
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
