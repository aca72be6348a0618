import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The web console in headless Chromium against local mode: the page and its assets come from the same port
// as the API, with a strict Content-Security-Policy, and every view calls the admin API with the session's token.

// Evaluated in the page (as text: the tests' own type library has no DOM).
const SESSION_STORAGE = '({ ...sessionStorage })';
const BROWSER_STORAGE = '({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })';

const vigil = useLocalMode();
const browser = useBrowser();

const signedInPage = (): Promise<Page> => signedInConsole(browser, vigil);

/** The message the console shows under a field, found through the field's aria-describedby. */
async function fieldError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  expect(await field.getAttribute('aria-invalid'), `${label} is marked invalid`).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, `${label} points at its error`).toHaveLength(1);
  return (await page.locator(`[id="${ids[0]}"]`).textContent())!;
}

describe('the web console', () => {
  it('is served at / with a strict Content-Security-Policy, next to the API', async () => {
    const page = await fetch(`${vigil.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script type="module" src="/assets/app.js"></script>');
    const script = await fetch(`${vigil.url}/assets/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // Paths that are neither the console nor a route still answer the API's 404.
    const unknown = await fetch(`${vigil.url}/assets/missing.js`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses a wrong admin token and keeps nothing of it', async () => {
    const page = await browser.newPage();
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The admin token was refused');
    expect(await page.evaluate(SESSION_STORAGE)).toEqual({});
    await expect(page.getByRole('heading', { name: 'Sign in to Vigil' }).isVisible()).resolves.toBe(true);
    await expectAccessible(page, 'the sign-in form with its error');
  });

  it('signs in with the admin token, kept only in sessionStorage, and lists the runtime policies', async () => {
    const created = await vigil.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'container',
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);

    const page = await browser.newPage();
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.getByRole('row', { name: /exec-guard/ });
    await row.waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual(['container', 'audit', 'Global', 'yes', '—']);
    expect(await page.evaluate(BROWSER_STORAGE)).toEqual({
      session: { 'vigil.adminToken': vigil.adminToken },
      local: {},
      cookie: '',
    });
    await expectAccessible(page, 'the runtime policies list');

    // Signing out forgets the token: a reload asks for it again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(SESSION_STORAGE)).toEqual({});
  });

  it('creates a policy from a template with its save-time warnings, shows errors at the field and schedules a switch', async () => {
    const page = await signedInPage();
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.getByLabel('Start from').selectOption({ label: 'Template: Default runtime policy' });
    await page.getByLabel('Name', { exact: true }).fill('from-template');
    await page.getByRole('button', { name: 'Create policy' }).click();
    const saved = page.getByRole('status').filter({ hasText: 'Saved' });
    await saved.waitFor();
    expect(await saved.textContent()).toContain('Saved (version 1).');
    // The default template limits container privileges, which applies only to new pods: the API warns.
    expect(await saved.textContent()).toContain('acts only on new workloads');

    const template = await vigil.api('GET', '/v1/policy-templates/default');
    const stored = await vigil.api('GET', '/v1/policies/from-template');
    expect(stored.body).toMatchObject({ type: 'container', enforcementMode: 'audit', version: 1 });
    expect(stored.body.controls).toEqual(template.body.policy.controls);

    // The formula is checked while it is typed, by the same parser as the API's.
    await page.getByLabel('Formula').fill('v1 && (');
    expect(await fieldError(page, 'Formula')).toContain('v1');
    await page.getByLabel('Formula').fill('');

    // What only the API can judge comes back at the field it names, and nothing is written.
    await page.getByLabel('Enable Fork Guard').check();
    await page.getByLabel('Process limit').fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('the policy is invalid');
    expect(await fieldError(page, 'Process limit')).toContain('expected number to be >=1');
    expect((await vigil.api('GET', '/v1/policies/from-template')).body.version).toBe(1);
    await expectAccessible(page, 'the policy editor with errors');

    await page.getByLabel('Process limit').fill('500');
    await page.getByLabel('Change').selectOption('schedule');
    await page.getByLabel('Switch to').selectOption('enforce');
    await page.getByLabel('Days from now').fill('3');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved (version 2).').waitFor();
    const after = (await vigil.api('GET', '/v1/policies/from-template')).body;
    expect(after.controls.forkGuard).toEqual({ enabled: true, processLimit: 500 });
    expect(after.enforcementModeChange).toMatchObject({ to: 'enforce', afterDays: 3, state: 'pending' });
    expect(await page.getByText(/^Pending: to enforce at /).isVisible()).toBe(true);

    await page.getByRole('link', { name: '← Runtime policies' }).click();
    const row = page.getByRole('row', { name: /from-template/ });
    await row.waitFor();
    expect((await row.getByRole('cell').allTextContents())[4]).toMatch(/^to enforce at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  });
});
