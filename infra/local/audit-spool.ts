// Local mode's fallback for audit events the table could not take in time (docs/adr/0011): an append-only
// file in the data directory, replayed into the table at start, when a write succeeds again, and on a timer.

import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AuditWriteError } from '../../functions/shared/storage/audit-items.js';
import { generatedEventsOf, isRefusal, uniqueById, type AuditFallback } from '../../functions/shared/storage/audit-fallback.js';
import type { GeneratedAuditEvent } from '../../functions/shared/storage/ports.js';

/** New events are appended here. */
export const SPOOL_FILE = 'audit-spool.jsonl';
/** The spool taken for a replay; removed only once every event in it is stored. */
export const REPLAYING_FILE = 'audit-spool.replaying.jsonl';
/** Events DynamoDB refused (it will never take them), each with the reason: kept for a person, never dropped. */
export const REFUSED_FILE = 'audit-spool.refused.jsonl';
/** 64 MiB: some 100,000 events, hours of a busy cluster's denials. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** Events per table write during a replay. */
const REPLAY_CHUNK = 500;

export type SpoolLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface FileAuditSpoolOptions {
  /** The data directory (mode 0700). */
  readonly dir: string;
  /** Writes events to the audit table (unconditionally: the same event again stores the identical item). */
  readonly write: (events: readonly GeneratedAuditEvent[]) => Promise<void>;
  readonly logger: SpoolLogger;
  /** @default DEFAULT_SPOOL_MAX_BYTES */
  readonly maxBytes?: number;
}

/** What one replay did. */
export interface ReplayOutcome {
  /** Events now stored in the table. */
  readonly stored: number;
  /** Events DynamoDB refused, moved to the refused file. */
  readonly refused: number;
  /** Lines that were not a whole record (a write cut short by a crash): never acknowledged, so nothing is lost. */
  readonly skippedLines: number;
  /** The table was unavailable: the spool stays for the next attempt. */
  readonly unavailable: boolean;
}

