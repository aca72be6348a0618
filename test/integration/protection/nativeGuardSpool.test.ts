import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeGuard, parseGuardLine } from '../../../layers/protection/nativeGuard.js';

// The layer's side of the exec guard on a real directory: who owns it, the table written atomically, and
// the event spool read back in order, moved aside when large, and never losing a line.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function guardDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'vigil-guard-spool-')), 'guard');
  dirs.push(dir);
  return dir;
}

const loaded = (dir: string, pid: number) => ({ VIGIL_GUARD_LOADED: String(pid), VIGIL_GUARD_DIR: dir });

describe('NativeGuard', () => {
  it('attaches only where the guard says it is loaded, and the first process of the directory owns it', async () => {
    const dir = guardDir();
    expect(NativeGuard.attach({ VIGIL_GUARD_LOADED: '1', VIGIL_GUARD_DIR: dir }, 2)).toBeUndefined();
    const owner = NativeGuard.attach(loaded(dir, process.pid))!;
    expect(owner.owner).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // A child Node process (another live pid) uses the owner's table.
    const child = spawn('sleep', ['5']);
    const other = guardDir();
    try {
      expect(NativeGuard.attach(loaded(dir, child.pid!), child.pid)!.owner).toBe(false);
      expect(NativeGuard.attach(loaded(other, child.pid!), child.pid)!.owner).toBe(true);
    } finally {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // A runtime started again in the same environment takes over from the one that is gone.
    expect(NativeGuard.attach(loaded(other, process.pid))!.owner).toBe(true);
    expect(readFileSync(join(other, 'owner'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('writes the table by rename (no temporary file left) and explains event lines by the table that decided', () => {
    const dir = guardDir();
    const guard = NativeGuard.attach(loaded(dir, process.pid))!;
    const table = guard.write({ startedAtMs: 1000, failMode: 'closed' })!;
    expect(new Uint8Array(readFileSync(join(dir, 'rules')))).toEqual(table.bytes);
    expect(readdirSync(dir).sort()).toEqual(['owner', 'rules']);
    appendFileSync(
      join(dir, 'events'),
      [
        `G1\t${table.generation}\t1\t0\t0,2\tid\t/usr/bin/id\t2\tid\t-\\tu`,
        `G1\t999\t1\t0\t0\tid\t/usr/bin/id\t1\tid`, // a table this process never wrote
        `G1\t${table.generation}\t0\t1\t1\t/tmp/x\t\t1\t/tmp/x`,
        `G1\t${table.generation}\t1\t0\t0\tid`, // no newline yet: being written
      ].join('\n'),
    );
    const decisions = guard.collect();
    expect(decisions.map((d) => [d.refused, d.ruleIds, d.seen])).toEqual([
      [true, [0, 2], { command: ['id', '-\tu'], executable: 'id', resolvedPath: '/usr/bin/id', createdAfterStart: false }],
      [false, [1], { command: ['/tmp/x'], executable: '/tmp/x', resolvedPath: undefined, createdAfterStart: true }],
    ]);
    appendFileSync(join(dir, 'events'), '\t/usr/bin/id\t1\tid\n');
    expect(guard.collect().map((d) => d.seen.command)).toEqual([['id']]);
    expect(guard.collect()).toEqual([]);
  });

  it('moves a large spool aside and still reads the lines written into it after it was moved', () => {
    const dir = guardDir();
    const guard = NativeGuard.attach(loaded(dir, process.pid))!;
    const { generation } = guard.write({ startedAtMs: 0, failMode: 'open' })!;
    const line = (n: number) => `G1\t${generation}\t1\t0\t0\t/usr/bin/id\t/usr/bin/id\t2\tid\t${n}${'x'.repeat(1000)}\n`;
    const spool = join(dir, 'events');
    for (let n = 0; n < 1100; n++) appendFileSync(spool, line(n));
    const seen: string[] = [];
    const take = () => seen.push(...guard.collect().map((d) => d.seen.command[1]!.replace(/x+$/, '')));
    for (let i = 0; i < 5 && readdirSync(dir).every((f) => !f.endsWith('.old')); i++) take();
    const moved = readdirSync(dir).find((f) => f.endsWith('.old'))!;
    expect(moved).toBeDefined();
    // A writer that opened the spool before the move appends to the moved file; a new one starts the new spool.
    appendFileSync(join(dir, moved), line(1100));
    appendFileSync(spool, line(1101));
    take();
    take();
    expect(seen).toEqual(Array.from({ length: 1102 }, (_, n) => String(n)));
    expect(readdirSync(dir).some((f) => f.endsWith('.old'))).toBe(false);
  });
});

describe('parseGuardLine', () => {
  it('refuses lines of another format', () => {
    expect(parseGuardLine('G2\t1\t1\t0\t0\tid\t\t1\tid')).toBeUndefined();
    expect(parseGuardLine('G1\tx\t1\t0\t0\tid\t\t1\tid')).toBeUndefined();
    expect(parseGuardLine('G1\t1\t1')).toBeUndefined();
  });
});
