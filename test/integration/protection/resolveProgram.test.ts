import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProgram } from '../../../layers/protection/resolveProgram.js';

// How the layer resolves a program before it starts, on real files: PATH lookup, links, and realpath made
// only when the decision reads the whole path.
let dir: string;
let real: string;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-resolve-')));
  mkdirSync(join(dir, 'bin'));
  real = join(dir, 'bin', 'tool');
  writeFileSync(real, '#!/bin/sh\n');
  chmodSync(real, 0o755);
  writeFileSync(join(dir, 'bin', 'plain'), 'not executable');
  symlinkSync(join(dir, 'bin'), join(dir, 'linked-dir'));
  symlinkSync(real, join(dir, 'bin', 'alias'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveProgram', () => {
  it("gives a file's own name without realpath and its real path when read, through a linked directory", () => {
    const resolved = resolveProgram(join(dir, 'linked-dir', 'tool'), { startedAtMs: 0 });
    expect(resolved.resolvedName).toBe('tool');
    expect(resolved.createdAfterStart).toBe(true);
    expect(resolved.resolvedPath).toBe(real);
  });

  it('makes the realpath only when the path is read: a file gone by then has none', () => {
    const gone = join(dir, 'bin', 'gone');
    writeFileSync(gone, '');
    const resolved = resolveProgram(gone, { startedAtMs: Date.now() + 60_000 });
    expect(resolved).toMatchObject({ resolvedName: 'gone', createdAfterStart: false });
    rmSync(gone);
    expect(resolved.resolvedPath).toBeUndefined();
  });

  it("follows a link that is the file's own name at once: its name is the target's", () => {
    expect(resolveProgram(join(dir, 'bin', 'alias'), { startedAtMs: 0 })).toEqual({
      resolvedPath: real,
      resolvedName: 'tool',
      createdAfterStart: true,
    });
  });

  it('looks bare names up in PATH as execvp does, skipping files that cannot be executed', () => {
    const path = [join(dir, 'missing'), join(dir, 'linked-dir')].join(':');
    const resolved = resolveProgram('tool', { path, startedAtMs: 0 });
    expect(resolved.resolvedName).toBe('tool');
    expect(resolved.resolvedPath).toBe(real);
    expect(resolveProgram('plain', { path: join(dir, 'bin'), startedAtMs: 0 }).resolvedPath).toBeUndefined();
  });

  it('finds nothing for a missing program, a directory, or a relative one outside the working directory', () => {
    const none = { resolvedPath: undefined, resolvedName: undefined, createdAfterStart: false };
    expect(resolveProgram(join(dir, 'nope'), { startedAtMs: 0 })).toEqual(none);
    expect(resolveProgram(join(dir, 'bin'), { startedAtMs: 0 })).toEqual(none);
    expect(resolveProgram('./tool', { cwd: dir, startedAtMs: 0 })).toEqual(none);
    expect(resolveProgram('./tool', { cwd: join(dir, 'bin'), startedAtMs: 0 }).resolvedPath).toBe(real);
  });
});