/** The spool is full: the events could not be made durable. */
export class SpoolFullError extends Error {
  constructor(bytes: number, maxBytes: number) {
    super(`the audit spool is full (${bytes} of ${maxBytes} bytes)`);
    this.name = 'SpoolFullError';
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Makes a new or renamed directory entry durable, not only the file's bytes. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Whether the file's last byte is a newline (an empty file counts as ending one). */
async function endsWithNewline(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/**
 * Appends records of events, one JSON line each, fsync'd before `hold` resolves. A replay renames the spool
 * aside first, so appends go on into a fresh file while it runs, and removes the renamed file only after
 * every event in it is stored: a crash at any point replays it again, which stores the same items.
 */
export class FileAuditSpool implements AuditFallback {
  private readonly spoolPath: string;
  private readonly replayingPath: string;
  private readonly refusedPath: string;
  private readonly maxBytes: number;
  /** Appends and the rename of a replay take turns: a record is never half in the renamed file. */
  private turn: Promise<unknown> = Promise.resolve();
  private replaying: Promise<ReplayOutcome> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private full = false;

  constructor(private readonly options: FileAuditSpoolOptions) {
    this.spoolPath = join(options.dir, SPOOL_FILE);
    this.replayingPath = join(options.dir, REPLAYING_FILE);
    this.refusedPath = join(options.dir, REFUSED_FILE);
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
  }

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const result = this.turn.then(step);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** Bytes waiting to be replayed. */
  async pendingBytes(): Promise<number> {
    return (await sizeOf(this.spoolPath)) + (await sizeOf(this.replayingPath));
  }

  hold(events: readonly GeneratedAuditEvent[], reason: string): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const line = Buffer.from(`${JSON.stringify({ events })}\n`, 'utf8');
    return this.inTurn(async () => {
      const pending = await this.pendingBytes();
      if (pending + line.length > this.maxBytes) {
        // Once per episode: a full spool during a long outage would otherwise log every review.
        if (!this.full)
          this.options.logger.error('the audit spool is full: audit events are being lost until storage is back', {
            spoolBytes: pending,
            maxBytes: this.maxBytes,
            reason,
          });
        this.full = true;
        throw new SpoolFullError(pending, this.maxBytes);
      }
      const created = (await sizeOf(this.spoolPath)) === 0;
      // Read and append: the last byte is checked before writing.
      const handle = await open(this.spoolPath, 'a+', 0o600);
      try {
        // A record cut short by a crash must not run into this one: it starts on a line of its own.
        const separated = (await endsWithNewline(handle)) ? line : Buffer.concat([Buffer.from('\n'), line]);
        await handle.writeFile(separated);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (created) await syncDirectory(this.options.dir);
      this.options.logger.warn('audit events spooled to disk until storage takes them', { events: events.length, reason });
    });
  }

  storageIsBack(): void {
    void this.replayIfPending();
  }

  /** Replays when something waits and no replay runs; never throws (failures are logged). */
  async replayIfPending(): Promise<ReplayOutcome | undefined> {
    if (this.replaying) return this.replaying;
    if ((await this.pendingBytes().catch(() => 0)) === 0) return undefined;
    return this.replay();
  }

  /**
   * Stores every spooled event in the table (one replay at a time; a second call joins the running one).
   * Stops at the first write that fails for lack of storage, keeping the spool for the next attempt.
   */
  replay(): Promise<ReplayOutcome> {
    this.replaying ??= this.replayAll()
      .catch((error: unknown): ReplayOutcome => {
        this.options.logger.error('replaying the audit spool failed; it is kept for the next attempt', { error: error as Error });
        return { stored: 0, refused: 0, skippedLines: 0, unavailable: true };
      })
      .finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  /** Replays at this interval while something waits (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.replayIfPending(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.replaying;
    await this.turn;
  }

  private async replayAll(): Promise<ReplayOutcome> {
    const total = { stored: 0, refused: 0, skippedLines: 0, unavailable: false };
    // Appends that arrive during a replay are taken by the next round, until the spool stays empty.
    for (;;) {
      const taken = await this.inTurn(async () => {
        // A replay cut short earlier left its file: that one goes first, the spool waits its turn.
        if ((await sizeOf(this.replayingPath)) > 0) return true;
        if ((await sizeOf(this.spoolPath)) === 0) return false;
        await rename(this.spoolPath, this.replayingPath);
        await syncDirectory(this.options.dir);
        this.full = false;
        return true;
      });
      if (!taken) return total;
      const outcome = await this.replayFile();
      total.stored += outcome.stored;
      total.refused += outcome.refused;
      total.skippedLines += outcome.skippedLines;
      if (outcome.unavailable) return { ...total, unavailable: true };
    }
  }

  private async replayFile(): Promise<ReplayOutcome> {
    const text = await readFile(this.replayingPath, 'utf8');
    const events: GeneratedAuditEvent[] = [];
    let skippedLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        skippedLines++;
        continue;
      }
      const parsed = generatedEventsOf((record as { events?: unknown } | null)?.events);
      if (parsed) events.push(...parsed);
      else skippedLines++;
    }
    if (skippedLines > 0)
      this.options.logger.warn('audit spool lines that are not a whole record were skipped (a write cut short by a crash)', {
        skippedLines,
      });
    let stored = 0;
    let refused = 0;
    for (let i = 0, unique = uniqueById(events); i < unique.length; i += REPLAY_CHUNK) {
      const part = unique.slice(i, i + REPLAY_CHUNK);
      try {
        await this.options.write(part);
        stored += part.length;
      } catch (error) {
        if (!isRefusal(error)) {
          this.options.logger.warn('audit spool replay paused: storage is unavailable', {
            stored,
            waiting: unique.length - stored - refused,
            error: error as Error,
          });
          return { stored, refused, skippedLines, unavailable: true };
        }
        const one = await this.writeEachOrSetAside(part);
        if (one.unavailable) return { stored: stored + one.stored, refused: refused + one.refused, skippedLines, unavailable: true };
        stored += one.stored;
        refused += one.refused;
      }
    }
    await unlink(this.replayingPath);
    await syncDirectory(this.options.dir);
    if (stored + refused > 0) this.options.logger.info('audit spool replayed into the audit table', { stored, refused, skippedLines });
    return { stored, refused, skippedLines, unavailable: false };
  }

  /** After a refused batch: each event alone, so that only the one DynamoDB refuses is set aside (with the reason). */
  private async writeEachOrSetAside(part: readonly GeneratedAuditEvent[]): Promise<ReplayOutcome> {
    let stored = 0;
    let refused = 0;
    for (const entry of part) {
      try {
        await this.options.write([entry]);
        stored++;
      } catch (error) {
        if (!isRefusal(error)) return { stored, refused, skippedLines: 0, unavailable: true };
        const reason = ((error instanceof AuditWriteError ? error.cause : error) as Error | undefined)?.message ?? String(error);
        const handle = await open(this.refusedPath, 'a', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify({ reason, event: entry.event, retentionDays: entry.retentionDays })}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        this.options.logger.error('the audit table refused an audit event; it is kept in the refused file of the data directory', {
          eventId: entry.event.id,
          reason,
          file: REFUSED_FILE,
        });
        refused++;
      }
    }
    return { stored, refused, skippedLines: 0, unavailable: false };
  }
}
