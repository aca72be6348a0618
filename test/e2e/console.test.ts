import { describe, expect, it } from 'vitest';
import { expectAccessible, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The web console in headless Chromium against local mode: the page and its assets come from the same port
// as the API, with a strict Content-Security-Policy, and every view calls the admin API with the session's token.

// Evaluated in the page (as text: the tests' own type library has no DOM).
const SESSION_STORAGE = '({ ...sessionStorage })';
const BROWSER_STORAGE = '({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })';

const vigil = useLocalMode();
const browser = useBrowser();

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
});
