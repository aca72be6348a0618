import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

// Headless Chromium from the Debian package (.ci/run installs it), driven by playwright-core: the console
// end-to-end tests run against local mode in a real browser, with its real Content-Security-Policy.

export const CHROMIUM_PATH = '/usr/bin/chromium';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface RunningBrowser {
  /** A new page in a fresh context (its own sessionStorage), 1280×800 unless told otherwise. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

/** One headless Chromium for the file's tests; each page gets its own context, closed with the browser. */
export function useBrowser(): RunningBrowser {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // The sandbox needs user namespaces, which containers running as root usually lack.
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async newPage(viewport = { width: 1280, height: 800 }) {
      if (!browser) throw new Error('useBrowser(): only inside tests and hooks');
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      // A script error in the console would otherwise only show as a missing element.
      page.on('pageerror', (error) => {
        throw error;
      });
      return page;
    },
  };
}

/**
 * Checks the page with axe-core (WCAG 2.1 A and AA rules) and fails on any violation, naming each with its
 * elements. axe is evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
export async function expectAccessible(page: Page, context: string): Promise<void> {
  await page.evaluate(axeSource);
  // Evaluated in the page as text: the tests' own type library has no DOM.
  const { violations, passes } = await page.evaluate<{ violations: string[]; passes: number }>(`(async () => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return {
      violations: result.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => JSON.stringify(n.target)).join(', ') + ')'),
      passes: result.passes.length,
    };
  })()`);
  expect(violations, `accessibility of ${context}`).toEqual([]);
  // Rules that passed prove axe looked at the page rather than at nothing.
  expect(passes, `axe checked ${context}`).toBeGreaterThan(0);
}

/**
 * A new page signed in to local mode's console with its admin token, once the first view (runtime policies)
 * shows: the start every console test shares except the sign-in tests themselves.
 */
export async function signedInConsole(
  browser: RunningBrowser,
  local: { readonly url: string; readonly adminToken: string },
): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(local.url);
  await page.getByLabel('Admin token').fill(local.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runtime policies' }).waitFor();
  return page;
}
