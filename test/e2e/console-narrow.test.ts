import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The console on a phone-sized window (390×844): the sign-in page, every section of the navigation, the
// editors (with the readiness panel), an opened activity diff and the notice of an ended session keep their
// navigation reachable and nothing wider than the window; wide tables scroll inside their own region instead
// of pushing the page sideways.

const vigil = useLocalMode();
const browser = useBrowser();

// Evaluated in the page (as text: the tests' own type library has no DOM).
const PAGE_WIDTH = '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })';

const VIEWS: Array<[string, string]> = [
  ['Runtime policies', 'Runtime policies'],
  ['Application scopes', 'Application scopes'],
  ['Audit log', 'Audit log'],
  ['Enforcer groups', 'Enforcer groups'],
  ['Clusters', 'Clusters'],
  ['Activity', 'Activity'],
  ['Settings', 'Settings → Enforcer'],
  ['Import and export', 'Import and export'],
];

/** Views reached by their address rather than the navigation: the editors, new and existing. */
const EDITORS: Array<[string, string]> = [
  ['#/policies/new', 'New runtime policy'],
  ['#/policies/edit/narrow-policy', 'Policy narrow-policy'],
  ['#/scopes/new', 'New application scope'],
  ['#/scopes/edit/narrow-scope', 'Application scope narrow-scope'],
];

/** The page is no wider than the window, the navigation is visible, and axe finds nothing. */
async function expectNarrow(page: Page, what: string): Promise<void> {
  const width = await page.evaluate<{ scroll: number; client: number }>(PAGE_WIDTH);
  expect(width.scroll, `${what}: the page is no wider than the window`).toBeLessThanOrEqual(width.client);
  await expectAccessible(page, `${what} at 390×844`);
}

describe('the console at 390×844', () => {
  it('shows the sign-in page, each view and editor, and an ended session without sideways scrolling, and passes axe', async () => {
    expect((await vigil.api('POST', '/v1/clusters', { name: 'narrow-cluster', nodeAgent: true })).status).toBe(201);
    expect(
      (
        await vigil.api('POST', '/v1/policies', {
          name: 'narrow-policy',
          type: 'container',
          scope: { applicationScopes: ['Global'] },
          controls: { blockContainerExec: { enabled: true } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await vigil.api('POST', '/v1/application-scopes', {
          name: 'narrow-scope',
          description: 'A scope with a formula over two variables',
          expression: 'v1 && !v2',
          variables: [
            { attribute: 'kubernetes.namespace', value: 'payments' },
            { attribute: 'kubernetes.label', name: 'app.kubernetes.io/name', value: 'ledger' },
          ],
        })
      ).status,
    ).toBe(201);

    const page = await browser.newPage({ width: 390, height: 844 });
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').waitFor();
    await expectNarrow(page, 'the sign-in page');
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Runtime policies' }).waitFor();
    for (const [link, heading] of VIEWS) {
      const navigationLink = page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link });
      expect(await navigationLink.isVisible(), `${link} in the navigation`).toBe(true);
      await navigationLink.click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByText('Loading…').waitFor({ state: 'detached' });
      await expectNarrow(page, heading);
    }

    // An activity entry opened: its before/after table is the widest the console draws.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Activity' }).click();
    await page
      .getByRole('row', { name: /create policy\/narrow-policy/ })
      .getByRole('button', { name: /^Show/ })
      .click();
    await page.getByRole('table', { name: /^Changes to policy\/narrow-policy/ }).waitFor();
    await expectNarrow(page, 'an opened activity diff');

    for (const [address, heading] of EDITORS) {
      await page.goto(`${vigil.url}/${address}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByText('Loading…').waitFor({ state: 'detached' });
      await expectNarrow(page, heading);
    }
    // The policy editor of a stored policy shows its readiness next to the scheduled switch.
    await page.goto(`${vigil.url}/#/policies/edit/narrow-policy`);
    await page.locator('#readiness-summary').waitFor();
    await expectNarrow(page, 'the policy editor with its readiness');

    // The session's notice, with its token field, when the API refuses the tab's admin token.
    await page.evaluate("sessionStorage.setItem('vigil.adminToken', 'a-token-local-mode-no-longer-accepts')");
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Enforcer groups' }).click();
    await page.getByLabel('Current admin token').waitFor();
    await expectNarrow(page, 'the notice of an ended session');
    // Many views, each checked by axe: more than the default time on a loaded machine (not a timed assertion).
  }, 120_000);
});
