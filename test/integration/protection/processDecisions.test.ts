import { chmodSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProtectionConfig } from '../../../layers/protection/config.js';
import type { ProcessRequest } from '../../../layers/protection/interceptors/childProcess.js';
import { ProtectionHandler } from '../../../layers/protection/ProtectionHandler.js';
import { bundleWith, functionPolicy } from './harness.js';

// When the hooks resolve a program (its PATH lookup and lstat), on real files: on every call whose decision
// reads what the resolution gives, and never for a call whose rules decide on the name as called. The
// handler is not installed: checkProcess is called directly, as the child_process hooks call it.
let dir: string;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-decisions-')));
  for (const name of ['tool', 'curl']) {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handlerWith(policies: unknown[]): ProtectionHandler {
  const snapshot = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(snapshot, JSON.stringify(bundleWith(policies)));
  return new ProtectionHandler(readProtectionConfig({ AWS_LAMBDA_FUNCTION_NAME: 'orders-api', VIGIL_SNAPSHOT: snapshot }));
}

/** A call of `tool` by its bare name that counts the PATH lookups made for it (one per resolution). */
function toolCall(): ProcessRequest & { readonly lookups: number } {
  let lookups = 0;
  return {
    file: 'tool',
    args: [],
    shell: false,
    cwd: undefined,
    get path() {
      lookups++;
      return dir;
    },
    get lookups() {
      return lookups;
    },
  };
}

describe('ProtectionHandler.checkProcess: resolving the program', () => {
  it('resolves the program on every call when a rule reads the resolved name, and so sees it become a link', () => {
    const handler = handlerWith([functionPolicy('no-curl', 'enforce', { blockedExecutables: { enabled: true, executables: ['curl'] } })]);
    const call = toolCall();
    expect(handler.checkProcess(call)).toEqual({ allowed: true });
    expect(handler.checkProcess(call)).toEqual({ allowed: true });
    expect(call.lookups).toBe(2);
    rmSync(join(dir, 'tool'));
    symlinkSync(join(dir, 'curl'), join(dir, 'tool'));
    try {
      expect(handler.checkProcess(call)).toEqual({
        allowed: false,
        message: `blocked by policy "no-curl" (Executables Blocked): "${join(dir, 'curl')}" is a blocked executable`,
      });
      expect(call.lookups).toBe(3);
    } finally {
      rmSync(join(dir, 'tool'));
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dir, 'tool'), 0o755);
    }
  });

  it('never resolves the program when the rules decide on the name as called, whatever the file becomes', () => {
    const handler = handlerWith([
      functionPolicy('only-tool', 'enforce', { blockAllProcesses: { enabled: true, allowedExecutables: ['tool'] } }),
    ]);
    const call = toolCall();
    expect(handler.checkProcess(call)).toEqual({ allowed: true });
    rmSync(join(dir, 'tool'));
    symlinkSync(join(dir, 'curl'), join(dir, 'tool'));
    try {
      // The allow-list matches the name as called, so a link to another program is allowed as before.
      expect(handler.checkProcess(call)).toEqual({ allowed: true });
      expect(call.lookups).toBe(0);
    } finally {
      rmSync(join(dir, 'tool'));
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dir, 'tool'), 0o755);
    }
    const other = { ...toolCall(), file: 'other' };
    expect(handler.checkProcess(other).allowed).toBe(false);
  });
});
