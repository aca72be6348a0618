import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { defaultEnforcerSettings } from '../../../layers/core/zod-free.js';
import type { ApplicationScope, ConfigSnapshot, EnforcerGroup, Policy } from '../../../layers/core/index.js';
import { BadRequestError, ConflictError, DependencyError, NotFoundError, VersionMismatchError } from '../errors.js';
import { backoffDelay, batchGetWithRetry, isRetryableError } from './batch.js';
import { storageError } from './client.js';
import { checkLimit, decodeCursor, encodeCursor, queryPage, sortableInstant, type Item } from './paging.js';
import type {
  ActivityEntry,
  Actor,
  ConfigChange,
  ConfigKind,
  ConfigListFilter,
  ConfigStore,
  Page,
  PageRequest,
  PendingModeChange,
  Stored,
  StoredMeta,
} from './ports.js';
import { configKeys } from './tables.js';

// Configuration in one table (see tables.ts): documents with a version for optimistic concurrency, a
// global revision bumped in the same transaction as every write, and an activity entry per change.
// docs/adr/0002-config-writes-and-large-imports.md explains how changes too big for one transaction are
// applied and undone.

/** DynamoDB allows 100 actions per transaction: two per change (item, activity) and one revision bump. */
export const MAX_CHANGES_PER_TRANSACTION = 49;
/** Actions of one transaction besides the revision bump; a policy change can add up to two for its pending mode change. */
const MAX_ACTIONS_PER_TRANSACTION = 99;
/**
 * Partition of the pending enforcement-mode changes: sk `<scheduledFor>#<policy>`, so that "due by now" is
 * one range query. The store keeps these items in step with the policies, in the same transactions.
 */
export const MODE_CHANGE_PARTITION = 'MODECHANGE';
/** DynamoDB allows 4 MB per transaction; our size estimate is rough, so keep a margin. */
const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024;
/** DynamoDB's item size limit is 400 KB; keep a margin for the estimate. */
const MAX_ITEM_BYTES = 400 * 1024 - 2048;
/** Attempts of one transaction that lost a race for the revision item or was throttled. */
const TRANSACTION_ATTEMPTS = 8;
/** Attempts of a whole apply whose unguarded change (no expectedVersion) lost to a concurrent writer. */
const APPLY_ATTEMPTS = 4;
/** Fields whose values never belong in the activity trail, even hashed. */
const SECRET_FIELDS = new Set(['tokenHash', 'secretHash']);
const SERVER_FIELDS = new Set<string>(['version', 'createdAt', 'updatedAt', 'updatedBy']);

const kindLabels: Readonly<Record<ConfigKind, string>> = {
  policy: 'policy',
  applicationScope: 'application scope',
  enforcerGroup: 'enforcer group',
  cluster: 'cluster',
  settings: 'settings',
};

const defaultActions = { create: 'create', replace: 'update', delete: 'delete' } as const;

/** A configuration item as stored: the document under `doc`, metadata and list-filter attributes on top. */
interface ConfigItem extends StoredMeta {
  readonly pk: string;
  readonly sk: string;
  readonly doc: Record<string, unknown>;
  readonly type?: string;
  readonly enabled?: boolean;
}

/** One change, resolved against what was read: what to write, and what to restore if it must be undone. */
interface Plan {
  readonly change: ConfigChange;
  readonly key: { readonly pk: string; readonly sk: string };
  readonly before: ConfigItem | undefined;
  readonly after: ConfigItem | undefined;
  readonly activity: Item;
  /** Writes of derived items (the pending mode change of a policy) that go with the change, and their undo. */
  readonly derived: readonly TransactItem[];
  readonly underived: readonly TransactItem[];
  readonly bytes: number;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction failed on conditions; the reasons say which. Internal: classified before it escapes. */
class ConditionsFailed extends Error {
  constructor(readonly reasons: readonly CancellationReason[]) {
    super('transaction conditions failed');
  }
}

/** An unguarded change met an item that changed after we read it: read again and retry. Internal. */
class StaleRead extends Error {
  constructor(readonly change: ConfigChange) {
    super('item changed while applying');
  }
}

function keyString(pk: string, sk: string): string {
  return `${pk}\u0000${sk}`;
}

function itemBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(item), 'utf8');
}

function toStored(item: ConfigItem): Stored<ConfigKind> {
  const { doc, version, createdAt, updatedAt, updatedBy } = item;
  return { ...doc, version, createdAt, updatedAt, updatedBy };
}

/** Hashes of secrets stay out of the trail: it is shown to every administrator and kept forever. */
function redacted(item: ConfigItem | undefined): unknown {
  if (!item) return null;
  const stored = toStored(item) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(stored).map(([field, value]) => [field, SECRET_FIELDS.has(field) ? '[redacted]' : value]));
}

