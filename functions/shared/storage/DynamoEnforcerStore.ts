import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { storageError } from './client.js';
import { configKeys } from './tables.js';
import { checkLimit, decodeCursor, encodeCursor, queryPage, type Item, type ItemKey } from './paging.js';
import type { EnforcerRecord, EnforcerRegistration, EnforcerStore, Page, PageRequest } from './ports.js';

// Registered enforcers live in the config table under their own partition (see
// docs/dynamodb-access-patterns.md): pk `ENFORCER`, sk `<group>#<enforcerId>`. They are runtime records,
// written on registration and heartbeat, and never touch the configuration revision.

/** Partition of the enforcer registrations in the config table. */
export const ENFORCER_PARTITION = configKeys.enforcer;
const CURSOR_INDEX = 'enforcers';

function sortKey(group: string, enforcerId: string): string {
  return `${group}#${enforcerId}`;
}

function toRecord(item: Item): EnforcerRecord {
  return {
    enforcerId: String(item.enforcerId),
    name: String(item.name),
    group: String(item.group),
    type: item.type as EnforcerRecord['type'],
    ...(typeof item.version === 'string' ? { version: item.version } : {}),
    ...(typeof item.hostname === 'string' ? { hostname: item.hostname } : {}),
    ...(item.metadata && typeof item.metadata === 'object' ? { metadata: item.metadata as Record<string, string> } : {}),
    pollIntervalSeconds: typeof item.pollIntervalSeconds === 'number' ? item.pollIntervalSeconds : 60,
    registeredAt: String(item.registeredAt),
    lastSeen: String(item.lastSeen),
  };
}

/** Implements EnforcerStore on the config table. */
export class DynamoEnforcerStore implements EnforcerStore {
  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the config table, `<prefix>config`
   */
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async register(registration: EnforcerRegistration, at: Date): Promise<EnforcerRecord> {
    const now = at.toISOString();
    const set: string[] = [
      '#name = :name',
      '#group = :group',
      '#type = :type',
      'enforcerId = :id',
      'pollIntervalSeconds = :poll',
      'lastSeen = :now',
      'registeredAt = if_not_exists(registeredAt, :now)',
    ];
    const remove: string[] = [];
    const names: Record<string, string> = { '#name': 'name', '#group': 'group', '#type': 'type' };
    const values: Record<string, unknown> = {
      ':name': registration.name,
      ':group': registration.group,
      ':type': registration.type,
      ':id': registration.enforcerId,
      ':poll': registration.pollIntervalSeconds,
      ':now': now,
    };
    // Optional fields: what the latest registration says wins, absent ones are removed.
    for (const field of ['version', 'hostname', 'metadata'] as const) {
      names[`#${field}`] = field;
      const value = registration[field];
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    try {
      const output = await this.document.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: ENFORCER_PARTITION, sk: sortKey(registration.group, registration.enforcerId) },
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(output.Attributes ?? {});
    } catch (error) {
      throw storageError(error);
    }
  }

  async get(group: string, enforcerId: string): Promise<EnforcerRecord | undefined> {
    try {
      const output = await this.document.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: ENFORCER_PARTITION, sk: sortKey(group, enforcerId) },
          ConsistentRead: true,
        }),
      );
      return output.Item ? toRecord(output.Item) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  async touch(group: string, enforcerId: string, at: Date): Promise<boolean> {
    try {
      await this.document.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: ENFORCER_PARTITION, sk: sortKey(group, enforcerId) },
          UpdateExpression: 'SET lastSeen = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': at.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw storageError(error);
    }
  }

  async list(query: PageRequest & { readonly group?: string | undefined }): Promise<Page<EnforcerRecord>> {
    try {
      const limit = checkLimit(query.limit);
      const prefix = query.group === undefined ? undefined : `${query.group}#`;
      const cursor = decodeCursor(query.cursor, {
        index: CURSOR_INDEX,
        keyAttributes: ['pk', 'sk'],
        check: (state) =>
          state.day === undefined &&
          state.key?.pk === ENFORCER_PARTITION &&
          (prefix === undefined || (state.key.sk ?? '').startsWith(prefix)),
      });
      const input: QueryCommandInput = {
        TableName: this.tableName,
        KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: prefix === undefined ? { ':pk': ENFORCER_PARTITION } : { ':pk': ENFORCER_PARTITION, ':prefix': prefix },
        ConsistentRead: true,
      };
      const keyOf = (item: Item): ItemKey => ({ pk: String(item.pk), sk: String(item.sk) });
      const { items, nextKey } = await queryPage(this.document, input, { limit, startKey: cursor?.key, keyOf });
      return { items: items.map(toRecord), ...(nextKey ? { nextCursor: encodeCursor({ index: CURSOR_INDEX, key: nextKey }) } : {}) };
    } catch (error) {
      throw storageError(error);
    }
  }
}
