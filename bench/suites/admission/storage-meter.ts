import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Runtime } from '../../../functions/shared/runtime.js';
import { summarize } from '../../latency.js';
import { round2 } from './plan.js';
import { type Modules } from './modules.js';

// DynamoDB call meter: what the webhook asks of storage per request.

const READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);

/** DynamoDB calls of one `<command> <table>` per request, and how long one call took. */
export interface CallStats {
  readonly perRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Counts and times logical DynamoDB calls (SDK retries are one call) by command and table. */
export class StorageMeter {
  reads = 0;
  writes = 0;
  /** Items put or deleted: a BatchWriteItem call counts its requests. */
  itemsWritten = 0;
  private readonly durations = new Map<string, number[]>();

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.itemsWritten = 0;
    this.durations.clear();
  }

  record(command: string, table: string, ns: number, items: number): void {
    if (READ_COMMANDS.has(command)) this.reads++;
    else {
      this.writes++;
      this.itemsWritten += items;
    }
    const key = `${command.replace(/Command$/, '')} ${table}`;
    const list = this.durations.get(key) ?? [];
    list.push(ns);
    this.durations.set(key, list);
  }

  /** By `<command> <table>`: calls per request over `requests` requests, and call duration percentiles. */
  perRequest(requests: number): Record<string, CallStats> {
    return Object.fromEntries(
      [...this.durations]
        .sort((a, b) => b[1].length - a[1].length)
        .map(([key, list]) => {
          const summary = summarize(list);
          return [
            key,
            {
              perRequest: Number((list.length / requests).toPrecision(3)),
              p50Ms: round2(summary.p50Us / 1000),
              p99Ms: round2(summary.p99Us / 1000),
            },
          ];
        }),
    );
  }
}

function instrument(client: DynamoDBClient, meter: StorageMeter, tables: { readonly config: string; readonly audit: string }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown[]>; TransactItems?: unknown[] };
      // Batch calls name their table inside RequestItems (the webhook's batches go to one table).
      const name = input.TableName ?? Object.keys(input.RequestItems ?? {})[0];
      const table = name === tables.config ? 'config' : name === tables.audit ? 'audit' : (name ?? 'batch');
      const items = input.RequestItems
        ? Object.values(input.RequestItems).reduce((sum, requests) => sum + requests.length, 0)
        : (input.TransactItems?.length ?? 1);
      const started = process.hrtime.bigint();
      try {
        return await next(args);
      } finally {
        meter.record(context.commandName ?? 'unknown', table, Number(process.hrtime.bigint() - started), items);
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchStorageMeter' },
  );
}

/** A runtime whose stores use a metered client of their own; its logger counts warnings and errors, silently. */
export function meteredRuntime(m: Modules, endpoint: string, prefix: string, adminToken: string, publicBaseUrl?: string) {
  const meter = new StorageMeter();
  const clients = m.createDynamoClients({ endpoint });
  const names = m.tableNames(prefix);
  instrument(clients.client, meter, names);
  const logs = { warnings: 0, errors: 0 };
  const logger = new m.Logger({ serviceName: 'vigil-bench', logLevel: 'SILENT' });
  const warn = logger.warn.bind(logger);
  const error = logger.error.bind(logger);
  logger.warn = (input, ...extra) => {
    logs.warnings++;
    warn(input, ...extra);
  };
  logger.error = (input, ...extra) => {
    logs.errors++;
    error(input, ...extra);
  };
  const runtime: Runtime = m.createRuntime(
    { mode: 'local', tablePrefix: prefix, dynamodbEndpoint: endpoint, adminToken, publicBaseUrl },
    {
      configStore: new m.DynamoConfigStore(clients.document, names.config),
      auditStore: new m.DynamoAuditStore(clients.document, names.audit),
      podDirectory: new m.CachedPodDirectory(new m.DynamoPodDirectory(clients.document, names.audit)),
      decisionSnapshots: new m.DynamoDecisionSnapshots(clients.document, names.config),
      logger,
    },
  );
  return { runtime, meter, logs, destroy: () => clients.client.destroy() };
}
