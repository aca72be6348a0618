import { describe, expect, it } from 'vitest';
import { expectAccessible, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The console on a phone-sized window (390×844): every main view keeps its navigation reachable and nothing
// wider than the window; wide tables scroll inside their own region instead of pushing the page sideways.

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
  ['Settings', 'Settings → Enforcer'],
];

describe('the console at 390×844', () => {
  it('shows each main view without sideways scrolling, with its navigation visible, and passes axe', async () => {
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

    const page = await browser.newPage({ width: 390, height: 844 });
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Runtime policies' }).waitFor();
    for (const [link, heading] of VIEWS) {
      const navigationLink = page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link });
      expect(await navigationLink.isVisible(), `${link} in the navigation`).toBe(true);
      await navigationLink.click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByText('Loading…').waitFor({ state: 'detached' });
      const width = await page.evaluate<{ scroll: number; client: number }>(PAGE_WIDTH);
      expect(width.scroll, `${heading}: the page is no wider than the window`).toBeLessThanOrEqual(width.client);
      await expectAccessible(page, `${heading} at 390×844`);
    }
  });
});
