import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The activity trail in headless Chromium against local mode: the API's pages, and for an entry the fields
// its change added, removed and changed, from the before and after images the API stores.

const vigil = useLocalMode();
const browser = useBrowser();

async function activityPage(): Promise<Page> {
  const page = await signedInConsole(browser, vigil);
  await page.getByRole('link', { name: 'Activity' }).click();
  await page.getByRole('heading', { name: 'Activity' }).waitFor();
  return page;
}

/** The rows of the diff table as [field, change, before, after]. */
async function diffRows(page: Page): Promise<string[][]> {
  const rows = page.getByRole('table', { name: /^Changes to / }).locator('tbody tr');
  return Promise.all((await rows.all()).map(async (row) => row.locator('th, td').allTextContents()));
}

describe('the activity view of the console', () => {
  it('shows an update of a policy as the fields it changed, with their paths, before and after', async () => {
    const created = await vigil.api('POST', '/v1/policies', {
      name: 'trail-guard',
      type: 'container',
      description: 'first words',
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true }, forkGuard: { enabled: false, processLimit: 100 } },
    });
    expect(created.status).toBe(201);
    const patched = await vigil.api(
      'PATCH',
      '/v1/policies/trail-guard',
      {
        description: null,
        enforcementMode: 'enforce',
        controls: { forkGuard: { enabled: true, processLimit: 300 }, blockContainerExec: { allowedProcesses: ['/usr/bin/date'] } },
      },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(patched.status).toBe(200);

    const page = await activityPage();
    const update = page.getByRole('row', { name: /update policy\/trail-guard/ });
    await update.waitFor();
    await update.getByRole('button', { name: /^Show/ }).click();
    await page.getByRole('table', { name: /^Changes to policy\/trail-guard/ }).waitFor();
    const rows = await diffRows(page);
    expect(rows).toContainEqual(['description', 'removed', '"first words"', '—']);
    expect(rows).toContainEqual(['enforcementMode', 'changed', '"audit"', '"enforce"']);
    expect(rows).toContainEqual(['controls.forkGuard.enabled', 'changed', 'false', 'true']);
    expect(rows).toContainEqual(['controls.blockContainerExec.allowedProcesses', 'changed', '[]', '["/usr/bin/date"]']);
    expect(rows).toContainEqual(['controls.forkGuard.processLimit', 'changed', '100', '300']);
    expect(rows).toContainEqual(['version', 'changed', '1', '2']);
    // Unchanged fields are not listed.
    expect(rows.map(([field]) => field)).not.toContain('controls.blockContainerExec.enabled');
    await expectAccessible(page, 'the activity trail with a diff open');

    // The create has no before-image: every field is added.
    const create = page.getByRole('row', { name: /create policy\/trail-guard/ });
    await create.getByRole('button', { name: /^Show/ }).click();
    // One entry is open at a time: the update's diff closes and the create's opens.
    await create.getByRole('button', { name: /^Hide/ }).waitFor();
    const createRows = await page
      .getByRole('table', { name: /^Changes to policy\/trail-guard/ })
      .locator('tbody tr td:nth-child(2)')
      .allTextContents();
    expect(createRows.length).toBeGreaterThan(5);
    expect(new Set(createRows)).toEqual(new Set(['added']));
  });

  it("pages with the API's cursors and filters by time, holding one page in the page", async () => {
    const scopes = Array.from({ length: 60 }, (_, i) => ({
      name: `trail-scope-${String(i).padStart(2, '0')}`,
      expression: 'v1',
      variables: [{ attribute: 'kubernetes.namespace', value: `ns-${i}` }],
    }));
    const imported = await vigil.api('POST', '/v1/import', { formatVersion: 1, applicationScopes: scopes });
    expect(imported.status).toBe(200);

    const page = await activityPage();
    const rows = page.getByRole('region', { name: 'Activity table' }).locator('tbody > tr');
    await page.getByRole('navigation', { name: 'Activity pages' }).waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    // The rest of the trail as the API holds it (local mode's own first entries, the first test's, the import's).
    const trail = await vigil.api('GET', '/v1/activity?limit=500');
    expect(trail.body.items.length).toBeGreaterThan(62);
    await expect.poll(() => rows.count()).toBe(trail.body.items.length - 50);
    expect(await page.getByRole('row', { name: /create policy\/trail-guard/ }).count()).toBe(1);

    // The time filter goes to the API: from tomorrow on (in the browser's time zone) nothing has changed yet.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    await page.getByLabel('From').fill(tomorrow);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No configuration changes match.').waitFor();
    expect(await rows.count()).toBe(0);
    await page.getByLabel('From').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.getByText('Page 1').isVisible()).toBe(true);
    await expectAccessible(page, 'the activity trail, second page and filtered');
  });
});
