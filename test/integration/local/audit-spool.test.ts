import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditWriteError, writeGeneratedAuditEvents } from '../../../functions/shared/storage/audit-items.js';
import type { GeneratedAuditEvent } from '../../../functions/shared/storage/ports.js';
import { FileAuditSpool, REFUSED_FILE, REPLAYING_FILE, SPOOL_FILE, SpoolFullError } from '../../../infra/local/audit-spool.js';
import { useTables } from '../../support/use-tables.js';
import { blockedExecEvent } from '../../support/audit-events.js';

// The local audit spool on real files, replayed into a real audit table on DynamoDB Local.

const db = useTables();
let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function generated(pod: string): GeneratedAuditEvent {
  return blockedExecEvent('spool-test', pod);
}

/** A logger whose lines the test reads (the spool's log is part of its contract: a full spool says so once). */
function capturingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  const logger = new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });
  for (const level of ['info', 'warn', 'error'] as const) logger[level] = (message: string) => void lines.push({ level, message });
  return { logger, lines };
}

/** The real table writer; `down` makes it fail as an unreachable DynamoDB does, `refuse` as a refused item does. */
function tableWriter() {
  const state = { down: false, refuse: new Set<string>(), writes: 0 };
  const write = async (events: readonly GeneratedAuditEvent[]) => {
    state.writes++;
    if (state.down) throw new AuditWriteError(events, Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));
    if (events.some(({ event }) => state.refuse.has(event.id)))
      throw new AuditWriteError(
        events,
        Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' }),
      );
    await writeGeneratedAuditEvents(db.clients.document, db.tables.audit.TableName, events);
  };
  return { state, write };
}

async function stored(ids: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) if (await db.auditStore.get(id)) found.push(id);
  return found;
}

const idsOf = (events: readonly GeneratedAuditEvent[]) => events.map(({ event }) => event.id);

describe('FileAuditSpool', () => {
  it('replays held events into the table and removes the spool only after they are stored', async () => {
    const { state, write } = tableWriter();
    const { logger } = capturingLogger();
    const spool = new FileAuditSpool({ dir, write, logger });
    const events = [generated('a'), generated('b'), generated('c')];
    await spool.hold(events.slice(0, 2), 'outage');
    await spool.hold(events.slice(2), 'outage');

    state.down = true;
    expect(await spool.replay()).toMatchObject({ stored: 0, unavailable: true });
    // Nothing stored, nothing removed: the taken spool waits for the next attempt, new events go to a fresh one.
    expect((await stat(join(dir, REPLAYING_FILE))).size).toBeGreaterThan(0);
    const later = generated('d');
    await spool.hold([later], 'outage');

    state.down = false;
    expect(await spool.replay()).toEqual({ stored: 4, refused: 0, skippedLines: 0, unavailable: false });
    expect(await stored(idsOf([...events, later]))).toEqual(idsOf([...events, later]));
    expect(await readdir(dir)).toEqual([]);
    expect(await spool.pendingBytes()).toBe(0);
  });

  it('tolerates a torn last line (a write cut short by a crash) and keeps appending on a line of its own', async () => {
    const { write } = tableWriter();
    const { logger, lines } = capturingLogger();
    const spool = new FileAuditSpool({ dir, write, logger });
    const whole = generated('whole');
    await spool.hold([whole], 'outage');
    // What SIGKILL in the middle of a write leaves: a record without its end and without the newline.
    await appendFile(join(dir, SPOOL_FILE), JSON.stringify({ events: [generated('torn')] }).slice(0, 90));
    const after = generated('after');
    await spool.hold([after], 'outage');

    expect(await spool.replay()).toEqual({ stored: 2, refused: 0, skippedLines: 1, unavailable: false });
    expect(await stored(idsOf([whole, after]))).toEqual(idsOf([whole, after]));
    expect(lines).toContainEqual({ level: 'warn', message: expect.stringContaining('not a whole record') });
  });

  it('refuses to hold beyond its size bound, saying so once in the log, and takes events again after a replay', async () => {
    const { write } = tableWriter();
    const { logger, lines } = capturingLogger();
    const first = generated('fits');
    const oneLine = Buffer.byteLength(`${JSON.stringify({ events: [first] })}\n`);
    const spool = new FileAuditSpool({ dir, write, logger, maxBytes: oneLine + 10 });
    await spool.hold([first], 'outage');
    await expect(spool.hold([generated('too-much')], 'outage')).rejects.toBeInstanceOf(SpoolFullError);
    await expect(spool.hold([generated('too-much-again')], 'outage')).rejects.toBeInstanceOf(SpoolFullError);
    expect(lines.filter(({ message }) => message.includes('spool is full'))).toEqual([
      { level: 'error', message: expect.stringContaining('audit events are being lost') },
    ]);
    await spool.replay();
    await expect(spool.hold([generated('fits-again')], 'outage')).resolves.toBeUndefined();
  });

  it('sets an event the table refuses aside with the reason, and stores the others of its batch', async () => {
    const { state, write } = tableWriter();
    const { logger, lines } = capturingLogger();
    const spool = new FileAuditSpool({ dir, write, logger });
    const events = [generated('ok-1'), generated('refused'), generated('ok-2')];
    state.refuse.add(events[1]!.event.id);
    await spool.hold(events, 'the audit write failed');
    expect(await spool.replay()).toEqual({ stored: 2, refused: 1, skippedLines: 0, unavailable: false });
    expect(await stored(idsOf(events))).toEqual([events[0]!.event.id, events[2]!.event.id]);
    const refused = (await readFile(join(dir, REFUSED_FILE), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(refused).toEqual([{ reason: 'Item size has exceeded the maximum allowed size', event: events[1]!.event, retentionDays: 90 }]);
    expect(lines).toContainEqual({ level: 'error', message: expect.stringContaining('refused an audit event') });
    // Set aside, not retried forever: the next replay has nothing to do.
    const writes = state.writes;
    expect(await spool.replayIfPending()).toBeUndefined();
    expect(state.writes).toBe(writes);
  });

  it('stores an event held twice once (same id, same item) and writes no duplicate keys in one batch', async () => {
    const { write } = tableWriter();
    const { logger } = capturingLogger();
    const spool = new FileAuditSpool({ dir, write, logger });
    const event = generated('twice');
    await spool.hold([event], 'write did not finish');
    await spool.hold([event], 'write failed');
    expect(await spool.replay()).toMatchObject({ stored: 1, unavailable: false });
    expect(await stored([event.event.id])).toEqual([event.event.id]);
  });
});