/** The pending-change item a stored policy implies, if it carries a resolved change. */
function pendingItem(item: ConfigItem | undefined): (Item & PendingModeChange & { pk: string; sk: string }) | undefined {
  if (!item || item.pk !== configKeys.partitions.policy) return undefined;
  const change = item.doc.enforcementModeChange as Record<string, unknown> | null | undefined;
  if (
    !change ||
    typeof change.id !== 'string' ||
    typeof change.scheduledFor !== 'string' ||
    (change.to !== 'audit' && change.to !== 'enforce')
  )
    return undefined;
  const time = Date.parse(change.scheduledFor);
  if (Number.isNaN(time)) return undefined;
  // Normalised, so that the sort key orders by time whatever offset the instant was written with.
  const scheduledFor = new Date(time).toISOString();
  return { pk: MODE_CHANGE_PARTITION, sk: `${scheduledFor}#${item.sk}`, policy: item.sk, changeId: change.id, to: change.to, scheduledFor };
}

/** A version from a cancellation reason's item, which arrives in raw AttributeValue form. */
function versionOf(item: CancellationReason['Item']): number | undefined {
  const value = item?.version;
  return value?.N === undefined ? undefined : Number(value.N);
}

/** Implements ConfigStore on the config table with transactional, version-checked writes. */
export class DynamoConfigStore implements ConfigStore {
  private readonly clock: () => Date;
  private readonly newId: () => string;

  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the config table, `<prefix>config`
   */
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { readonly clock?: () => Date; readonly newId?: () => string } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

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
        new GetCommand({ TableName: this.tableName, Key: { pk: configKeys.partitions[kind], sk: name }, ConsistentRead: true }),
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
   * Applies the changes all-or-nothing in one transaction (or, when they do not fit, in chunks that are
   * undone if a later one fails), bumps the revision once per transaction and records one activity entry
   * per change. Returns the stored items in change order (undefined for deletes).
   */
  async apply(changes: readonly ConfigChange[], actor: Actor, action?: string): Promise<Array<Stored<ConfigKind> | undefined>> {
    if (changes.length === 0) return [];
    try {
      const seen = new Set<string>();
      for (const change of changes) {
        const key = keyString(change.kind, change.name);
        // A transaction may touch an item only once, and "create then delete x" in one call means nothing.
        if (seen.has(key)) throw new BadRequestError(`${kindLabels[change.kind]} "${change.name}" appears more than once in one change`);
        seen.add(key);
      }
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.applyOnce(changes, actor, action);
        } catch (error) {
          if (!(error instanceof StaleRead)) throw error;
          if (attempt >= APPLY_ATTEMPTS) {
            throw new ConflictError(
              `${kindLabels[error.change.kind]} "${error.change.name}" is being changed by someone else at the same time; try again`,
            );
          }
          await sleep(backoffDelay(attempt));
        }
      }
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
            ExpressionAttributeValues: { ':pk': MODE_CHANGE_PARTITION, ':bound': bound },
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

