import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors.js';
import { backoffDelay } from '../retry.js';
import { batchGetWithRetry } from './batch.js';
import { storageError } from './client.js';
import { DynamoConfigReads } from './config-reads.js';
import { commitChunks } from './config-transactions.js';
import {
  changeLabel,
  checkDistinct,
  chunkPlans,
  keyString,
  needsRead,
  planChange,
  StaleRead,
  toStored,
  type ConfigItem,
} from './config-write-plan.js';
import type { Actor, ConfigChange, ConfigKind, ConfigStore, Stored } from './ports.js';
import { configItemKey } from './tables.js';

// Configuration in one table (see tables.ts): documents with a version for optimistic concurrency, a
// global revision bumped in the same transaction as every write, and an activity entry per change.
// docs/adr/0002-config-writes-and-large-imports.md explains how changes too big for one transaction are
// applied and undone. The reads live in config-reads.ts, the pure write plan in config-write-plan.ts and
// the transactions in config-transactions.ts; this class reads before-images, plans and commits.

/** Attempts of a whole apply whose unguarded change (no expectedVersion) lost to a concurrent writer. */
const APPLY_ATTEMPTS = 4;

/** Implements ConfigStore on the config table with transactional, version-checked writes. */
export class DynamoConfigStore extends DynamoConfigReads implements ConfigStore {
  private readonly clock: () => Date;
  private readonly newId: () => string;

  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the config table, `<prefix>config`
   */
  constructor(
    document: DynamoDBDocumentClient,
    tableName: string,
    options: { readonly clock?: () => Date; readonly newId?: () => string } = {},
  ) {
    super(document, tableName);
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Applies the changes all-or-nothing in one transaction (or, when they do not fit, in chunks that are
   * undone if a later one fails), bumps the revision once per transaction and records one activity entry
   * per change. Returns the stored items in change order (undefined for deletes).
   */
  async apply(changes: readonly ConfigChange[], actor: Actor, action?: string): Promise<Array<Stored<ConfigKind> | undefined>> {
    if (changes.length === 0) return [];
    try {
      checkDistinct(changes);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.applyOnce(changes, actor, action);
        } catch (error) {
          if (!(error instanceof StaleRead)) throw error;
          if (attempt >= APPLY_ATTEMPTS) {
            throw new ConflictError(`${changeLabel(error.change)} is being changed by someone else at the same time; try again`);
          }
          await sleep(backoffDelay(attempt));
        }
      }
    } catch (error) {
      throw storageError(error);
    }
  }

  private async applyOnce(
    changes: readonly ConfigChange[],
    actor: Actor,
    action: string | undefined,
  ): Promise<Array<Stored<ConfigKind> | undefined>> {
    const now = this.clock().toISOString();
    // Consistent reads: the before-images of the activity trail, and the versions the writes are
    // conditioned on, so that a writer sneaking in between fails our transaction instead of being
    // recorded with a wrong `before`.
    const current = new Map<string, ConfigItem>();
    if (needsRead(changes)) {
      const keys = changes.map((change) => configItemKey(change.kind, change.name));
      for (const item of await batchGetWithRetry(this.document, this.tableName, keys, { consistentRead: true })) {
        const found = item as unknown as ConfigItem;
        current.set(keyString(found), found);
      }
    }
    const context = { tableName: this.tableName, actor, action, now, newId: this.newId };
    const plans = changes.map((change) => planChange(change, current.get(keyString(configItemKey(change.kind, change.name))), context));
    await commitChunks(this.document, this.tableName, chunkPlans(plans));
    return plans.map((plan) => (plan.after ? toStored(plan.after) : undefined));
  }
}
