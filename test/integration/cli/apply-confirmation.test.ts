import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../cli/output.js';
import { main } from '../../../cli/program.js';
import { useLocalMode } from '../../support/local-mode.js';

// `vigil apply` on a terminal asks before risky changes. The terminal is the boundary a test cannot drive, so the
// question is answered by a test double standing in for it; everything else (files, API, local mode) is real.

const local = useLocalMode();
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-confirm-'));
  await writeFile(join(dir, 'settings.yaml'), 'kind: settings\nbypassScopes: []\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function applyAnswering(answer: boolean) {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken, NO_COLOR: '1' },
    confirm: (question) => {
      questions.push(question);
      return Promise.resolve(answer);
    },
  };
  const code = await main(['apply', '-f', dir], io);
  return { code, stdout, stderr, questions };
}

describe('vigil apply on a terminal', () => {
  it('asks before removing the bypass; "no" writes nothing, "yes" applies', async () => {
    const declined = await applyAnswering(false);
    expect(declined.questions).toEqual(['Apply the plan with 1 risky change (marked "needs confirmation" above)? [y/N] ']);
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('error: not confirmed; nothing was written');
    expect((await local.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toHaveLength(2);

    const accepted = await applyAnswering(true);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('Applied: 0 created, 1 updated.');
    expect((await local.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toEqual([]);
  });
});
