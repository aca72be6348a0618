/**
 * Reads Tetragon's JSON export file line by line as it grows, across rotations and restarts.
 *
 * A position is the file's inode and the byte offset after the last complete line handed out. The caller
 * saves a position (the checkpoint) only once the lines before it are dealt with, so a restart resumes
 * exactly there: nothing is lost and, with stable event ids, nothing is stored twice. A line is complete
 * only with its newline; a partial last line is read again once the writer finished it. When the file is
 * renamed away (rotation), the old file is read to its end through the still-open descriptor before the
 * new file is started, and after a restart the rotated file is found again by its inode.
 */
import { open, readdir, readFile, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface ExportPosition {
  readonly inode: number;
  readonly offset: number;
}

export interface ExportLine {
  readonly text: string;
  /** Where reading resumes after this line. */
  readonly next: ExportPosition;
}

export interface ExportTailCounters {
  /** Lines longer than the limit, skipped whole. */
  longLinesSkipped: number;
  /** Rotated files that were gone at a restart before they were read to their end. */
  filesLost: number;
  /** Times the file was truncated in place (copytruncate) and read again from its start. */
  truncations: number;
}

const CHUNK_BYTES = 256 * 1024;

export class ExportTail {
  private handle: FileHandle | undefined;
  private inode = -1;
  private offset = 0;
  /** Inside a line longer than the limit: drop bytes up to the next newline. */
  private skipping = false;
  private maxLines = 1;
  readonly counters: ExportTailCounters = { longLinesSkipped: 0, filesLost: 0, truncations: 0 };

  constructor(
    readonly path: string,
    private readonly maxLineBytes: number,
  ) {}

  /** Starts at a saved position (or at the start of the current file). */
  async start(from: ExportPosition | undefined): Promise<void> {
    const current = await stat(this.path).catch(() => undefined);
    if (from !== undefined && current !== undefined && current.ino === from.inode) {
      await this.openAt(this.path, from.offset > current.size ? 0 : from.offset);
      return;
    }
    if (from !== undefined) {
      const rotated = await this.findByInode(from.inode);
      if (rotated !== undefined) {
        await this.openAt(rotated, from.offset);
        return;
      }
      this.counters.filesLost++;
    }
    if (current !== undefined) await this.openAt(this.path, 0);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async openAt(path: string, offset: number): Promise<void> {
    await this.close();
    const handle = await open(path, 'r');
    this.handle = handle;
    this.inode = (await handle.stat()).ino;
    this.offset = offset;
    this.skipping = false;
  }

  /** A rotated file keeps the export's directory; only files named like the export are looked at. */
  private async findByInode(inode: number): Promise<string | undefined> {
    const directory = dirname(this.path);
    const stem = basename(this.path).replace(/\.[^.]*$/, '');
    for (const name of await readdir(directory).catch(() => [] as string[])) {
      if (!name.startsWith(stem)) continue;
      const candidate = join(directory, name);
      const info = await stat(candidate).catch(() => undefined);
      if (info?.ino === inode && info.isFile()) return candidate;
    }
    return undefined;
  }

  /** The next complete lines, at most `maxLines`; empty when there is nothing new yet. */
  async read(maxLines: number, maxBytes: number = CHUNK_BYTES): Promise<ExportLine[]> {
    this.maxLines = Math.max(1, maxLines);
    if (this.handle === undefined) {
      await this.start(undefined);
      if (this.handle === undefined) return [];
    }
    const lines = await this.readFrom(this.handle, Math.max(maxBytes, this.maxLineBytes + 1), false);
    if (lines.length > 0) return lines;
    // Nothing complete: the file may have been rotated or truncated.
    const current = await stat(this.path).catch(() => undefined);
    if (current === undefined) return [];
    if (current.ino !== this.inode) {
      // The old file is final: its partial last line, if any, will never be finished.
      const rest = await this.readFrom(this.handle, Math.max(maxBytes, this.maxLineBytes + 1), true);
      if (rest.length > 0) return rest;
      await this.openAt(this.path, 0);
      return this.readFrom(this.handle, Math.max(maxBytes, this.maxLineBytes + 1), false);
    }
    if (current.size < this.offset) {
      this.counters.truncations++;
      this.offset = 0;
      return this.readFrom(this.handle, Math.max(maxBytes, this.maxLineBytes + 1), false);
    }
    return [];
  }

  private async readFrom(handle: FileHandle, maxBytes: number, final: boolean): Promise<ExportLine[]> {
    const buffer = Buffer.allocUnsafe(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, this.offset);
    if (bytesRead === 0) return [];
    const lines: ExportLine[] = [];
    let start = 0;
    while (lines.length < this.maxLines) {
      const newline = buffer.indexOf(0x0a, start);
      if (newline === -1 || newline >= bytesRead) break;
      const end = newline + 1;
      if (this.skipping) this.skipping = false;
      else if (newline - start > this.maxLineBytes) this.counters.longLinesSkipped++;
      else lines.push({ text: buffer.toString('utf8', start, newline), next: { inode: this.inode, offset: this.offset + end } });
      start = end;
    }
    if (start === 0 && bytesRead === maxBytes) {
      // No newline in a whole chunk: the line is longer than any line kept; drop it up to its newline.
      if (!this.skipping) this.counters.longLinesSkipped++;
      this.skipping = true;
      start = bytesRead;
    } else if (final && start < bytesRead && lines.length < this.maxLines) {
      if (!this.skipping && bytesRead - start <= this.maxLineBytes)
        lines.push({ text: buffer.toString('utf8', start, bytesRead), next: { inode: this.inode, offset: this.offset + bytesRead } });
      start = bytesRead;
    }
    this.offset += start;
    return lines;
  }
}

/** The checkpoint file: the position of the first line not yet dealt with, written by rename (all or nothing). */
export async function loadCheckpoint(path: string): Promise<ExportPosition | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ExportPosition>;
    if (Number.isSafeInteger(value.inode) && Number.isSafeInteger(value.offset) && value.offset! >= 0)
      return { inode: value.inode!, offset: value.offset! };
  } catch {
    // A damaged checkpoint is treated as none: the stable ids keep a re-read from storing anything twice.
  }
  return undefined;
}

export async function saveCheckpoint(path: string, position: ExportPosition): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, JSON.stringify(position));
  await rename(temporary, path);
}
