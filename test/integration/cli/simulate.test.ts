import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, useLocalMode } from '../../support/local-mode.js';
import { SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// `vigil simulate` with the real binary against local mode's webhook: the first-run tour of the README, Detect in
// audit mode, then Block once the policy enforces in an enforcing group, each recorded in the audit log.

const local = useLocalMode({ configRecheckMs: 200 });
const vigil = vigilFor(local);

describe('vigil simulate', { timeout: SPAWN_TIMEOUT }, () => {
  it('shows Detect, then Block after `policies set --mode enforce` and `groups set --enforce`', async () => {
    const registered = await local.api('POST', '/v1/clusters', { name: 'demo' });
    expect(registered.status).toBe(201);
    const webhook = { VIGIL_WEBHOOK_URL: registered.body.webhookUrl as string };
    const created = await local.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'container',
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);

    const detected = await eventually(async () => {
      const run = await vigil.run(['simulate', 'exec', '-n', 'payments', '--pod', 'web-1', '-l', 'app=web'], { env: webhook });
      expect(run.stdout).toMatch(/^Detect: exec payments\/web-1 is allowed and recorded \(policy exec-guard/);
      return run;
    }, 20_000);
    expect(detected.code).toBe(0);

    expect((await vigil.run(['policies', 'set', 'exec-guard', '--mode', 'enforce'])).code).toBe(0);
    expect((await vigil.run(['groups', 'set', 'default-ke', '--enforce'])).code).toBe(0);
    const blocked = await eventually(async () => {
      const run = await vigil.run(['simulate', 'exec', '-n', 'payments', '--pod', 'web-1', '--command', 'sh'], { env: webhook });
      expect(run.stdout).toMatch(/^Block: exec payments\/web-1: .*exec-guard/);
      return run;
    }, 20_000);
    expect(blocked.code).toBe(0);

    const audit = await vigil.run(['audit', 'list', '--policy', 'exec-guard', '-o', 'json']);
    const statuses = (JSON.parse(audit.stdout) as Array<{ status: string }>).map((event) => event.status);
    expect(statuses).toContain('Detect');
    expect(statuses).toContain('Block');
  });

  it('reads the webhook URL from the manifest `clusters register --manifest-file` wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-simulate-'));
    try {
      const manifest = join(dir, 'second.webhook.yaml');
      expect((await vigil.run(['clusters', 'register', 'second', '--manifest-file', manifest])).code).toBe(0);
      const run = await vigil.run(['simulate', 'attach', '--manifest-file', manifest, '-o', 'json']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ uid: expect.any(String), allowed: expect.any(Boolean) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs the webhook URL, and refuses an unknown operation (exit 2)', async () => {
    const missing = await vigil.run(['simulate', 'exec']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('simulate needs the webhook URL');
    const unknown = await vigil.run(['simulate', 'delete', '--webhook-url', 'http://127.0.0.1:1/x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("command-argument value 'delete' is invalid");
  });
});
