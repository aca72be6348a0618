import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDynamoClients, type DynamoClients } from '../../functions/shared/storage/client.js';
import { DynamoAuditStore } from '../../functions/shared/storage/DynamoAuditStore.js';
import { DynamoConfigStore } from '../../functions/shared/storage/DynamoConfigStore.js';
import { ensureTables, type TableDefinitions } from '../../functions/shared/storage/tables.js';
import { waitForDynamoDb } from './dynamodb-local.js';

/** Fresh tables on the run's DynamoDB Local, with clients and both stores. */
export interface TestTables {
  readonly endpoint: string;
  readonly prefix: string;
  readonly tables: TableDefinitions;
  readonly clients: DynamoClients;
  readonly configStore: DynamoConfigStore;
  readonly auditStore: DynamoAuditStore;
}

/** The endpoint of the run's DynamoDB Local, once it answers. */
export async function dynamodbEndpoint(): Promise<string> {
  const endpoint = inject('dynamodbEndpoint');
  await waitForDynamoDb(endpoint, inject('dynamodbStartError'));
  return endpoint;
}

/**
 * Creates tables with a unique prefix (`t<random>-`) before the tests of the enclosing file or describe
 * block and deletes them afterwards. Properties are available inside tests and hooks, not at collection.
 */
export function useTables(): TestTables {
  let ready: TestTables | undefined;
  beforeAll(async () => {
    const endpoint = await dynamodbEndpoint();
    const prefix = `t${randomBytes(4).toString('hex')}-`;
    const clients = createDynamoClients({ endpoint });
    const tables = await ensureTables(clients.client, prefix);
    ready = {
      endpoint,
      prefix,
      tables,
      clients,
      configStore: new DynamoConfigStore(clients.document, tables.config.TableName),
      auditStore: new DynamoAuditStore(clients.document, tables.audit.TableName),
    };
  }, 60_000);
  afterAll(async () => {
    if (!ready) return;
    const { clients, tables } = ready;
    for (const name of [tables.config.TableName, tables.audit.TableName]) {
      try {
        await clients.client.send(new DeleteTableCommand({ TableName: name }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
    clients.client.destroy();
  });
  const get = (): TestTables => {
    if (!ready) throw new Error('useTables(): tables exist only inside tests and hooks');
    return ready;
  };
  return {
    get endpoint() {
      return get().endpoint;
    },
    get prefix() {
      return get().prefix;
    },
    get tables() {
      return get().tables;
    },
    get clients() {
      return get().clients;
    },
    get configStore() {
      return get().configStore;
    },
    get auditStore() {
      return get().auditStore;
    },
  };
}
