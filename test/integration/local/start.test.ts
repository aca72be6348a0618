import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_OPTIONS, startLocalMode, type LocalMode } from '../../../infra/local/start.js';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { ensureTables, tableNames } from '../../../functions/shared/storage/tables.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

describe('startLocalMode', () => {
  let dataDir: string;
  let endpoint: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-local-'));
    endpoint = await dynamodbEndpoint();
  }, 60_000);
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the API on a free port with a generated admin token, and stops', async () => {
    const local: LocalMode = await startLocalMode({ port: 0, host: '127.0.0.1', dataDir, dynamodbEndpoint: endpoint });
    try {
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(local.url).not.toMatch(/:0$/);
      expect(local.caPem).toBeUndefined();
      expect(local.adminTokenSource).toBe('generated');
      expect((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim()).toBe(local.adminToken);

      expect((await fetch(`${local.url}/v1/health`)).status).toBe(200);
      expect((await fetch(`${local.url}/v1/policies`)).status).toBe(401);
      const listed = await fetch(`${local.url}/v1/policies`, { headers: { authorization: `Bearer ${local.adminToken}` } });
      expect(listed.status).toBe(200);
      expect(await listed.json()).toMatchObject({ items: expect.any(Array) });
    } finally {
      await local.stop();
    }
    await expect(fetch(`${local.url}/v1/health`)).rejects.toThrow();
  });

  it('keeps the admin token of the data dir on the next start', async () => {
    const first = await startLocalMode({ port: 0, host: '127.0.0.1', dataDir, dynamodbEndpoint: endpoint });
    await first.stop();
    const second = await startLocalMode({ port: 0, host: '127.0.0.1', dataDir, dynamodbEndpoint: endpoint });
    await second.stop();
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.adminTokenSource).toBe('data-dir');
  });

  it('runs without an audit stream, switching off the stream of an audit table made before', async () => {
    expect(LOCAL_TABLE_OPTIONS).toEqual({ auditStream: false });
    const tablePrefix = `t${randomBytes(4).toString('hex')}-`;
    const names = tableNames(tablePrefix);
    const { client } = createDynamoClients({ endpoint });
    const streamOf = async () =>
      (await client.send(new DescribeTableCommand({ TableName: names.audit }))).Table?.StreamSpecification?.StreamEnabled === true;
    try {
      // A data dir from a version whose local audit table had a stream, as the deployed one has.
      await ensureTables(client, tablePrefix);
      expect(await streamOf()).toBe(true);
      const local = await startLocalMode({ port: 0, host: '127.0.0.1', dataDir, dynamodbEndpoint: endpoint, tablePrefix });
      await local.stop();
      expect(await streamOf()).toBe(false);
    } finally {
      for (const name of [names.config, names.audit]) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
      client.destroy();
    }
  });
});
