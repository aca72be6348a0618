import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, useBrowser } from '../support/browser.js';
import { admissionReview } from '../support/fixtures.js';
import { eventually, useLocalMode } from '../support/local-mode.js';

// The seed walkthrough through the web console in headless Chromium: every configuration step is done in the
// browser; only the cluster's side (its registration and the API server's AdmissionReviews) goes over HTTP.

const DAY_MS = 24 * 60 * 60 * 1000;
let schedulerNow = Date.now();
const vigil = useLocalMode({ schedulerClock: () => new Date(schedulerNow) });
const browser = useBrowser();

const execSh = () => admissionReview('exec-guard/denied/exec-sh.json');
const execKubeProxy = () => admissionReview('bypass-removed/denied/exec-kube-proxy.json');

async function show(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: section === 'Settings' ? 'Settings → Enforcer' : section }).waitFor();
}

/** The cells of the audit log's first row after filtering on a verdict. */
async function newestAuditRow(page: Page, verdict: 'Detect' | 'Block'): Promise<string[]> {
  await show(page, 'Audit log');
  await page.getByLabel('Verdict', { exact: true }).selectOption(verdict);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const first = page.getByRole('region', { name: 'Audit events table' }).getByRole('row').nth(1);
  await first.getByText(verdict, { exact: true }).waitFor();
  return first.getByRole('cell').allTextContents();
}

describe('the walkthrough in the web console', () => {
  it('audit exec policy → Detect; group and policy enforce → Block; bypass removed after its warning; a scheduled switch applies', async () => {
    const registered = await vigil.api('POST', '/v1/clusters', { name: 'demo' });
    expect(registered.status).toBe(201);
    const webhook = `${registered.body.webhookUrl}?timeout=10s`;

    const page = await browser.newPage();
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // 1. An audit-mode exec policy, created from a blank form.
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('exec-guard');
    await page.getByLabel('Enable Block Container Exec').check();
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Saved (version 1).').waitFor();

    // 2. The exec is let through and becomes a Detect row.
    await eventually(async () => {
      const answer = await vigil.post(webhook, execSh());
      expect(answer.body.response).toMatchObject({ allowed: true, auditAnnotations: { status: 'Detect', policy: 'exec-guard' } });
    });
    const detect = await newestAuditRow(page, 'Detect');
    expect(detect.slice(1, 8)).toEqual([
      'Detect',
      'exec-guard',
      'Block Container Exec',
      'exec',
      'demo/default/test-nginx (nginx)',
      'kubernetes-admin',
      'sh',
    ]);
    await page
      .getByRole('button', { name: /detail of event/ })
      .first()
      .click();
    expect(await page.locator('pre.detail').textContent()).toContain('"enforcementMode": "audit"');
    await expectAccessible(page, 'the audit log with an event open');

    // 3. The group leaves audit only, the policy enforces: the same exec is refused and becomes Block.
    await show(page, 'Enforcer groups');
    const group = page.locator('form.group', { has: page.getByRole('heading', { name: /^default-ke/ }) });
    // The group starts audit only (its list loads first).
    await group.getByText('audit only', { exact: true }).waitFor();
    await group.getByLabel(/^Audit only/).uncheck();
    await group.getByRole('button', { name: 'Save default-ke' }).click();
    await page
      .locator('form.group', { has: page.getByRole('heading', { name: /^default-ke/ }) })
      .getByText('enforcing', { exact: true })
      .waitFor();
    expect((await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body.enforce).toBe(true);
    await expectAccessible(page, 'the enforcer groups');

    await show(page, 'Runtime policies');
    await page.getByRole('link', { name: 'exec-guard' }).click();
    // Readiness, next to the scheduled switch: the one Detect event sent so far is what enforce would block.
    await page.getByText(/^Over the last 7 days/).waitFor();
    expect(await page.locator('#readiness-summary').textContent()).toBe('Over the last 7 days, enforce would have blocked 1 events.');
    expect(await page.getByRole('table', { name: 'Would-be blocks by command', exact: true }).getByRole('cell').allTextContents()).toEqual([
      'sh',
      '1',
    ]);
    expect(await page.getByRole('table', { name: 'Would-be blocks by workload', exact: true }).getByRole('cell').allTextContents()).toEqual(
      ['demo/default/test-nginx', '1'],
    );
    await expectAccessible(page, 'the policy editor with its readiness');
    await page.getByLabel('Enforce (Block)').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved (version 2).').waitFor();
    const refused = await eventually(async () => {
      const answer = await vigil.post(webhook, execSh());
      expect(answer.body.response.allowed).toBe(false);
      return answer;
    });
    expect(refused.body.response.status.message).toContain('blocked by policy "exec-guard"');
    expect((await newestAuditRow(page, 'Block')).slice(1, 3)).toEqual(['Block', 'exec-guard']);

    // 4. The kube-system bypass goes only after its warning; then exec into kube-system is refused too.
    await show(page, 'Settings');
    for (const entry of ['kubernetes.namespace = kube-system', 'container.label "io.kubernetes.pod.namespace" = kube-system']) {
      await page.getByRole('button', { name: `Remove ${entry}` }).click();
      const warning = page.getByRole('alert');
      expect(await warning.textContent()).toContain('This entry keeps kube-system out of your policies.');
      await expectAccessible(page, 'the bypass warning');
      await warning.getByRole('button', { name: 'Remove it anyway' }).click();
    }
    expect(await page.getByText('No bypass entries').isVisible()).toBe(true);
    expect((await vigil.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toHaveLength(2);
    await page.getByRole('button', { name: 'Save bypass' }).click();
    await page.getByText(/^Saved \(version \d+\)\.$/).waitFor();
    expect((await vigil.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toEqual([]);
    await eventually(async () => {
      const answer = await vigil.post(webhook, execKubeProxy());
      expect(answer.body.response.allowed).toBe(false);
    });

    // 5. A switch back to audit, scheduled in a day, applies when its time comes.
    await show(page, 'Runtime policies');
    await page.getByRole('link', { name: 'exec-guard' }).click();
    await page.getByLabel('Change').selectOption('schedule');
    await page.getByLabel('Switch to').selectOption('audit');
    await page.getByLabel('Days from now').fill('1');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved (version 3).').waitFor();
    schedulerNow += 2 * DAY_MS;
    expect(await vigil.runDueModeChanges()).toBe(1);
    await show(page, 'Runtime policies');
    const row = page.getByRole('row', { name: /exec-guard/ });
    await row.waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual(['container', 'audit', 'Global', 'yes', '—']);
    // A walkthrough of many steps in a browser on a shared machine: a generous bound, never a speed check.
  }, 180_000);
});
