import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Runtime } from '../../../functions/shared/runtime.js';
import { summarize } from '../../latency.js';
import { round2 } from './plan.js';
import { type Modules } from './modules.js';
import { WrittenEventSample } from './write-capacity.js';

// DynamoDB call meter: what the webhook asks of storage per request.

const READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);

/** DynamoDB calls of one `<command> <table>` per request, and how long one call took. */
export interface CallStats {
  readonly perRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Seeds the sample of written events, so that a rerun with the same load keeps the same events. */
const SAMPLE_SEED = 20_260_521;

/** Counts and times logical DynamoDB calls (SDK retries are one call) by command and table. */
export class StorageMeter {
  reads = 0;
  writes = 0;
  /** Items put or deleted: a BatchWriteItem call counts its requests. */
  itemsWritten = 0;
  /** A sample of the audit events the webhook wrote since the last reset (the write bound stores the same). */
  readonly written = new WrittenEventSample(SAMPLE_SEED);
  private readonly durations = new Map<string, number[]>();
  private writesInFlight = 0;
  /** Write calls in flight integrated over time (calls × ms) since `since`. */
  private writeCallMs = 0;
  private lastChange = performance.now();
  private since = performance.now();

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.itemsWritten = 0;
    this.durations.clear();
    this.written.reset();
    this.writeCallMs = 0;
    this.since = this.lastChange = performance.now();
  }

  /** Write calls in flight on average since the last reset: the storage's queue depth, which the write bound keeps at 1 or 4. */
  writesInFlightMean(): number {
    this.countInFlight(0);
    const elapsed = performance.now() - this.since;
    return elapsed > 0 ? round2(this.writeCallMs / elapsed) : 0;
  }

  /** A call starts (+1) or ends (-1). */
  countInFlight(change: number): void {
    const now = performance.now();
    this.writeCallMs += this.writesInFlight * (now - this.lastChange);
    this.lastChange = now;
    this.writesInFlight += change;
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
      const command = context.commandName ?? 'unknown';
      const write = !READ_COMMANDS.has(command);
      if (write) meter.countInFlight(1);
      const started = process.hrtime.bigint();
      try {
        return await next(args);
      } finally {
        if (write) meter.countInFlight(-1);
        meter.record(command, table, Number(process.hrtime.bigint() - started), items);
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
  /** Keeps a sample of what the webhook writes, for the write bound to store the same items. */
  class SampledAuditStore extends m.DynamoAuditStore {
    override putGenerated(events: Parameters<InstanceType<Modules['DynamoAuditStore']>['putGenerated']>[0]): Promise<void> {
      meter.written.keep(events);
      return super.putGenerated(events);
    }
  }
  const runtime: Runtime = m.createRuntime(
    { mode: 'local', tablePrefix: prefix, dynamodbEndpoint: endpoint, adminToken, publicBaseUrl },
    {
      configStore: new m.DynamoConfigStore(clients.document, names.config),
      auditStore: new SampledAuditStore(clients.document, names.audit),
      podDirectory: new m.CachedPodDirectory(new m.DynamoPodDirectory(clients.document, names.audit)),
      decisionSnapshots: new m.DynamoDecisionSnapshots(clients.document, names.config),
      logger,
    },
  );
  return { runtime, meter, logs, destroy: () => clients.client.destroy() };
}
