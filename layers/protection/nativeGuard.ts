import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { compileGuardRules, type GuardObservation, type GuardRuleInput, type GuardRuleTable } from '../core/engine/index.js';

/** One decision of the native guard with a violation, as read from its event spool. */
export interface GuardDecision {
  readonly table: GuardRuleTable;
  readonly ruleIds: readonly number[];
  readonly refused: boolean;
  readonly seen: GuardObservation;
}

/** Tables kept to explain event lines written under an earlier table (a line names its table's generation). */
const KEPT_TABLES = 8;
/** The spool is moved aside once this much of it was read, so that it never grows for long. */
const ROTATE_AFTER_BYTES = 1024 * 1024;
/** At most this much of the spool is read per collection. */
const READ_CHUNK_BYTES = 256 * 1024;

function unescapeField(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** Parses one spool line: `G1 generation refused createdAfterStart ids executable resolved argc argv…`. */
export function parseGuardLine(
  line: string,
): { generation: number; refused: boolean; ruleIds: number[]; seen: GuardObservation } | undefined {
  const fields = line.split('\t');
  if (fields[0] !== 'G1' || fields.length < 8) return undefined;
  const generation = Number(fields[1]);
  if (!Number.isSafeInteger(generation)) return undefined;
  const ruleIds = fields[4]!.split(',').filter(Boolean).map(Number).filter(Number.isSafeInteger);
  const executable = unescapeField(fields[5]!);
  const resolved = unescapeField(fields[6]!);
  return {
    generation,
    refused: fields[2] === '1',
    ruleIds,
    seen: {
      command: fields.slice(8).map(unescapeField),
      executable,
      resolvedPath: resolved === '' ? undefined : resolved,
      createdAfterStart: fields[3] === '1',
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The layer's side of the native exec guard (layers/protection/native): the process that owns the guard's
 * directory (the function's runtime, not a child Node process that inherited the guard) writes the rule
 * table there atomically and reads back the guard's event lines.
 */
export class NativeGuard {
  /** The guard as loaded into this process by vigil-wrapper; undefined when it is not. */
  static attach(env: Readonly<Record<string, string | undefined>>, pid = process.pid): NativeGuard | undefined {
    if (env.VIGIL_GUARD_LOADED !== String(pid)) return undefined;
    const dir = env.VIGIL_GUARD_DIR?.startsWith('/') ? env.VIGIL_GUARD_DIR : '/tmp/vigil-guard';
    return new NativeGuard(dir, pid);
  }

  readonly owner: boolean;
  private readonly tables: GuardRuleTable[] = [];
  private generation: number;
  private offset = 0;
  /** A spool moved aside, read once more for lines written by processes that had it open. */
  private retired: { readonly path: string; readonly offset: number } | undefined;

  constructor(
    readonly dir: string,
    pid: number,
  ) {
    // Generations of different owners (a restarted runtime) must not collide: start at the clock.
    this.generation = Date.now();
    this.owner = this.claim(pid);
  }

  get rulesPath(): string {
    return join(this.dir, 'rules');
  }

  get spoolPath(): string {
    return join(this.dir, 'events');
  }

  /** The first process of the environment owns the directory; a later one takes over when the owner is gone. */
  private claim(pid: number): boolean {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const ownerFile = join(this.dir, 'owner');
    // The common case on a cold start, a fresh directory: one exclusive create, no exception thrown.
    try {
      writeFileSync(ownerFile, `${pid}\n`, { mode: 0o600, flag: 'wx' });
      return true;
    } catch {
      // taken before: by a live owner, or by a runtime that is gone
    }
    let current: number | undefined;
    try {
      current = Number(readFileSync(ownerFile, 'utf8').trim());
    } catch {
      current = undefined;
    }
    if (current !== undefined && current !== pid && Number.isSafeInteger(current) && current > 0 && alive(current)) return false;
    const temp = `${ownerFile}.${pid}`;
    writeFileSync(temp, `${pid}\n`, { mode: 0o600 });
    renameSync(temp, ownerFile);
    return true;
  }

  /** Compiles and writes the rule table (temp file, then rename: the guard never reads half a table). */
  write(input: Omit<GuardRuleInput, 'generation'>): GuardRuleTable | undefined {
    if (!this.owner) return undefined;
    const table = compileGuardRules({ ...input, generation: ++this.generation });
    const temp = `${this.rulesPath}.${process.pid}.tmp`;
    writeFileSync(temp, table.bytes, { mode: 0o600 });
    renameSync(temp, this.rulesPath);
    this.tables.push(table);
    if (this.tables.length > KEPT_TABLES) this.tables.shift();
    return table;
  }

  /** The guard's decisions written since the last call, each with the table that made it. */
  collect(): GuardDecision[] {
    if (!this.owner) return [];
    const lines: string[] = [];
    if (this.retired !== undefined) {
      // Writers that opened the spool before it was moved have written by now: read it to its end.
      for (let read = NativeGuard.readLines(this.retired.path, this.retired.offset); read.lines.length > 0;) {
        lines.push(...read.lines);
        read = NativeGuard.readLines(this.retired.path, read.offset);
      }
      unlinkSync(this.retired.path);
      this.retired = undefined;
    }
    const read = NativeGuard.readLines(this.spoolPath, this.offset);
    lines.push(...read.lines);
    this.offset = read.offset;
    if (this.offset >= ROTATE_AFTER_BYTES) {
      const path = `${this.spoolPath}.${this.generation}.old`;
      renameSync(this.spoolPath, path);
      this.retired = { path, offset: this.offset };
      this.offset = 0;
    }
    const decisions: GuardDecision[] = [];
    for (const line of lines) {
      const parsed = parseGuardLine(line);
      const table = parsed && this.tables.find((t) => t.generation === parsed.generation);
      if (parsed && table) decisions.push({ table, ruleIds: parsed.ruleIds, refused: parsed.refused, seen: parsed.seen });
    }
    return decisions;
  }

  /** Complete lines of a file from an offset, and the offset after the last complete line. */
  private static readLines(path: string, offset: number): { lines: string[]; offset: number } {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return { lines: [], offset };
    }
    try {
      const size = fstatSync(fd).size;
      if (size < offset) offset = 0; // replaced by a new, shorter file
      const length = Math.min(size - offset, READ_CHUNK_BYTES);
      if (length <= 0) return { lines: [], offset };
      const buffer = Buffer.alloc(length);
      const got = readSync(fd, buffer, 0, length, offset);
      // A line is complete at its newline; a line being written (or cut by the chunk) waits for the next read.
      const end = buffer.subarray(0, got).lastIndexOf(10);
      if (end < 0) return { lines: [], offset };
      return { lines: buffer.subarray(0, end).toString('utf8').split('\n'), offset: offset + end + 1 };
    } finally {
      closeSync(fd);
    }
  }
}
