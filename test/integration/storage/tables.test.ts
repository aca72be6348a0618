import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoClients, type DynamoClients } from '../../../functions/shared/storage/client.js';
import { ensureTables, tableDefinitions } from '../../../functions/shared/storage/tables.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

describe('tableDefinitions', () => {
  it('names both tables after the prefix and bills on demand', () => {
    const definitions = tableDefinitions('vigil-prod-');
    expect(definitions.config.TableName).toBe('vigil-prod-config');
    expect(definitions.audit.TableName).toBe('vigil-prod-audit');
    expect(definitions.config.BillingMode).toBe('PAY_PER_REQUEST');
    expect(definitions.audit.BillingMode).toBe('PAY_PER_REQUEST');
    expect(definitions.auditTtlAttribute).toBe('expiresAt');
    expect(definitions.audit.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      'byDay',
      'byPolicy',
      'byCluster',
      'byNamespace',
    ]);
  });

  it('gives the audit table a NEW_IMAGE stream unless asked not to, and changes nothing else', () => {
    const withStream = tableDefinitions('vigil-');
    expect(withStream.audit.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(tableDefinitions('vigil-', { auditStream: true })).toEqual(withStream);
    const withoutStream = tableDefinitions('vigil-', { auditStream: false });
    expect(withoutStream.audit.StreamSpecification).toBeUndefined();
    const { StreamSpecification: _stream, ...auditRest } = withStream.audit;
    expect(withoutStream).toEqual({ ...withStream, audit: auditRest });
    expect(withStream.config.StreamSpecification).toBeUndefined();
  });
});

async function auditStreamOf(client: DynamoDBClient, tableName: string) {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return {
    status: Table?.TableStatus,
    enabled: Table?.StreamSpecification?.StreamEnabled === true,
    viewType: Table?.StreamSpecification?.StreamViewType,
  };
}

describe('ensureTables', () => {
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  let clients: DynamoClients | undefined;

  afterAll(async () => {
    if (!clients) return;
    const names = tableDefinitions(prefix);
    for (const name of [names.config.TableName, names.audit.TableName])
      await clients.client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    clients.client.destroy();
  });

  it('creates missing tables, active, with TTL on the audit table, and is idempotent', async () => {
    clients = createDynamoClients({ endpoint: await dynamodbEndpoint() });
    const { client } = clients;
    await Promise.all([ensureTables(client, prefix), ensureTables(client, prefix)]);
    const definitions = await ensureTables(client, prefix);
    const audit = await client.send(new DescribeTableCommand({ TableName: definitions.audit.TableName }));
    expect(audit.Table?.TableStatus).toBe('ACTIVE');
    expect(audit.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
      'byCluster',
      'byDay',
      'byNamespace',
      'byPolicy',
    ]);
    const config = await client.send(new DescribeTableCommand({ TableName: definitions.config.TableName }));
    expect(config.Table?.TableStatus).toBe('ACTIVE');
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: definitions.audit.TableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(await auditStreamOf(client, definitions.audit.TableName)).toEqual({ status: 'ACTIVE', enabled: true, viewType: 'NEW_IMAGE' });
  });

  it('switches the stream of an existing audit table off and on again as asked, idempotently, keeping its items', async () => {
    clients ??= createDynamoClients({ endpoint: await dynamodbEndpoint() });
    const { client } = clients;
    const audit = (await ensureTables(client, prefix)).audit.TableName;
    const key = { pk: { S: 'EVENT#kept' } };
    await client.send(new PutItemCommand({ TableName: audit, Item: { ...key, note: { S: 'written while the stream was on' } } }));

    // Two starts racing on a table made with a stream (a data dir from before), then one more.
    await Promise.all([ensureTables(client, prefix, { auditStream: false }), ensureTables(client, prefix, { auditStream: false })]);
    expect(await auditStreamOf(client, audit)).toEqual({ status: 'ACTIVE', enabled: false, viewType: undefined });
    const again = await ensureTables(client, prefix, { auditStream: false });
    expect(again.audit.StreamSpecification).toBeUndefined();
    expect(await auditStreamOf(client, audit)).toEqual({ status: 'ACTIVE', enabled: false, viewType: undefined });

    await Promise.all([ensureTables(client, prefix), ensureTables(client, prefix)]);
    expect(await auditStreamOf(client, audit)).toEqual({ status: 'ACTIVE', enabled: true, viewType: 'NEW_IMAGE' });
    expect((await client.send(new GetItemCommand({ TableName: audit, Key: key, ConsistentRead: true }))).Item?.note).toEqual({
      S: 'written while the stream was on',
    });
  });

  it('creates an audit table without a stream when asked not to have one', async () => {
    clients ??= createDynamoClients({ endpoint: await dynamodbEndpoint() });
    const fresh = `t${randomBytes(4).toString('hex')}-`;
    try {
      const definitions = await ensureTables(clients.client, fresh, { auditStream: false });
      expect(await auditStreamOf(clients.client, definitions.audit.TableName)).toEqual({
        status: 'ACTIVE',
        enabled: false,
        viewType: undefined,
      });
    } finally {
      const names = tableDefinitions(fresh);
      for (const name of [names.config.TableName, names.audit.TableName])
        await clients.client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    }
  });
});
