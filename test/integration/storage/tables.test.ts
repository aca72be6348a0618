import { DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
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
    expect(definitions.audit.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byDay', 'byPolicy', 'byCluster', 'byNamespace']);
  });
});

describe('ensureTables', () => {
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  let clients: DynamoClients | undefined;

  afterAll(async () => {
    if (!clients) return;
    const names = tableDefinitions(prefix);
    for (const name of [names.config.TableName, names.audit.TableName]) await clients.client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    clients.client.destroy();
  });

  it('creates missing tables, active, with TTL on the audit table, and is idempotent', async () => {
    clients = createDynamoClients({ endpoint: await dynamodbEndpoint() });
    const { client } = clients;
    await Promise.all([ensureTables(client, prefix), ensureTables(client, prefix)]);
    const definitions = await ensureTables(client, prefix);
    const audit = await client.send(new DescribeTableCommand({ TableName: definitions.audit.TableName }));
    expect(audit.Table?.TableStatus).toBe('ACTIVE');
    expect(audit.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['byCluster', 'byDay', 'byNamespace', 'byPolicy']);
    const config = await client.send(new DescribeTableCommand({ TableName: definitions.config.TableName }));
    expect(config.Table?.TableStatus).toBe('ACTIVE');
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: definitions.audit.TableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});
