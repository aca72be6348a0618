import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  generateNameCandidates,
  learnPod,
  possibleIdentities,
  type PodIdentity,
  type PodLesson,
  type PodMemory,
} from '../../../layers/core/zod-free.js';
import { batchGetWithRetry } from './batch.js';
import { storageError } from './client.js';
import type { PodDirectory } from './ports.js';
import { auditKeys } from './tables.js';

const POD_PREFIX = auditKeys.podPrefix;
/** Concurrent learners of one record retry this often before giving up (each retry re-reads the record). */
const MAX_ATTEMPTS = 8;
/**
 * How hard a lookup retries keys DynamoDB leaves unprocessed (a table or partition at capacity): briefly, since
 * a review waits for it; the webhook's own deadline still bounds the whole lookup.
 */
const LOOKUP_RETRY = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100 } as const;
/** A sighting this close to the stored one is not worth a write (it only refreshes `seenAt`, see learnPod's grace). */
const RESIGHTING_SECONDS = 60;

/** Whether `next` says nothing `previous` does not: same identities and flags, sightings at most a minute newer. */
function sameMemory(previous: PodMemory, next: PodMemory): boolean {
  if (
    previous.identities.length !== next.identities.length ||
    !previous.observed !== !next.observed ||
    !previous.overflowed !== !next.overflowed
  )
    return false;
  const { identities } = previous;
  return next.identities.every((identity, i) => {
    const { seenAt, ...rest } = identity;
    const { seenAt: before, ...restBefore } = identities[i]!;
    return seenAt - before < RESIGHTING_SECONDS && JSON.stringify(rest) === JSON.stringify(restBefore);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Pods live in the audit table: it already expires items by TTL, and pod records are as disposable as events.
function podKey(cluster: string, namespace: string, name: string): string {
  return `${POD_PREFIX}${cluster}#${namespace}#${name}`;
}

function generatedKey(cluster: string, namespace: string, prefix: string): string {
  return `${POD_PREFIX}${cluster}#${namespace}#gen:${prefix}`;
}

function lessonKey(cluster: string, lesson: PodLesson): string | undefined {
  if (lesson.name) return podKey(cluster, lesson.namespace, lesson.name);
  if (lesson.generateName) return generatedKey(cluster, lesson.namespace, lesson.generateName);
  return undefined;
}

/** A stored record: the memory (absent once expired), and the revision that guards concurrent writes. */
interface StoredRecord {
  readonly memory: PodMemory | undefined;
  /** Undefined for records written before revisions existed. */
  readonly rev: number | undefined;
}

function recordOf(item: Record<string, unknown>, nowSeconds: number): StoredRecord {
  const rev = typeof item.rev === 'number' ? item.rev : undefined;
  // TTL deletion lags by up to days: an expired item is as good as absent.
  const expiresAt = item[auditKeys.ttl];
  if (typeof expiresAt !== 'number' || expiresAt <= nowSeconds) return { memory: undefined, rev };
  if (item.memory) return { memory: item.memory as PodMemory, rev };
  // A record of one identity, as earlier versions wrote them: what it says the pod may be still counts.
  if (item.pod) return { memory: { identities: [{ ...(item.pod as PodIdentity), seenAt: 0, evidence: 'requested' }] }, rev };
  return { memory: undefined, rev };
}

/**
 * PodDirectory on DynamoDB: one item per pod name or generateName prefix holding every identity the pod may
 * have (docs/adr/0008), expiring by TTL. Writes are conditional on the revision read, so that two instances
 * learning about one pod at once cannot lose each other's identities.
 */
export class DynamoPodDirectory implements PodDirectory {
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  private async read(key: string): Promise<StoredRecord | undefined> {
    const { Item } = await this.document.send(new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }));
    return Item ? recordOf(Item, this.nowSeconds()) : undefined;
  }

  async learn(cluster: string, lesson: PodLesson, ttlSeconds: number): Promise<void> {
    const key = lessonKey(cluster, lesson);
    if (!key) return;
    try {
      // A pod name seen for the first time (the usual CREATE) needs no read: the write is conditional on absence.
      let current: StoredRecord | undefined = lesson.stored ? await this.read(key) : undefined;
      for (let attempt = 1; ; attempt++) {
        const now = this.nowSeconds();
        const memory = learnPod(current?.memory, lesson, now);
        // Another instance taught the same already (replicas of one ReplicaSet), or nothing changed.
        if (current?.memory && sameMemory(current.memory, memory)) return;
        const rev = (current?.rev ?? 0) + 1;
        const condition = !current ? 'attribute_not_exists(pk)' : current.rev === undefined ? 'attribute_not_exists(#rev)' : '#rev = :rev';
        try {
          await this.document.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { pk: key, memory, rev, [auditKeys.ttl]: now + ttlSeconds },
              ConditionExpression: condition,
              ...(current ? { ExpressionAttributeNames: { '#rev': 'rev' } } : {}),
              ...(current?.rev !== undefined ? { ExpressionAttributeValues: { ':rev': current.rev } } : {}),
            }),
          );
          return;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_ATTEMPTS) throw error;
          // Spread the retries of instances that collided, so that they do not collide again.
          await pause(Math.random() * 10 * attempt);
          current = await this.read(key);
        }
      }
    } catch (error) {
      throw storageError(error);
    }
  }

  async lookup(cluster: string, namespace: string, name: string): Promise<readonly PodIdentity[]> {
    try {
      // The exact name and every generateName record it could come from (docs/adr/0008), in one consistent
      // BatchGetItem: one request on one connection, where parallel GetItems each need a connection of their
      // own in a cold instance.
      const exactKey = podKey(cluster, namespace, name);
      const generatedKeys = generateNameCandidates(name).map((prefix) => generatedKey(cluster, namespace, prefix));
      const items = await batchGetWithRetry(
        this.document,
        this.tableName,
        [exactKey, ...generatedKeys].map((pk) => ({ pk })),
        { ...LOOKUP_RETRY, consistentRead: true },
      );
      const now = this.nowSeconds();
      const byKey = new Map(items.map((item) => [item.pk, recordOf(item, now)]));
      return possibleIdentities(
        byKey.get(exactKey)?.memory,
        generatedKeys.map((key) => byKey.get(key)?.memory),
      );
    } catch (error) {
      throw storageError(error);
    }
  }
}

