import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors.js';
import { backoffDelay } from '../retry.js';
import { batchGetWithRetry } from './batch.js';
import { storageError } from './client.js';
import { DynamoConfigReads } from './config-reads.js';
import { applyStaged, collectStages, finishImport, metaOf, readMeta, RevisionMoved, type MetaState } from './config-staging.js';
import { commitAtOnce } from './config-transactions.js';
import { DynamoImportUploads } from './config-uploads.js';
import {
  changeLabel,
  checkDistinct,
  chunkPlans,
  ImportPending,
  keyString,
  needsRead,
  planChange,
  StaleRead,
  toStored,
  type ConfigItem,
  type Plan,
  type PlanContext,
} from './config-write-plan.js';
import type { ActivityEntry, Actor, ConfigChange, ConfigKind, ConfigStore, Page, PageRequest, PendingModeChange, Stored } from './ports.js';
import { configItemKey, configKeys } from './tables.js';

// Configuration in one table (see tables.ts): documents with a version for optimistic concurrency, a
// global revision bumped in the same transaction as every write, and an activity entry per change.
// docs/adr/0002-config-writes-and-large-imports.md explains the transactions, and
// docs/adr/0009-staged-imports.md how changes too big for one transaction are staged and committed at once. The reads live in config-reads.ts, the pure write plan in config-write-plan.ts and
// the transactions in config-transactions.ts; this class reads before-images, plans and commits.

/** Attempts of a whole apply whose unguarded change (no expectedVersion) lost to a concurrent writer. */
const APPLY_ATTEMPTS = 4;

/** Implements ConfigStore on the config table with transactional, version-checked writes. */
export class DynamoConfigStore extends DynamoConfigReads implements ConfigStore {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  readonly uploads: DynamoImportUploads;

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
    this.uploads = new DynamoImportUploads(document, tableName);
  }

  /**
   * Applies the changes all-or-nothing in one transaction, or, when they do not fit one, staged and
   * committed by one switch (docs/adr/0009); bumps the revision once and records one activity entry per
   * change. Returns the stored items in change order (undefined for deletes).
   */
  async apply(changes: readonly ConfigChange[], actor: Actor, action?: string): Promise<Array<Stored<ConfigKind> | undefined>> {
    if (changes.length === 0) return [];
    try {
      checkDistinct(changes);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.applyOnce(changes, actor, action);
        } catch (error) {
          if (error instanceof ImportPending) {
            // A committed import is still being copied: finish it, then write on top of it.
            if (attempt >= APPLY_ATTEMPTS) throw new ConflictError('an import is being applied at the same time; try again');
            await this.finishPendingImport();
            continue;
          }
          if (!(error instanceof StaleRead) && !(error instanceof RevisionMoved)) throw error;
          if (attempt >= APPLY_ATTEMPTS) {
            throw new ConflictError(
              error instanceof StaleRead
                ? `${changeLabel(error.change)} is being changed by someone else at the same time; try again`
                : 'the configuration was changed by someone else while this change was written; nothing was written, try again',
            );
          }
          await sleep(backoffDelay(attempt));
        }
      }
    } catch (error) {
      throw storageError(error);
    }
  }

  /** The activity trail; a committed import still being copied is finished first, so that its entries are there. */
  override async activity(query: PageRequest & { readonly since?: string | undefined }): Promise<Page<ActivityEntry>> {
    await this.settle();
    return super.activity(query);
  }

  /** Due mode changes; a committed import still being copied is finished first, so that its pending changes are there. */
  override async dueModeChanges(until: Date, limit: number): Promise<PendingModeChange[]> {
    await this.settle();
    return super.dueModeChanges(until, limit);
  }

  private async settle(): Promise<void> {
    try {
      await this.finishPendingImport();
    } catch (error) {
      throw storageError(error);
    }
  }

  /** Finishes the committed import whose writes are still being copied, if there is one; returns the state after. */
  private async finishPendingImport(): Promise<MetaState> {
    const meta = await readMeta(this.document, this.tableName);
    if (meta.applying === undefined) return meta;
    await finishImport(this.document, this.tableName, meta.applying);
    return readMeta(this.document, this.tableName);
  }

  private async applyOnce(
    changes: readonly ConfigChange[],
    actor: Actor,
    action: string | undefined,
  ): Promise<Array<Stored<ConfigKind> | undefined>> {
    const now = this.clock();
    // A change of several items may not fit one transaction; then it is staged and committed on condition
    // that the revision is still the one read here, BEFORE the items (docs/adr/0009).
    const meta = changes.length > 1 ? await this.finishPendingImport() : undefined;
    const context = { tableName: this.tableName, actor, action, now: now.toISOString(), newId: this.newId };
    let plans = await this.plan(changes, context, needsRead(changes));
    if (!meta || chunkPlans(plans).length === 1) {
      await commitAtOnce(this.document, this.tableName, plans);
    } else {
      // Staged writes are copied unconditionally: a create must learn from the read that its item exists.
      if (!needsRead(changes)) plans = await this.plan(changes, context, true);
      await collectStages(this.document, this.tableName, now);
      await applyStaged(this.document, this.tableName, { plans, revision: meta.revision, importId: this.newId(), now });
    }
    return plans.map((plan) => (plan.after ? toStored(plan.after) : undefined));
  }

  /**
   * Reads the items (consistently: the before-images of the activity trail, and the versions the writes are
   * conditioned on, so that a writer sneaking in between fails our transaction instead of being recorded
   * with a wrong `before`) and plans each change against what it found. `META`/`revision` comes with them:
   * while a committed import is still being copied, the items are not yet what it committed.
   */
  private async plan(changes: readonly ConfigChange[], context: PlanContext, read: boolean): Promise<Plan[]> {
    const current = new Map<string, ConfigItem>();
    if (read) {
      const keys = [{ ...configKeys.meta }, ...changes.map((change) => configItemKey(change.kind, change.name))];
      for (const item of await batchGetWithRetry(this.document, this.tableName, keys, { consistentRead: true })) {
        if (item.pk === configKeys.meta.pk) {
          if (metaOf(item).applying !== undefined) throw new ImportPending();
          continue;
        }
        const found = item as unknown as ConfigItem;
        current.set(keyString(found), found);
      }
    }
    return changes.map((change) => planChange(change, current.get(keyString(configItemKey(change.kind, change.name))), context));
  }
}
