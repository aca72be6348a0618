import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BadRequestError, ConflictError, NotFoundError, VersionMismatchError } from '../errors.js';
import type { Item } from './paging.js';
import type { Actor, ConfigChange, ConfigKind, PendingModeChange, Stored, StoredMeta } from './ports.js';
import { activityKey, APPLYING_ATTRIBUTE, configItemKey, configKeys, pendingModeChangeKey, type ConfigKey } from './tables.js';

// The write plan of a configuration change, without I/O: given the changes and the items as read, what
// each transaction writes, how it is undone, and what a failed condition means. The transaction code
// (config-transactions.ts) sends what this module builds; docs/adr/0002 explains the design.

/** DynamoDB allows 100 actions per transaction: two per change (item, activity) and one revision bump. */
export const MAX_CHANGES_PER_TRANSACTION = 49;
/** Actions of one transaction besides the revision bump; a policy change can add up to two for its pending mode change. */
const MAX_ACTIONS_PER_TRANSACTION = 99;
/** DynamoDB allows 4 MB per transaction; our size estimate is rough, so keep a margin. */
const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024;
/** DynamoDB's item size limit is 400 KB; keep a margin for the estimate. */
export const MAX_ITEM_BYTES = 400 * 1024 - 2048;
/** Fields whose values never belong in the activity trail, even hashed. */
const SECRET_FIELDS = new Set(['tokenHash', 'secretHash', 'nodeAgentTokenHash']);
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
export interface ConfigItem extends StoredMeta, ConfigKey {
  readonly doc: Record<string, unknown>;
  readonly type?: string;
  readonly enabled?: boolean;
}

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One change, resolved against what was read: what to write, and what to restore if it must be undone. */
export interface Plan {
  readonly change: ConfigChange;
  readonly key: ConfigKey;
  readonly before: ConfigItem | undefined;
  readonly after: ConfigItem | undefined;
  readonly activity: Item & ConfigKey;
  /** Writes of derived items (the pending mode change of a policy) that go with the change, and their undo. */
  readonly derived: readonly TransactItem[];
  readonly underived: readonly TransactItem[];
  readonly bytes: number;
}

/** What every plan of one apply shares: where, who, when, and how activity entries get their ids. */
export interface PlanContext {
  readonly tableName: string;
  readonly actor: Actor;
  /** The activity action of every change (e.g. `import`); by default create, update or delete. */
  readonly action?: string | undefined;
  /** ISO instant of the apply. */
  readonly now: string;
  readonly newId: () => string;
}

/** A staged import is being applied (its copies are not done yet): finish it, then retry. Internal to storage. */
export class ImportPending extends Error {
  constructor() {
    super('a committed import is still being applied');
  }
}

/** An unguarded change met an item that changed after it was read: read again and retry. Internal to storage. */
export class StaleRead extends Error {
  constructor(readonly change: ConfigChange) {
    super('item changed while applying');
  }
}

/** `policy "x"`, `application scope "y"`: how messages name the item of a change. */
export function changeLabel(change: Pick<ConfigChange, 'kind' | 'name'>): string {
  return `${kindLabels[change.kind]} "${change.name}"`;
}

/** A map key of one item. */
export function keyString(key: ConfigKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

function itemBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(item), 'utf8');
}

/** The document of a stored item, with its metadata, as the store's readers return it. */
export function toStored(item: ConfigItem): Stored<ConfigKind> {
  const { doc, version, createdAt, updatedAt, updatedBy } = item;
  return { ...doc, version, createdAt, updatedAt, updatedBy };
}

/** Hashes of secrets stay out of the trail: it is shown to every administrator and kept forever. */
function redacted(item: ConfigItem | undefined): unknown {
  if (!item) return null;
  const stored = toStored(item) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(stored).map(([field, value]) => [field, SECRET_FIELDS.has(field) ? '[redacted]' : value]));
}

/** Refuses a change list that names one item twice: a transaction may touch an item only once, and "create then delete x" means nothing. */
export function checkDistinct(changes: readonly ConfigChange[]): void {
  const seen = new Set<string>();
  for (const change of changes) {
    const key = keyString(configItemKey(change.kind, change.name));
    if (seen.has(key)) throw new BadRequestError(`${changeLabel(change)} appears more than once in one change`);
    seen.add(key);
  }
}

/**
 * Whether the items must be read before planning. Creates have no before-image, and within one transaction
 * the attribute_not_exists condition already refuses an existing name: reading would only add a round trip.
 * Larger batches still read, so that a conflict is found before any chunk is written.
 */
export function needsRead(changes: readonly ConfigChange[]): boolean {
  return !(changes.every((change) => change.op === 'create') && changes.length <= MAX_CHANGES_PER_TRANSACTION);
}

/** The pending-change item a stored policy implies, if it carries a resolved change. */
export function pendingItem(item: ConfigItem | undefined): (Item & PendingModeChange & ConfigKey) | undefined {
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
  return { ...pendingModeChangeKey(scheduledFor, item.sk), policy: item.sk, changeId: change.id, to: change.to, scheduledFor };
}