/**
 * A small in-memory cache in front of a PodDirectory: recent pods resolve without a read, and a lesson this
 * instance already passed on (the same replica CREATE of a ReplicaSet, an UPDATE that changes nothing) is not
 * written again within the hour.
 */
export class CachedPodDirectory implements PodDirectory {
  private readonly entries = new Map<string, { identities: readonly PodIdentity[]; until: number }>();
  /** What this instance passed on last per record, so that repeated lessons are not rewritten every time. */
  private readonly written = new Map<string, { json: string; at: number }>();

  constructor(
    private readonly inner: PodDirectory,
    private readonly options: { readonly maxEntries: number; readonly ttlMs: number; readonly now?: () => number } = {
      maxEntries: 5000,
      ttlMs: 60_000,
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private bounded<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    // Maps iterate in insertion order: the first key is the least recently written.
    while (map.size > this.options.maxEntries) map.delete(map.keys().next().value!);
  }

  async learn(cluster: string, lesson: PodLesson, ttlSeconds: number): Promise<void> {
    const key = `${cluster}#${lesson.namespace}#${lesson.name ?? `gen:${lesson.generateName ?? ''}`}`;
    const json = JSON.stringify(lesson);
    const last = this.written.get(key);
    // Renewing the TTL once an hour is plenty for records that live for days.
    if (last && last.json === json && this.now() - last.at <= 3_600_000) return;
    await this.inner.learn(cluster, lesson, ttlSeconds);
    this.bounded(this.written, key, { json, at: this.now() });
    // What this instance read about the pod is out of date now: the next lookup reads the record again (the
    // old entry stays as the last known identities, for a stalled storage).
    const entry = lesson.name ? this.entries.get(`${cluster}#${lesson.namespace}#${lesson.name}`) : undefined;
    if (entry) entry.until = 0;
  }

  lastKnown(cluster: string, namespace: string, name: string): readonly PodIdentity[] | undefined {
    return this.entries.get(`${cluster}#${namespace}#${name}`)?.identities;
  }

  async lookup(cluster: string, namespace: string, name: string): Promise<readonly PodIdentity[]> {
    const key = `${cluster}#${namespace}#${name}`;
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.identities;
    const identities = await this.inner.lookup(cluster, namespace, name);
    this.bounded(this.entries, key, { identities, until: this.now() + this.options.ttlMs });
    return identities;
  }
}
