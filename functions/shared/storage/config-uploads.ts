import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../errors.js';
import { batchWriteWithRetry, deletePartition } from './batch.js';
import type { ImportUploadStore, UploadedPart } from './ports.js';
import { configKeys, uploadChunkKey, uploadPartition, uploadRegistryKey } from './tables.js';

// The parts of multi-part imports (docs/adr/0016), kept aside until the import is committed or aborted. Nothing
// here is configuration: a commit reads the parts and imports them as one document through the ordinary,
// all-or-nothing import (one switch of `META`/`revision`, docs/adr/0009), and then removes the upload.
//
// The registry entry is the truth about an upload: a part counts once its entry names it with the digest of its
// JSON, written after its chunks. A part replaced by a second upload of the same number whose chunks were only
// half written fails its digest at the commit and is named, never imported half.

/** Uploads not committed or aborted within this time are collected (and answer 404 before that happens). */
export const UPLOAD_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Uploads open at once at most; the oldest ones are collected first. */
export const MAX_OPEN_UPLOADS = 20;
/**
 * A commit that started this long ago and did not finish died with its process (the API function runs at most
 * 29 s): another one may start.
 */
export const COMMIT_LEASE_MS = 2 * 60 * 1000;
/** Bytes of gzipped JSON per stored chunk, below DynamoDB's 400 KB item limit with room for the key. */
const CHUNK_BYTES = 350 * 1024;
/** Expired uploads removed per call, so that collecting never makes one request slow. */
const UPLOADS_COLLECTED_PER_CALL = 4;

interface PartEntry {
  readonly chunks: number;
  readonly sha256: string;
  readonly bytes: number;
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function notFound(uploadId: string): NotFoundError {
  return new NotFoundError(
    `multi-part import "${uploadId}" does not exist (it was committed, aborted, or not finished within ${UPLOAD_RETENTION_MS / 3_600_000} hours): open a new one`,
  );
}

/** Implements ImportUploadStore on the config table. */
export class DynamoImportUploads implements ImportUploadStore {
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async open(uploadId: string, now: Date): Promise<void> {
    const open = await this.registry();
    const live = open.filter((entry) => !this.expired(entry, now));
    if (live.length >= MAX_OPEN_UPLOADS)
      throw new ConflictError(`${live.length} multi-part imports are open already: commit or abort one (DELETE /v1/imports/{id}) first`);
    await this.document.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...uploadRegistryKey(uploadId), createdAt: now.toISOString(), parts: {} },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // Collected here, so that abandoned uploads never pile up (each open removes a few expired ones).
    for (const entry of open.filter((candidate) => this.expired(candidate, now)).slice(0, UPLOADS_COLLECTED_PER_CALL))
      await this.remove(String(entry.sk));
  }

  async putPart(uploadId: string, number: number, text: string, now: Date): Promise<void> {
    await this.entry(uploadId, now);
    const data = gzipSync(Buffer.from(text, 'utf8'));
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length || chunks.length === 0; offset += CHUNK_BYTES)
      chunks.push(data.subarray(offset, offset + CHUNK_BYTES));
    await batchWriteWithRetry(
      this.document,
      this.tableName,
      chunks.map((chunk, index) => ({ PutRequest: { Item: { ...uploadChunkKey(uploadId, number, index), data: chunk } } })),
    );
    const entry: PartEntry = { chunks: chunks.length, sha256: digest(text), bytes: Buffer.byteLength(text, 'utf8') };
    const refused = await this.updateEntry(uploadId, {
      UpdateExpression: 'SET parts.#part = :entry',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(committing)',
      ExpressionAttributeNames: { '#part': String(number) },
      ExpressionAttributeValues: { ':entry': entry },
    });
    if (refused) {
      const current = await this.entry(uploadId, now);
      if (current.committing !== undefined) throw this.committingConflict(uploadId);
      throw refused;
    }
  }

  async parts(uploadId: string, now: Date): Promise<UploadedPart[]> {
    const entry = await this.entry(uploadId, now);
    const listed = Object.entries(entry.parts as Record<string, PartEntry>)
      .map(([number, part]) => ({ number: Number(number), ...part }))
      .sort((a, b) => a.number - b.number);
    const chunks = new Map<string, Uint8Array>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': uploadPartition(uploadId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) chunks.set(String(item.sk), item.data as Uint8Array);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return listed.map((part) => {
      const data: Uint8Array[] = [];
      for (let index = 0; index < part.chunks; index++) {
        const chunk = chunks.get(uploadChunkKey(uploadId, part.number, index).sk);
        if (chunk) data.push(chunk);
      }
      let text: string | undefined;
      try {
        text = data.length === part.chunks ? gunzipSync(Buffer.concat(data)).toString('utf8') : undefined;
      } catch {
        text = undefined;
      }
      // A second upload of the part died half-way: its chunks are mixed with the first one's.
      return text !== undefined && digest(text) === part.sha256 ? { number: part.number, text } : { number: part.number, text: undefined };
    });
  }

  async beginCommit(uploadId: string, now: Date): Promise<void> {
    await this.entry(uploadId, now);
    const refused = await this.updateEntry(uploadId, {
      UpdateExpression: 'SET committing = :now',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(committing) OR committing < :stale)',
      ExpressionAttributeValues: { ':now': now.toISOString(), ':stale': new Date(now.getTime() - COMMIT_LEASE_MS).toISOString() },
    });
    if (refused) {
      // A missing or expired upload answers its 404 first; otherwise another commit holds the lease.
      await this.entry(uploadId, now);
      throw this.committingConflict(uploadId);
    }
  }

  async endCommit(uploadId: string): Promise<void> {
    // An upload removed meanwhile has no lease left to end.
    await this.updateEntry(uploadId, { UpdateExpression: 'REMOVE committing', ConditionExpression: 'attribute_exists(pk)' });
  }

  /** A conditional update of the upload's registry entry: a failed condition is returned for the caller to explain, not thrown. */
  private async updateEntry(
    uploadId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<ConditionalCheckFailedException | undefined> {
    try {
      await this.document.send(new UpdateCommand({ TableName: this.tableName, Key: { ...uploadRegistryKey(uploadId) }, ...update }));
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error;
    }
  }

  async remove(uploadId: string): Promise<boolean> {
    // The registry entry first: from then on the upload does not exist, whatever happens to its chunks.
    const removed = await this.document.send(
      new DeleteCommand({ TableName: this.tableName, Key: { ...uploadRegistryKey(uploadId) }, ReturnValues: 'ALL_OLD' }),
    );
    await deletePartition(this.document, this.tableName, uploadPartition(uploadId));
    return removed.Attributes !== undefined;
  }

  private committingConflict(uploadId: string): ConflictError {
    return new ConflictError(`multi-part import "${uploadId}" is being committed: wait for that commit's answer`);
  }

  private expired(entry: Record<string, unknown>, now: Date): boolean {
    return String(entry.createdAt) < new Date(now.getTime() - UPLOAD_RETENTION_MS).toISOString();
  }

  /** The registry entry of an upload still open; 404 for one that is gone or expired. */
  private async entry(uploadId: string, now: Date): Promise<Record<string, unknown>> {
    const output = await this.document.send(
      new GetCommand({ TableName: this.tableName, Key: { ...uploadRegistryKey(uploadId) }, ConsistentRead: true }),
    );
    if (!output.Item || this.expired(output.Item, now)) throw notFound(uploadId);
    return output.Item;
  }

  private async registry(): Promise<Array<Record<string, unknown>>> {
    const entries: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': configKeys.upload },
          ProjectionExpression: 'sk, createdAt',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }
}
