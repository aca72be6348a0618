import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateNameCandidates, type PodIdentity } from '../../../layers/core/admission/pod.js';
import { storageError } from './client.js';
import type { PodDirectory } from './ports.js';
import { auditKeys } from './tables.js';

const POD_PREFIX = 'POD#';

// Pods live in the audit table: it already expires items by TTL, and pod records are as disposable as events.
function podKey(cluster: string, namespace: string, name: string): string {
  return `${POD_PREFIX}${cluster}#${namespace}#${name}`;
}

function generatedKey(cluster: string, namespace: string, prefix: string): string {
  return `${POD_PREFIX}${cluster}#${namespace}#gen:${prefix}`;
}

/** PodDirectory on DynamoDB, one item per pod name or generateName prefix, expiring by TTL. */
export class DynamoPodDirectory implements PodDirectory {
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async remember(cluster: string, identity: PodIdentity, ttlSeconds: number): Promise<void> {
    const key = identity.name
      ? podKey(cluster, identity.namespace, identity.name)
      : identity.generateName
        ? generatedKey(cluster, identity.namespace, identity.generateName)
        : undefined;
    if (!key) return;
    const expiresAt = Math.floor(this.clock().getTime() / 1000) + ttlSeconds;
    try {
      await this.document.send(new PutCommand({ TableName: this.tableName, Item: { pk: key, pod: identity, [auditKeys.ttl]: expiresAt } }));
    } catch (error) {
      throw storageError(error);
    }
  }

  async lookup(cluster: string, namespace: string, name: string): Promise<PodIdentity | undefined> {
    const now = Math.floor(this.clock().getTime() / 1000);
    const keys = [
      podKey(cluster, namespace, name),
      ...generateNameCandidates(name).map((prefix) => generatedKey(cluster, namespace, prefix)),
    ];
    try {
      for (const key of keys) {
        const { Item } = await this.document.send(new GetCommand({ TableName: this.tableName, Key: { pk: key } }));
        // TTL deletion lags by up to days: an expired item is as good as absent.
        if (Item && typeof Item[auditKeys.ttl] === 'number' && (Item[auditKeys.ttl] as number) > now) return Item.pod as PodIdentity;
      }
      return undefined;
    } catch (error) {
      throw storageError(error);
    }
  }
}

/** A small in-memory cache in front of a PodDirectory: recent pods resolve without a read. */
export class CachedPodDirectory implements PodDirectory {
  private readonly entries = new Map<string, { identity: PodIdentity | undefined; until: number }>();

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

  private put(key: string, identity: PodIdentity | undefined): void {
    this.entries.delete(key);
    this.entries.set(key, { identity, until: this.now() + this.options.ttlMs });
    // Maps iterate in insertion order: the first key is the least recently written.
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** What this instance wrote last per pod key, so that unchanged pods are not rewritten on every UPDATE. */
  private readonly written = new Map<string, { json: string; at: number }>();

  async remember(cluster: string, identity: PodIdentity, ttlSeconds: number): Promise<void> {
    const key = `${cluster}#${identity.namespace}#${identity.name ?? `gen:${identity.generateName ?? ''}`}`;
    const json = JSON.stringify(identity);
    const last = this.written.get(key);
    // Renewing the TTL once an hour is plenty for records that live for days.
    if (!last || last.json !== json || this.now() - last.at > 3_600_000) {
      await this.inner.remember(cluster, identity, ttlSeconds);
      this.written.delete(key);
      this.written.set(key, { json, at: this.now() });
      while (this.written.size > this.options.maxEntries) this.written.delete(this.written.keys().next().value!);
    }
    if (identity.name) this.put(`${cluster}#${identity.namespace}#${identity.name}`, identity);
  }

  async lookup(cluster: string, namespace: string, name: string): Promise<PodIdentity | undefined> {
    const key = `${cluster}#${namespace}#${name}`;
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.identity;
    const identity = await this.inner.lookup(cluster, namespace, name);
    this.put(key, identity);
    return identity;
  }
}
