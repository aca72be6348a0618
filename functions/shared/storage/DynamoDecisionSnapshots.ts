import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchGetWithRetry, batchWriteWithRetry } from './batch.js';
import { storageError } from './client.js';
import { metaOf } from './config-staging.js';
import type { Item } from './paging.js';
import type { CurrentDecisionDocument, DecisionDocument, DecisionSnapshotStore } from './ports.js';
import { configKeys } from './tables.js';

// The webhook's decision document of a revision, as gzipped JSON split over a few items of the config table
// (docs/adr/0005). Items of one revision are written once, together, and never changed: any set of them a
// read returns is either complete and right or detectably incomplete, whatever the read's consistency.

/**
 * Bumped when the document's layout changes or the format of the plan it carries (SNAPSHOT_PLAN_FORMAT); documents
 * of another format are ignored. Format 2: plans of format 2, and of each policy only what decisions read. Each
 * format has keys of its own (see revisionPrefix): after an upgrade, the new version stores its document of the
 * current revision beside the old version's instead of finding the key taken and reading every item on every
 * cold start until the configuration changes; each version reads only its own.
 */
const FORMAT = 2;
/** Compressed bytes per item: DynamoDB's item limit is 400 KB, keys and attributes included. */
const PART_BYTES = 350 * 1024;
/** All parts are written in one transaction (at most 4 MB): larger documents are not stored. */
export const MAX_DECISION_PARTS = 10;
/** Decompression stops here: no real configuration comes close, and a corrupt item must not exhaust memory. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
/** Old revisions removed per save at most; the next save removes the rest. */
const MAX_REMOVED_PER_SAVE = 200;

/** Raised by `save` for a document that does not fit in MAX_DECISION_PARTS items; the webhook keeps loading items. */
export class DecisionDocumentTooLargeError extends Error {
  override readonly name = 'DecisionDocumentTooLargeError';
}

/** The revision as keys begin with it: every key of an older revision sorts before it, whatever its format. */
function revisionKey(revision: number): string {
  return String(revision).padStart(12, '0');
}

/**
 * What the keys of this format's parts of a revision begin with: `<revision>/<format>#`. Format 1 used
 * `<revision>#`, which neither begins with nor takes this; within a revision, later formats sort last.
 */
function revisionPrefix(revision: number): string {
  return `${revisionKey(revision)}/${FORMAT}#`;
}

function sortKey(revision: number, part: number): string {
  return `${revisionPrefix(revision)}${String(part).padStart(3, '0')}`;
}

/**
 * The copy of the newest one-part document of this format, under a key that does not move, so that a cold instance
 * reads it and the revision in one BatchGetItem (see loadCurrent). `!` sorts before every revision's digits, so a
 * removal of older revisions (`sk` from the oldest revision to the one saved) never takes it, and a Query of the
 * newest sort keys first meets it last. Its revision is in `copiedRevision`, not `revision`: a reader that gathers
 * the parts of one revision by that attribute (versions before this one did) never takes the copy for a part.
 */
const newestCopyKey = { pk: configKeys.decision, sk: `!newest/${FORMAT}` } as const;

/**
 * How hard the cold read retries keys DynamoDB leaves unprocessed: briefly, as the pod lookup does, since a review
 * waits for it; the webhook's own deadline bounds the whole load.
 */
const CURRENT_READ_RETRY = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100 } as const;

function isDocument(value: unknown, revision: number): value is DecisionDocument {
  if (typeof value !== 'object' || value === null) return false;
  const document = value as Partial<DecisionDocument>;
  const config = document.config;
  return (
    document.revision === revision &&
    Array.isArray(document.clusters) &&
    typeof config === 'object' &&
    config !== null &&
    config.revision === revision &&
    Array.isArray(config.policies) &&
    Array.isArray(config.applicationScopes) &&
    Array.isArray(config.groups) &&
    typeof config.settings === 'object' &&
    config.settings !== null
  );
}

/** The document the parts hold, or undefined unless they are exactly the complete set of one save. */
function assemble(items: readonly Item[], revision: number): DecisionDocument | undefined {
  if (items.length === 0) return undefined;
  const complete = items.every(
    (item, index) =>
      item.format === FORMAT &&
      item.revision === revision &&
      item.part === index &&
      item.parts === items.length &&
      item.data instanceof Uint8Array,
  );
  if (!complete) return undefined;
  try {
    // gzip's own checksum and length catch a torn or mixed set of parts.
    const json = gunzipSync(Buffer.concat(items.map((item) => item.data as Uint8Array)), { maxOutputLength: MAX_DOCUMENT_BYTES }).toString(
      'utf8',
    );
    const document: unknown = JSON.parse(json);
    return isDocument(document, revision) ? document : undefined;
  } catch {
    return undefined;
  }
}

function lostTheRace(error: unknown): boolean {
  // Another instance stored this revision first (or is storing it right now): the same document.
  return error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;
}

