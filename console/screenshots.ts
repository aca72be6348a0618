// `npm run console:screenshots`: starts local mode on a free data dir, seeds it through the API (a cluster, a
// policy from a template and a change to it, an application scope, execs sent to the webhook as the EKS API server
// would), and writes a screenshot of each console view to docs/images/ (with the import's dry run shown, the audit
// chart alone, and the policies at 390×844) with Debian's Chromium (the one the end-to-end tests use).

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT = process.env.PORT ?? '18790';
const URL_BASE = `http://127.0.0.1:${PORT}`;
const TOKEN = 'screenshots-admin-token-0123456789';

/** The file the import view's screenshot dry-runs: one new policy, and the baseline policy changed. */
const IMPORT_EXAMPLE = [
  '- kind: policy',
  '  name: payments-exec',
  '  type: container',
  '  scope: { applicationScopes: [payments] }',
  '  controls: { blockContainerExec: { enabled: true } }',
  '- kind: policy',
  '  name: exec-guard',
  '  type: container',
  '  enforcementMode: audit',
  '  scope: { applicationScopes: [Global] }',
  '  controls: { blockContainerExec: { enabled: true }, forkGuard: { enabled: true } }',
  '',
].join('\n');

const dataDir = await mkdtemp(join(tmpdir(), 'vigil-screenshots-'));
// Node itself (not npx) runs local mode, so that the SIGTERM at the end reaches it and it stops DynamoDB Local.
const server = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
  cwd: ROOT,
  env: { ...process.env, PORT, VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_TOKEN: TOKEN },
  stdio: 'ignore',
});
const api = async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> => {
  const response = await fetch(`${URL_BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
};
try {
  for (;;) {
    const ready = await fetch(`${URL_BASE}/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { webhookUrl } = (await api('POST', '/v1/clusters', { name: 'demo' })) as { webhookUrl: string };
  await api('POST', '/v1/policies', { name: 'baseline', template: 'default' });
  await api('POST', '/v1/application-scopes', {
    name: 'payments',
    description: 'The payments services in production',
    expression: 'v1 && v2',
    variables: [
      { attribute: 'kubernetes.namespace', value: 'payments' },
      { attribute: 'kubernetes.label', name: 'env', value: 'prod' },
    ],
  });
  await api('POST', '/v1/policies', {
    name: 'exec-guard',
    type: 'container',
    enforcementMode: 'audit',
    scope: { applicationScopes: ['Global'] },
    controls: { blockContainerExec: { enabled: true } },
    enforcementModeChange: { to: 'enforce', afterDays: 3 },
  });
  // A change with a before and an after, for the activity view's diff.
  await api(
    'PATCH',
    '/v1/policies/baseline',
    { description: 'The default controls, reviewed by the platform team' },
    'application/merge-patch+json',
  );
  const review = JSON.parse(await readFile(join(ROOT, 'test/fixtures/admission/exec-guard/denied/exec-sh.json'), 'utf8')) as {
    request: { uid: string };
  };
  let recorded = 0;
  while (recorded < 3) {
    review.request.uid = crypto.randomUUID();
    const sent = await fetch(webhookUrl, { method: 'POST', body: JSON.stringify(review), headers: { 'content-type': 'application/json' } });
    const answer = (await sent.json()) as { response?: { auditAnnotations?: unknown } };
    // Until the webhook has read the new policies, it has nothing to record.
    if (answer.response?.auditAnnotations) recorded += 1;
    else await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shoot = (name: string) => page.screenshot({ path: join(ROOT, 'docs/images', `console-${name}.png`), fullPage: false });
  await page.goto(URL_BASE);
  await shoot('sign-in');
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('row', { name: /exec-guard/ }).waitFor();
  await shoot('policies');
  await page.getByRole('link', { name: 'exec-guard' }).click();
  await page.locator('#readiness-summary').waitFor();
  await page.locator('#readiness-title').scrollIntoViewIfNeeded();
  await shoot('policy-readiness');
  await page.goto(`${URL_BASE}/#/audit`);
  await page.getByRole('region', { name: 'Audit events table' }).waitFor();
  await shoot('audit-log');
  await page.locator('.chart-legend').waitFor();
  await page.locator('.audit-chart').screenshot({ path: join(ROOT, 'docs/images', 'console-audit-chart.png') });
  await page.goto(`${URL_BASE}/#/groups`);
  await page.getByText('audit only', { exact: true }).first().waitFor();
  await shoot('enforcer-groups');
  await page.goto(`${URL_BASE}/#/clusters`);
  await page.getByLabel('Cluster name').fill('prod-eu');
  await page.getByLabel('Also issue the node agents').check();
  await page.getByRole('button', { name: 'Register cluster' }).click();
  await page.getByText('You will not see this again.').waitFor();
  await shoot('clusters-registered');
  await page.goto(`${URL_BASE}/#/scopes/edit/payments`);
  await page.getByRole('heading', { name: 'Application scope payments' }).waitFor();
  await page.getByLabel('Formula').fill('v1 && (v2 ||');
  await page.locator('[aria-invalid="true"]').first().waitFor();
  await shoot('application-scope-editor');
  await page.goto(`${URL_BASE}/#/activity`);
  await page.getByRole('region', { name: 'Activity table' }).waitFor();
  await page
    .getByRole('button', { name: /^Show changes of .*baseline/ })
    .first()
    .click();
  await page.getByRole('button', { name: /^Hide/ }).waitFor();
  await shoot('activity-diff');
  await page.goto(`${URL_BASE}/#/transfer`);
  await page.getByRole('heading', { level: 1, name: 'Import and export' }).waitFor();
  await page.getByLabel('File to import').setInputFiles({
    name: 'payments-policies.yaml',
    mimeType: 'application/yaml',
    buffer: Buffer.from(IMPORT_EXAMPLE),
  });
  await page.getByRole('button', { name: 'Dry run' }).click();
  await page.getByRole('heading', { name: /^Dry run of payments-policies.yaml/ }).waitFor();
  await page.getByRole('button', { name: 'Apply import' }).scrollIntoViewIfNeeded();
  await shoot('import-dry-run');
  const narrow = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await narrow.goto(URL_BASE);
  await narrow.getByLabel('Admin token').fill(TOKEN);
  await narrow.getByRole('button', { name: 'Sign in' }).click();
  await narrow.getByRole('row', { name: /exec-guard/ }).waitFor();
  await narrow.screenshot({ path: join(ROOT, 'docs/images', 'console-narrow-policies.png'), fullPage: false });
  await page.goto(`${URL_BASE}/#/settings`);
  await page.getByRole('button', { name: 'Remove kubernetes.namespace = kube-system' }).click();
  await page.getByRole('alert').waitFor();
  await shoot('settings-bypass-warning');
  await browser.close();
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