  private async queryAll(pk: string): Promise<ConfigItem[]> {
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

  private async applyOnce(
    changes: readonly ConfigChange[],
    actor: Actor,
    action: string | undefined,
  ): Promise<Array<Stored<ConfigKind> | undefined>> {
    const now = this.clock().toISOString();
    const keys = changes.map((change) => ({ pk: configKeys.partitions[change.kind], sk: change.name }));
    // Consistent reads: the before-images of the activity trail, and the versions the writes are
    // conditioned on, so that a writer sneaking in between fails our transaction instead of being
    // recorded with a wrong `before`.
    const current = new Map<string, ConfigItem>();
    // Creates have no before-image, and within one transaction the attribute_not_exists condition
    // already refuses an existing name: reading first would only add a round trip. Larger batches still
    // read, so that a conflict is found before any chunk is written.
    const onlyCreates = changes.every((change) => change.op === 'create') && changes.length <= MAX_CHANGES_PER_TRANSACTION;
    const toRead = onlyCreates ? [] : keys;
    for (const item of toRead.length === 0
      ? []
      : await batchGetWithRetry(this.document, this.tableName, toRead, { consistentRead: true })) {
      const found = item as unknown as ConfigItem;
      current.set(keyString(found.pk, found.sk), found);
    }
    const plans = changes.map((change, i) => {
      const key = keys[i] as Plan['key'];
      return this.plan(change, key, current.get(keyString(key.pk, key.sk)), actor, action, now);
    });

    const chunks = this.chunks(plans);
    const applied: Plan[][] = [];
    for (const chunk of chunks) {
      try {
        await this.transact([...chunk.flatMap((plan) => this.forward(plan)), this.bumpRevision()]);
      } catch (error) {
        const failure = error instanceof ConditionsFailed ? this.classify(chunk, error.reasons) : error;
        if (applied.length > 0) await this.undo(applied, failure);
        throw failure;
      }
      applied.push(chunk);
    }
    return plans.map((plan) => (plan.after ? toStored(plan.after) : undefined));
  }

  /** Checks a change against the item as read and builds what to write; typed errors for the obvious cases. */
  private plan(
    change: ConfigChange,
    key: Plan['key'],
    before: ConfigItem | undefined,
    actor: Actor,
    action: string | undefined,
    now: string,
  ): Plan {
    const label = `${kindLabels[change.kind]} "${change.name}"`;
    if (change.op === 'create' && before) throw new ConflictError(`${label} already exists`);
    if (change.op !== 'create') {
      if (!before) throw new NotFoundError(`${label} does not exist`);
      if (change.expectedVersion !== undefined && before.version !== change.expectedVersion) {
        throw new VersionMismatchError(`${label} is at version ${before.version}, not ${change.expectedVersion}`);
      }
    }

    let after: ConfigItem | undefined;
    if (change.op !== 'delete') {
      const doc = Object.fromEntries(Object.entries(change.doc).filter(([field]) => !SERVER_FIELDS.has(field)));
      after = {
        ...key,
        doc,
        version: before ? before.version + 1 : 1,
        createdAt: before?.createdAt ?? now,
        updatedAt: now,
        updatedBy: actor,
        // Top-level copies for list filters (FilterExpression cannot reach into `doc` cheaply by name).
        ...(typeof doc.type === 'string' ? { type: doc.type } : {}),
        ...(typeof doc.enabled === 'boolean' ? { enabled: doc.enabled } : {}),
      };
      const size = itemBytes(after);
      if (size > MAX_ITEM_BYTES) {
        throw new BadRequestError(
          `${label} is too large to store (${Math.ceil(size / 1024)} KB; the limit is ${Math.floor(MAX_ITEM_BYTES / 1024)} KB)`,
        );
      }
    }

    const id = this.newId();
    let activity: Item = {
      pk: configKeys.activity,
      sk: `${now}#${id}`,
      id,
      time: now,
      actor,
      action: action ?? defaultActions[change.op],
      resource: `${change.kind}/${change.name}`,
      before: redacted(before),
      after: redacted(after),
    };
    if (itemBytes(activity) > MAX_ITEM_BYTES) {
      // Both images of a near-limit item do not fit one entry: keep who, what and when, and the versions.
      activity = {
        ...activity,
        before: before ? { truncated: true, version: before.version } : null,
        after: after ? { truncated: true, version: after.version } : null,
      };
    }
    const { derived, underived } = this.pendingWrites(before, after);
    return {
      change,
      key,
      before,
      after,
      activity,
      derived,
      underived,
      bytes: (after ? itemBytes(after) : 0) + itemBytes(activity) + (derived.length > 0 ? 512 : 0),
    };
  }

  /**
   * Keeps the pending-change item of a policy in step with it: removes the one the policy carried, puts the
   * one it carries now (one Put when the key stays; nothing when the change is the same), and the reverse.
   */
  private pendingWrites(
    before: ConfigItem | undefined,
    after: ConfigItem | undefined,
  ): { derived: TransactItem[]; underived: TransactItem[] } {
    const old = pendingItem(before);
    const next = pendingItem(after);
    if (old && next && old.sk === next.sk && old.changeId === next.changeId && old.to === next.to) return { derived: [], underived: [] };
    const sameKey = old !== undefined && next !== undefined && old.sk === next.sk;
    const put = (item: Item): TransactItem => ({ Put: { TableName: this.tableName, Item: item } });
    const remove = (item: { pk: string; sk: string }): TransactItem => ({
      Delete: { TableName: this.tableName, Key: { pk: item.pk, sk: item.sk } },
    });
    return {
      derived: [...(old && !sameKey ? [remove(old)] : []), ...(next ? [put(next)] : [])],
      underived: [...(next && !sameKey ? [remove(next)] : []), ...(old ? [put(old)] : [])],
    };
  }

  /** Groups plans into transactions within DynamoDB's action and size limits, keeping their order. */
  private chunks(plans: readonly Plan[]): Plan[][] {
    const chunks: Plan[][] = [];
    let current: Plan[] = [];
    let bytes = 0;
    let actions = 0;
    for (const plan of plans) {
      const planActions = 2 + plan.derived.length;
      if (
        current.length > 0 &&
        (current.length >= MAX_CHANGES_PER_TRANSACTION ||
          actions + planActions > MAX_ACTIONS_PER_TRANSACTION ||
          bytes + plan.bytes > MAX_TRANSACTION_BYTES)
      ) {
        chunks.push(current);
        current = [];
        bytes = 0;
        actions = 0;
      }
      current.push(plan);
      bytes += plan.bytes;
      actions += planActions;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  /** The write of one change, conditioned on what was read, and its activity entry. */
  private forward(plan: Plan): TransactItem[] {
    const { change, before, after } = plan;
    const activity: TransactItem = { Put: { TableName: this.tableName, Item: plan.activity } };
    // ALL_OLD puts the current item into the cancellation reason: missing item vs other version.
    const onFailure = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    if (change.op === 'create') {
      return [
        { Put: { TableName: this.tableName, Item: after, ConditionExpression: 'attribute_not_exists(pk)', ...onFailure } },
        activity,
        ...plan.derived,
      ];
    }
    const guard = {
      ConditionExpression: '#version = :read',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':read': before?.version },
      ...onFailure,
    };
    if (change.op === 'replace') return [{ Put: { TableName: this.tableName, Item: after, ...guard } }, activity, ...plan.derived];
    return [{ Delete: { TableName: this.tableName, Key: plan.key, ...guard } }, activity, ...plan.derived];
  }

  private bumpRevision(): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { ...configKeys.meta },
        UpdateExpression: 'ADD #revision :one',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':one': 1 },
      },
    };
  }

  /** Turns the cancellation reasons of a chunk into the typed error of the first failed change. */
  private classify(chunk: readonly Plan[], reasons: readonly CancellationReason[]): Error {
    let offset = 0;
    for (const plan of chunk) {
      // Each plan contributed its item first, then its activity entry and derived writes (see forward).
      const reason = reasons[offset];
      offset += 2 + plan.derived.length;
      if (reason?.Code !== 'ConditionalCheckFailed') continue;
      const { change } = plan;
      const label = `${kindLabels[change.kind]} "${change.name}"`;
      if (change.op === 'create') return new ConflictError(`${label} already exists`);
      const version = versionOf(reason.Item);
      if (version === undefined) return new NotFoundError(`${label} does not exist`);
      if (change.expectedVersion !== undefined)
        return new VersionMismatchError(`${label} is at version ${version}, not ${change.expectedVersion}`);
      return new StaleRead(change);
    }
    // Only the revision item or an activity entry could have failed, and neither carries a condition.
    return new Error(`transaction conditions failed on no change: ${reasons.map((r) => r.Code).join(', ')}`);
  }

  /**
   * Undoes chunks that were already committed, newest first: restores the before-images (conditioned
   * on the versions this call wrote), removes their activity entries and bumps the revision again so
   * that caches drop what they may have seen in between. If that fails too, the state is partial: say so.
   */
  private async undo(applied: readonly Plan[][], failure: unknown): Promise<void> {
    try {
      for (const chunk of [...applied].reverse()) {
        const items: TransactItem[] = [];
        for (const plan of chunk) {
          const { before, after } = plan;
          const written = {
            ConditionExpression: '#version = :written',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':written': after?.version },
          };
          if (!before) items.push({ Delete: { TableName: this.tableName, Key: plan.key, ...written } });
          else if (after) items.push({ Put: { TableName: this.tableName, Item: before, ...written } });
          else items.push({ Put: { TableName: this.tableName, Item: before, ConditionExpression: 'attribute_not_exists(pk)' } });
          items.push({ Delete: { TableName: this.tableName, Key: { pk: plan.activity.pk, sk: plan.activity.sk } } });
          items.push(...plan.underived);
        }
        items.push(this.bumpRevision());
        await this.transact(items);
      }
    } catch (undoError) {
      const error = new DependencyError(
        'storage is unavailable: the change failed and could not be undone completely, so part of it may be applied',
      );
      error.cause = new AggregateError([failure, undoError], 'a chunked change failed and could not be undone');
      throw error;
    }
  }

  /**
   * Runs one transaction, retrying what is transient: a race for the revision item (TransactionConflict),
   * throttling, 5xx. Failed conditions are final and come back as ConditionsFailed.
   */
  private async transact(items: TransactItem[]): Promise<void> {
    // One token per logical attempt: the SDK's own retries of a request whose answer was lost then
    // cannot apply it twice. After a cancellation nothing was applied, so the next attempt gets a new one.
    let token = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.document.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
        return;
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const reasons = error.CancellationReasons ?? [];
          if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) throw new ConditionsFailed(reasons);
          const transient = reasons.some(
            (reason) =>
              reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError' || reason.Code === 'ProvisionedThroughputExceeded',
          );
          if (!transient || attempt >= TRANSACTION_ATTEMPTS) throw error;
          token = randomUUID();
        } else if (!isRetryableError(error) || attempt >= TRANSACTION_ATTEMPTS) {
          throw error;
        }
        await sleep(backoffDelay(attempt, { baseDelayMs: 20, maxDelayMs: 500 }));
      }
    }
  }
}
