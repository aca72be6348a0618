import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { expectAccessible, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The import and export view in headless Chromium against local mode: the export downloads the document the
// API's export pages make together, as `vigil export` writes it.

const vigil = useLocalMode();
const browser = useBrowser();

describe('the import and export view of the console', () => {
  it("downloads the whole configuration as one Vigil document, the API's export joined", async () => {
    const created = await vigil.api('POST', '/v1/policies', {
      name: 'export-guard',
      type: 'container',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);
    const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'export-fns', type: 'nano_enforcer' });
    expect(group.status).toBe(201);

    const page = await browser.newPage();
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Import and export' }).click();
    await page.getByRole('heading', { level: 1, name: 'Import and export' }).waitFor();
    await expectAccessible(page, 'the import and export view');

    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export configuration' }).click()]);
    expect(file.suggestedFilename()).toBe('vigil-export.json');
    const exported = JSON.parse(await readFile(await file.path(), 'utf8'));
    const api = await vigil.api('GET', '/v1/export');
    expect(api.body.nextCursor).toBeUndefined();
    expect(exported).toEqual(api.body);
    expect(exported.policies.map((p: { name: string }) => p.name)).toContain('export-guard');
    expect(exported.enforcerGroups.map((g: { name: string }) => g.name)).toContain('export-fns');
    expect(JSON.stringify(exported)).not.toContain(group.body.token);
    await page.getByRole('status').filter({ hasText: 'Exported' }).waitFor();
    expect(await page.getByRole('status').textContent()).toMatch(/^Exported \d+ policies, \d+ application scopes and \d+ enforcer groups/);
  });
});