/** Implements DecisionSnapshotStore in the config table, partition `DECISION`. */
export class DynamoDecisionSnapshots implements DecisionSnapshotStore {
  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the config table, `<prefix>config`
   */
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(revision: number, options: { readonly restoreNewestCopy?: boolean } = {}): Promise<DecisionDocument | undefined> {
    let items: Item[];
    try {
      // Eventually consistent is enough: the items never change once written, so a read sees them or not.
      items = await this.query({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :revision)',
        ExpressionAttributeValues: { ':pk': configKeys.decision, ':revision': revisionPrefix(revision) },
      });
    } catch (error) {
      throw storageError(error);
    }
    const document = assemble(items, revision);
    if (document && items.length === 1 && options.restoreNewestCopy) {
      // Only a shortcut for the cold starts that follow: failing to put it back costs them a round trip, and this
      // load nothing.
      await this.replaceNewestCopy({ ...items[0]!, revision }).catch(() => undefined);
    }
    return document;
  }

  /**
   * The revision, read as the configuration store reads it (consistently, `META`/`revision`), and the copy of the
   * newest one-part document, in one BatchGetItem: one request on one connection, where reading the revision and
   * the newest parts in parallel takes two of each in a cold instance. The document is whatever revision it is of
   * (the caller uses it only when that is the revision read); undefined when there is no copy or it is unreadable.
   */
  async loadCurrent(): Promise<CurrentDecisionDocument> {
    try {
      const items = await batchGetWithRetry(this.document, this.tableName, [{ ...configKeys.meta }, { ...newestCopyKey }], {
        ...CURRENT_READ_RETRY,
        consistentRead: true,
      });
      const meta = items.find((item) => item.pk === configKeys.meta.pk && item.sk === configKeys.meta.sk);
      const copy = items.find((item) => item.pk === newestCopyKey.pk && item.sk === newestCopyKey.sk);
      const copied = copy?.copiedRevision;
      return {
        revision: metaOf(meta).revision,
        newest: copy && typeof copied === 'number' ? assemble([{ ...copy, revision: copied }], copied) : undefined,
      };
    } catch (error) {
      throw storageError(error);
    }
  }

  async save(document: DecisionDocument): Promise<boolean> {
    const data = gzipSync(Buffer.from(JSON.stringify(document), 'utf8'));
    const parts = Math.ceil(data.length / PART_BYTES);
    if (parts > MAX_DECISION_PARTS) {
      throw new DecisionDocumentTooLargeError(
        `the decision document of revision ${document.revision} takes ${data.length} bytes compressed; at most ${MAX_DECISION_PARTS * PART_BYTES} are stored`,
      );
    }
    if ((await this.currentRevision()) !== document.revision) return false;
    const items = Array.from({ length: parts }, (_, part) => ({
      pk: configKeys.decision,
      sk: sortKey(document.revision, part),
      revision: document.revision,
      part,
      parts,
      format: FORMAT,
      data: data.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
    }));
    const onlyNew = { ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      if (items.length === 1) await this.document.send(new PutCommand({ TableName: this.tableName, Item: items[0], ...onlyNew }));
      else
        await this.document.send(
          new TransactWriteCommand({
            TransactItems: items.map((item) => ({ Put: { TableName: this.tableName, Item: item, ...onlyNew } })),
          }),
        );
    } catch (error) {
      if (!lostTheRace(error)) throw storageError(error);
      return false;
    }
    await this.removeOlderThan(document.revision);
    if (items.length === 1) await this.replaceNewestCopy(items[0]!);
    return true;
  }

  /**
   * Puts the copy read by loadCurrent, unless one of a newer revision is there already (a slower save of an older
   * revision never takes the place of a newer one). Content of a revision never changes, so a reader of the copy
   * sees some revision's complete document, and uses it only when that is the revision it read.
   */
  private async replaceNewestCopy(part: Record<string, unknown> & { readonly revision: number }): Promise<void> {
    const { revision, ...rest } = part;
    try {
      await this.document.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...rest, ...newestCopyKey, copiedRevision: revision },
          ConditionExpression: 'attribute_not_exists(pk) OR copiedRevision < :revision',
          ExpressionAttributeValues: { ':revision': revision },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw storageError(error);
    }
  }

  /**
   * The revision, read transactionally: a configuration write in flight makes this read fail rather than
   * answer the revision before it, even when a Query already returned some of that write's items (plain
   * reads of several items may see a committing transaction in part). Undefined when a write is in flight.
   */
  private async currentRevision(): Promise<number | undefined> {
    try {
      const output = await this.document.send(
        new TransactGetCommand({ TransactItems: [{ Get: { TableName: this.tableName, Key: { ...configKeys.meta } } }] }),
      );
      return Number(output.Responses?.[0]?.Item?.revision ?? 0);
    } catch (error) {
      if (error instanceof TransactionCanceledException) return undefined;
      throw storageError(error);
    }
  }

  /**
   * Older revisions are never read again once a newer one is stored: a reader still on one falls back to the
   * items. Documents of this revision in other formats stay, for the instances of the version that reads them.
   */
  private async removeOlderThan(revision: number): Promise<void> {
    try {
      const keys = await this.query(
        {
          // From the oldest possible revision: the copy of the newest document sorts before it and stays.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :oldest AND :revision',
          ExpressionAttributeValues: { ':pk': configKeys.decision, ':oldest': revisionKey(0), ':revision': revisionKey(revision) },
          ProjectionExpression: 'pk, sk',
          Limit: MAX_REMOVED_PER_SAVE,
        },
        MAX_REMOVED_PER_SAVE,
      );
      if (keys.length === 0) return;
      await batchWriteWithRetry(
        this.document,
        this.tableName,
        keys.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })),
        { concurrency: 1 },
      );
    } catch (error) {
      throw storageError(error);
    }
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>, max = Number.POSITIVE_INFINITY): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.document.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((output.Items ?? []) as Item[]));
      startKey = output.LastEvaluatedKey;
    } while (startKey && items.length < max);
    return items;
  }
}
