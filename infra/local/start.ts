// Starts local mode in this process: `npm start` uses it, and so do end-to-end tests (with port 0).

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { buildConsole, type ConsoleAssets } from '../../console/build.js';
import { createAdmissionHandler } from '../../functions/admission/app.js';
import { createApiHandler } from '../../functions/api/app.js';
import { createEnforcerHandler } from '../../functions/enforcer/app.js';
import { createModeChangeHandler } from '../../functions/mode-change/app.js';
import { bootstrap } from '../../functions/shared/bootstrap.js';
import { createRuntime } from '../../functions/shared/runtime.js';
import { LocalScheduler } from '../../functions/shared/scheduling/LocalScheduler.js';
import { writeGeneratedAuditEvents } from '../../functions/shared/storage/audit-items.js';
import { createDynamoClients } from '../../functions/shared/storage/client.js';
import { ensureTables, type TableOptions } from '../../functions/shared/storage/tables.js';
import { resolveAdminToken, type AdminTokenSource } from './admin-token.js';
import { FileAuditSpool } from './audit-spool.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { LocalModeError } from './errors.js';
import { createLocalServer, type LocalServer, type LocalServerLogger } from './http-adapter.js';
import type { LocalSettings } from './settings.js';
import { ensureLocalTls, tlsHostnames, type LocalTls } from './tls.js';

export type { AdminTokenSource };

export const TABLE_PREFIX = 'vigil-';
/** How often local mode looks for spooled audit events to replay when no write has told it storage is back. */
const SPOOL_REPLAY_INTERVAL_MS = 10_000;

/**
 * How local mode makes its tables. The audit table has no stream: in AWS it feeds the export function,
 * which local mode does not run, and DynamoDB Local stores audit items markedly slower with one.
 * The benchmark makes its tables with these options too, so that it measures what `npm start` serves.
 */
export const LOCAL_TABLE_OPTIONS: TableOptions = { auditStream: false };

export interface StartOptions extends LocalSettings {
  /**
   * Table name prefix; tests give each local mode its own tables on a shared DynamoDB.
   * @default 'vigil-'
   */
  readonly tablePrefix?: string;
  /** Passed to the runtime; tests shorten it to observe configuration changes quickly. */
  readonly configRecheckMs?: number;
  /**
   * How often the local scheduler looks for due enforcement-mode changes.
   * @default 1000
   */
  readonly schedulerPollMs?: number;
  /**
   * The time of the local scheduler and of the mode-change handler it invokes (as EventBridge Scheduler and
   * its target share AWS's time); tests pass their own to fire a change on demand. The API keeps the system clock.
   * @default the system clock
   */
  readonly schedulerClock?: () => Date;
  /**
   * Whether the local scheduler polls on its own timer. Tests turn it off and fire due changes with
   * `runDueModeChanges()`, so that nothing fires behind their back.
   * @default true
   */
  readonly schedulerPolling?: boolean;
  /** Request lines and failures; `npm start` logs to stderr, tests usually stay quiet. */
  readonly logger?: LocalServerLogger;
  /**
   * Serve HTTPS with a server certificate from the local CA in `<dataDir>/tls/` (made on first
   * use); manifests then carry that CA as `caBundle`.
   */
  readonly tls?: boolean;
  /**
   * The most the audit spool in the data dir may hold.
   * @default DEFAULT_SPOOL_MAX_BYTES (64 MiB)
   */
  readonly auditSpoolMaxBytes?: number;
  /**
   * How often spooled audit events are tried again.
   * @default 10000
   */
  readonly auditSpoolReplayMs?: number;
}

export interface LocalMode {
  /** Base URL with the real port, e.g. `http://127.0.0.1:8787` (`https://` with TLS). */
  readonly url: string;
  /** The base URL in webhook URLs and manifests: the `publicUrl` setting, else `url`. */
  readonly publicUrl: string;
  /** With TLS: the PEM certificate of the local CA that signed the server certificate. */
  readonly caPem?: string;
  /** With TLS: the absolute path of the CA certificate file. */
  readonly caFile?: string;
  /** With TLS: the CA was made at this start (manifests applied before must be applied again). */
  readonly caCreated?: boolean;
  readonly adminToken: string;
  readonly adminTokenSource: AdminTokenSource;
  /** The data dir, absolute. */
  readonly dataDir: string;
  readonly dynamodbEndpoint: string;
  /**
   * One scheduler pass now: delivers every enforcement-mode change due by the scheduler's clock to the
   * mode-change handler, as a poll does. Returns how many were delivered.
   */
  runDueModeChanges(): Promise<number>;
  /** Stops accepting requests, lets in-flight ones finish, then stops DynamoDB Local if it started it. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane on this machine: data dir, admin token, DynamoDB (Local unless an
 * endpoint is given), tables, the handlers behind the local HTTP server. On failure, whatever was
 * started is stopped again before the error is thrown.
 */
export async function startLocalMode(options: StartOptions): Promise<LocalMode> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = await resolveAdminToken(dataDir, options.adminToken);