/**
 * Keeps the pending-change item of a policy in step with it: removes the one the policy carried, puts the
 * one it carries now (one Put when the key stays; nothing when the change is the same), and the reverse.
 */
function pendingWrites(
  tableName: string,
  before: ConfigItem | undefined,
  after: ConfigItem | undefined,
): { derived: TransactItem[]; underived: TransactItem[] } {
  const old = pendingItem(before);
  const next = pendingItem(after);
  if (old && next && old.sk === next.sk && old.changeId === next.changeId && old.to === next.to) return { derived: [], underived: [] };
  const sameKey = old !== undefined && next !== undefined && old.sk === next.sk;
  const put = (item: Item): TransactItem => ({ Put: { TableName: tableName, Item: item } });
  const remove = (item: ConfigKey): TransactItem => ({ Delete: { TableName: tableName, Key: { pk: item.pk, sk: item.sk } } });
  return {
    derived: [...(old && !sameKey ? [remove(old)] : []), ...(next ? [put(next)] : [])],
    underived: [...(next && !sameKey ? [remove(next)] : []), ...(old ? [put(old)] : [])],
  };
}

/** Checks a change against the item as read and builds what to write; typed errors for the obvious cases. */
export function planChange(change: ConfigChange, before: ConfigItem | undefined, context: PlanContext): Plan {
  const label = changeLabel(change);
  const key = configItemKey(change.kind, change.name);
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
      createdAt: before?.createdAt ?? context.now,
      updatedAt: context.now,
      updatedBy: context.actor,
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

  const id = context.newId();
  let activity: Item & ConfigKey = {
    ...activityKey(context.now, id),
    id,
    time: context.now,
    actor: context.actor,
    action: context.action ?? defaultActions[change.op],
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
  const { derived, underived } = pendingWrites(context.tableName, before, after);
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

/** Groups plans into transactions within DynamoDB's action and size limits, keeping their order. */
export function chunkPlans(plans: readonly Plan[]): Plan[][] {
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

/**
 * The global revision bump every transaction carries, so that caches see each one. It fails while a staged
 * import is being applied (docs/adr/0009): the writer finishes that import first, then writes.
 */
export function revisionBump(tableName: string): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: { ...configKeys.meta },
      UpdateExpression: 'ADD #revision :one',
      ConditionExpression: 'attribute_not_exists(#applying)',
      ExpressionAttributeNames: { '#revision': 'revision', '#applying': APPLYING_ATTRIBUTE },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** The write of one change, conditioned on what was read, and its activity entry. */
function forwardWrites(tableName: string, plan: Plan): TransactItem[] {
  const { change, before, after } = plan;
  const activity: TransactItem = { Put: { TableName: tableName, Item: plan.activity } };
  // ALL_OLD puts the current item into the cancellation reason: missing item vs other version.
  const onFailure = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
  if (change.op === 'create') {
    return [
      { Put: { TableName: tableName, Item: after, ConditionExpression: 'attribute_not_exists(pk)', ...onFailure } },
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
  if (change.op === 'replace') return [{ Put: { TableName: tableName, Item: after, ...guard } }, activity, ...plan.derived];
  return [{ Delete: { TableName: tableName, Key: plan.key, ...guard } }, activity, ...plan.derived];
}

/** The transaction of a change that fits one: each plan's item first, then its activity entry and derived writes, then the revision bump. */
export function chunkTransaction(tableName: string, chunk: readonly Plan[]): TransactItem[] {
  return [...chunk.flatMap((plan) => forwardWrites(tableName, plan)), revisionBump(tableName)];
}

/** A version from a cancellation reason's item, which arrives in raw AttributeValue form. */
function versionOf(item: CancellationReason['Item']): number | undefined {
  const value = item?.version;
  return value?.N === undefined ? undefined : Number(value.N);
}

/** Turns the cancellation reasons of a chunk's transaction into the typed error of the first failed change. */
export function classifyCancellation(chunk: readonly Plan[], reasons: readonly CancellationReason[]): Error {
  let offset = 0;
  for (const plan of chunk) {
    // Each plan contributed its item first, then its activity entry and derived writes (see forwardWrites).
    const reason = reasons[offset];
    offset += 2 + plan.derived.length;
    if (reason?.Code !== 'ConditionalCheckFailed') continue;
    const { change } = plan;
    const label = changeLabel(change);
    if (change.op === 'create') return new ConflictError(`${label} already exists`);
    const version = versionOf(reason.Item);
    if (version === undefined) return new NotFoundError(`${label} does not exist`);
    if (change.expectedVersion !== undefined)
      return new VersionMismatchError(`${label} is at version ${version}, not ${change.expectedVersion}`);
    return new StaleRead(change);
  }
  // The revision bump is last: it fails only while a staged import is being applied.
  if (reasons[offset]?.Code === 'ConditionalCheckFailed') return new ImportPending();
  // Activity entries carry no condition.
  return new Error(`transaction conditions failed on no change: ${reasons.map((r) => r.Code).join(', ')}`);
}