  const cleanups: (() => Promise<void>)[] = [];
  // Runs every step (newest first) even when one fails, then reports the first failure.
  const cleanUp = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const step of [...cleanups].reverse()) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  };
  try {
    // The certificate takes milliseconds, so it comes before listening.
    let tls: LocalTls | undefined;
    if (options.tls) {
      tls = await ensureLocalTls(dataDir, tlsHostnames(options.host, options.tlsHostnames, options.publicUrl));
    }
    // Listening first fails fast on a taken port, before the JVM costs seconds; until the handlers
    // are installed, requests answer 503.
    const server: LocalServer = await createLocalServer({
      host: options.host,
      port: options.port,
      logger: options.logger,
      console: consoleOnDemand(),
      ...(tls ? { tls: { key: tls.key, cert: tls.cert } } : {}),
    });
    cleanups.push(() => server.close());

    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined) {
      const dynamo: DynamoDbLocal = await startDynamoDbLocal({
        dataDir,
        onUnexpectedExit: (error) =>
          (options.logger ?? { error: (line: string) => process.stderr.write(`${line}\n`) }).error(`vigil: ${error.message}`),
      });
      cleanups.push(() => dynamo.stop());
      dynamodbEndpoint = dynamo.endpoint;
    }

    const { client } = createDynamoClients({ endpoint: dynamodbEndpoint });
    try {
      await ensureTables(client, options.tablePrefix ?? TABLE_PREFIX, LOCAL_TABLE_OPTIONS);
    } catch (error) {
      throw new LocalModeError(
        `cannot create the tables in DynamoDB at ${dynamodbEndpoint}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      client.destroy();
    }

    const publicUrl = options.publicUrl ?? server.url;
    const runtimeConfig = {
      mode: 'local',
      tablePrefix: options.tablePrefix ?? TABLE_PREFIX,
      dynamodbEndpoint,
      adminToken: token.value,
      publicBaseUrl: publicUrl,
      webhookCaBundle: tls?.caBundle,
      configRecheckMs: options.configRecheckMs,
    } as const;
    const logger = new Logger({ serviceName: 'vigil' });
    // Audit events the table does not take before a verdict is due are spooled to the data dir, and replayed
    // from there: now (what an earlier run left), whenever a write succeeds again, and on a timer.
    const spoolWriter = createDynamoClients({ endpoint: dynamodbEndpoint });
    const auditTable = `${runtimeConfig.tablePrefix}audit`;
    const spool = new FileAuditSpool({
      dir: dataDir,
      write: (events) => writeGeneratedAuditEvents(spoolWriter.document, auditTable, events),
      logger,
      maxBytes: options.auditSpoolMaxBytes,
    });
    cleanups.push(async () => {
      await spool.stop();
      spoolWriter.client.destroy();
    });
    void spool.replayIfPending();
    spool.start(options.auditSpoolReplayMs ?? SPOOL_REPLAY_INTERVAL_MS);
    const runtime = createRuntime(runtimeConfig, { logger, auditFallback: spool });
    await bootstrap(runtime);
    server.setHandlers({
      api: createApiHandler(runtime),
      admission: createAdmissionHandler(runtime),
      enforcer: createEnforcerHandler(runtime),
    });

    // The local stand-in for EventBridge Scheduler: fires the mode-change handler with a schedule's input.
    const modeChange = createModeChangeHandler(options.schedulerClock ? { ...runtime, clock: options.schedulerClock } : runtime);
    const scheduler = new LocalScheduler({
      store: runtime.configStore,
      invoke: (input) => modeChange(input, modeChangeContext()),
      logger: runtime.logger,
      pollMs: options.schedulerPollMs,
      ...(options.schedulerClock ? { clock: options.schedulerClock } : {}),
    });
    if (options.schedulerPolling !== false) scheduler.start();
    cleanups.push(() => scheduler.stop());

    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      publicUrl,
      ...(tls ? { caPem: tls.caPem, caFile: tls.caFile, caCreated: tls.caCreated } : {}),
      adminToken: token.value,
      adminTokenSource: token.source,
      dataDir,
      dynamodbEndpoint,
      runDueModeChanges: () => scheduler.runDue(),
      stop() {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
}

/**
 * The web console, built from its sources on the first request for it (so `npm start` is never served a
 * stale build, and runs that no browser visits pay nothing); a failed build is tried again on the next request.
 */
function consoleOnDemand(): () => Promise<ConsoleAssets> {
  let building: Promise<ConsoleAssets> | undefined;
  return () => {
    building ??= buildConsole().catch((error: unknown) => {
      building = undefined;
      throw error;
    });
    return building;
  };
}

/** A Lambda-like context for the mode-change handler, whose logger reads the request id from it. */
function modeChangeContext(): Context {
  const unsupported = (): never => {
    throw new Error('callback-style completion is not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'vigil-mode-change',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:vigil-mode-change',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/vigil-mode-change',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
