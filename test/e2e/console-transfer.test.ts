import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { commercialDocumentsDir } from '../fixtures/commercial/expectations.js';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The import and export view in headless Chromium against local mode: the export downloads the document the API's
// export pages make together (starting over when the API answers 410), and the import takes what `vigil import`
// takes, dry run first, in parts above one request, refusing bad files with nothing written.

const vigil = useLocalMode();
const browser = useBrowser();

const scratch = mkdtemp(join(tmpdir(), 'vigil-console-import-'));
afterAll(async () => rm(await scratch, { recursive: true, force: true }));

// Evaluated in the page (as text: the tests' own type library has no DOM).
const PAGE_WIDTH = '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })';

async function openTransferView(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Import and export' }).click();
  await page.getByRole('heading', { level: 1, name: 'Import and export' }).waitFor();
}

/** Chooses a file for the import, as a user picking it in the file dialog. */
async function chooseFile(page: Page, name: string, text: string, mimeType = 'application/json'): Promise<void> {
  await page.getByLabel('File to import').setInputFiles({ name, mimeType, buffer: Buffer.from(text) });
}

/** The configuration's revision: every write bumps it, so an unchanged revision means nothing was written. */
async function revision(): Promise<string> {
  const exported = await vigil.api('GET', '/v1/export');
  expect(exported.status).toBe(200);
  return exported.headers.get('x-vigil-revision')!;
}

/** The columns of the dry run's or result's table: no import deletes, so there is no column of deletions. */
async function countsColumns(page: Page): Promise<string[]> {
  return page.getByRole('table').first().getByRole('columnheader').allTextContents();
}

/** The row of the dry run's or result's table for one kind, as its cells' text. */
async function countsRow(page: Page, kind: string): Promise<string[]> {
  return page
    .getByRole('row', { name: new RegExp(`^${kind}`) })
    .getByRole('cell')
    .allTextContents();
}

/** The whole export, its pages joined, read through the API. */
async function exportThroughApi(): Promise<{ policies: Array<{ name: string }> }> {
  const first = await vigil.api('GET', '/v1/export');
  const policies = [...first.body.policies];
  for (let cursor = first.body.nextCursor; cursor !== undefined;) {
    const page = await vigil.api('GET', `/v1/export?cursor=${encodeURIComponent(cursor)}`);
    expect(page.status).toBe(200);
    policies.push(...page.body.policies);
    cursor = page.body.nextCursor;
  }
  return { policies };
}

/** Policies of about 6 KB each (40 long allowed processes), as a large real configuration has. */
function largePolicies(prefix: string, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i).padStart(4, '0')}`,
    type: 'container',
    controls: {
      blockContainerExec: { enabled: true, allowedProcesses: Array.from({ length: 40 }, (_, j) => `/opt/${i}/${j}/${'m'.repeat(120)}`) },
    },
  }));
}

describe('the export of the console', () => {
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

    const page = await signedInConsole(browser, vigil);
    await openTransferView(page);
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

  it('starts over when a page answers 410 because the configuration changed during the export', { timeout: 90_000 }, async () => {
    // More than one page (a page holds at most 1 MiB of items).
    const imported = await vigil.api('POST', '/v1/import', { formatVersion: 1, policies: largePolicies('paged', 300) });
    expect(imported.status).toBe(200);
    expect((await vigil.api('GET', '/v1/export')).body.nextCursor).toBeDefined();

    const page = await signedInConsole(browser, vigil);
    await openTransferView(page);
    const exportRequests: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname === '/v1/export')
        exportRequests.push(`${url.searchParams.has('cursor') ? 'next page' : 'first page'} ${response.status()}`);
    });
    // The first request for a second page waits until a real write has moved the configuration on: local mode then
    // answers that page 410 by itself (the request goes on unchanged).
    let wrote = false;
    await page.route(
      (url) => url.pathname === '/v1/export' && url.searchParams.has('cursor'),
      async (route) => {
        if (!wrote) {
          wrote = true;
          const moved = await vigil.api('POST', '/v1/policies', { name: 'paged-written-meanwhile', type: 'container' });
          expect(moved.status).toBe(201);
        }
        await route.continue();
      },
    );

    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export configuration' }).click()]);
    const exported = JSON.parse(await readFile(await file.path(), 'utf8'));
    expect(exportRequests.slice(0, 4)).toEqual(['first page 200', 'next page 410', 'first page 200', 'next page 200']);
    expect(exported).not.toHaveProperty('nextCursor');
    // The document is the configuration after the write, whole: the restart read every page again.
    expect(exported.policies.map((p: { name: string }) => p.name)).toEqual((await exportThroughApi()).policies.map((p) => p.name));
    expect(exported.policies.map((p: { name: string }) => p.name)).toContain('paged-written-meanwhile');
    await page.getByRole('status').filter({ hasText: 'Exported' }).waitFor();
  });
});

describe('the import of the console', () => {
  it('dry-runs a YAML file first, shows what would change by kind, and writes only once applied', { timeout: 60_000 }, async () => {
    const existing = await vigil.api('POST', '/v1/policies', { name: 'imp-existing', type: 'container', description: 'before' });
    expect(existing.status).toBe(201);
    const yaml = [
      '- kind: applicationScope',
      '  name: imp-scope',
      '  expression: v1',
      '  variables: [{ attribute: kubernetes.namespace, value: payments }]',
      '- kind: policy',
      '  name: imp-new',
      '  type: container',
      '  scope: { applicationScopes: [imp-scope] }',
      '  controls: { blockContainerExec: { enabled: true } }',
      '- kind: policy',
      '  name: imp-existing',
      '  type: container',
      '  description: after',
      '',
    ].join('\n');
    const before = await revision();

    const page = await signedInConsole(browser, vigil);
    await openTransferView(page);
    await chooseFile(page, 'console-import.yaml', yaml, 'application/yaml');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run of console-import.yaml: nothing was written' }).waitFor();
    expect(await countsColumns(page)).toEqual(['Kind', 'Created', 'Updated (replaced)', 'Unchanged']);
    expect(await countsRow(page, 'Runtime policies')).toEqual(['1', '1', '0']);
    expect(await countsRow(page, 'Application scopes')).toEqual(['1', '0', '0']);
    expect(await page.locator('#import-consequence').textContent()).toContain(
      "Applying creates 2 items and replaces 1 item with the file's version, all at once or not at all; 0 items stay as they are.",
    );
    await expectAccessible(page, 'the dry run of an import');
    expect(await revision()).toBe(before);
    expect((await vigil.api('GET', '/v1/policies/imp-new')).status).toBe(404);

    // Create mode refuses to replace the policy that differs: the dry run names it, and nothing can be applied.
    await page.getByLabel('Create only (create)').check();
    expect(await page.getByRole('button', { name: 'Apply import' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Dry run' }).click();
    const refused = page.getByRole('alert');
    await refused.getByText('Nothing was written.').waitFor();
    expect(await refused.getByRole('list', { name: 'Problems in the file' }).textContent()).toContain(
      'policy "imp-existing" already exists and differs',
    );
    expect(await revision()).toBe(before);

    // The file is still chosen: back to upsert, a new dry run, then the explicit confirmation applies it.
    await page.getByLabel('Create or replace (upsert)').check();
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: /^Dry run of console-import.yaml/ }).waitFor();
    await page.getByRole('button', { name: 'Apply import' }).click();
    await page.getByRole('heading', { name: 'Imported: 2 created, 1 updated, 0 unchanged' }).waitFor();
    expect(await countsRow(page, 'Runtime policies')).toEqual(['1', '1', '0']);
    expect((await vigil.api('GET', '/v1/policies/imp-new')).body.scope).toMatchObject({ applicationScopes: ['imp-scope'] });
    expect((await vigil.api('GET', '/v1/policies/imp-existing')).body.description).toBe('after');
    expect((await vigil.api('GET', '/v1/application-scopes/imp-scope')).status).toBe(200);
    expect(await revision()).not.toBe(before);
  });

  it(
    "imports the commercial product's JSON and an export with a new group, showing the group's token once",
    { timeout: 60_000 },
    async () => {
      const page = await signedInConsole(browser, vigil);
      await openTransferView(page);
      const exported = { formatVersion: 1, enforcerGroups: [{ name: 'imp-group', type: 'agent' }] };
      await chooseFile(page, 'vigil-export.json', JSON.stringify(exported));
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('heading', { name: 'Dry run of vigil-export.json: nothing was written' }).waitFor();
      expect(await countsRow(page, 'Enforcer groups')).toEqual(['1', '0', '0']);
      await page.getByRole('button', { name: 'Apply import' }).click();
      await page.getByRole('heading', { name: 'Imported: 1 created, 0 updated, 0 unchanged' }).waitFor();
      const token = (await page.locator('code.secret').textContent())!;
      expect(token.length).toBeGreaterThan(20);
      // The token shown is the group's: the enforcer API registers an enforcer with it.
      const registered = await vigil.api(
        'POST',
        '/v1/enforcers/register',
        { name: 'imp-node', type: 'agent' },
        { authorization: `Bearer ${token}` },
      );
      expect(registered.status).toBe(200);
      expect(registered.body.group).toBe('imp-group');

      const commercial = JSON.parse(await readFile(join(commercialDocumentsDir, '41-console-list-one-bad-name.json'), 'utf8'));
      const good = { ...commercial, result: commercial.result.filter((p: { name: string }) => /^[a-z0-9-]+$/.test(p.name)).slice(0, 3) };
      await chooseFile(page, 'commercial.json', JSON.stringify(good));
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('heading', { name: 'Dry run of commercial.json: nothing was written' }).waitFor();
      expect(await countsRow(page, 'Runtime policies')).toEqual(['3', '0', '0']);
    },
  );

  it(
    'imports a file larger than one request in parts, as the CLI does; a bad item in a later part leaves nothing',
    { timeout: 180_000 },
    async () => {
      const policies = largePolicies('ui-multi', 1100);
      const broken = policies.map((policy, i) => (i === 1000 ? { ...policy, enabled: 'yes' } : policy));
      const badText = JSON.stringify({ formatVersion: 1, policies: broken });
      expect(Buffer.byteLength(badText)).toBeGreaterThan(5 * 1024 * 1024);
      const before = await revision();

      const page = await signedInConsole(browser, vigil);
      await openTransferView(page);
      const importRequests: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.pathname.startsWith('/v1/import'))
          importRequests.push(`${request.method()} ${url.pathname.replace(/imports\/[^/]+/, 'imports/{id}')}`);
      });

      // The bad item is in the third part: the first parts are stored, that one is refused on arrival, the upload is
      // aborted, and the problem is named at its place in the file.
      await chooseFile(page, 'large-bad.json', badText);
      await page.getByText(/large-bad\.json: \d+\.\d MiB, sent in 3 parts\./).waitFor();
      await page.getByRole('button', { name: 'Dry run' }).click();
      const refused = page.getByRole('alert');
      await refused.getByText('Nothing was written.').waitFor();
      expect(await refused.textContent()).toContain('(the file was sent in 3 parts)');
      expect(await refused.getByRole('list', { name: 'Problems in the file' }).textContent()).toContain('policies.1000.enabled');
      expect(importRequests).toEqual([
        'POST /v1/imports',
        'PUT /v1/imports/{id}/parts/1',
        'PUT /v1/imports/{id}/parts/2',
        'PUT /v1/imports/{id}/parts/3',
        'DELETE /v1/imports/{id}',
      ]);
      expect(await revision()).toBe(before);

      importRequests.length = 0;
      await chooseFile(page, 'large.json', JSON.stringify({ formatVersion: 1, policies }));
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('heading', { name: 'Dry run of large.json: nothing was written' }).waitFor({ timeout: 120_000 });
      expect(await countsRow(page, 'Runtime policies')).toEqual(['1100', '0', '0']);
      expect((await vigil.api('GET', '/v1/policies/ui-multi-0000')).status).toBe(404);
      await page.getByRole('button', { name: 'Apply import' }).click();
      await page.getByRole('heading', { name: 'Imported: 1100 created, 0 updated, 0 unchanged' }).waitFor({ timeout: 120_000 });
      const parts = ['PUT /v1/imports/{id}/parts/1', 'PUT /v1/imports/{id}/parts/2', 'PUT /v1/imports/{id}/parts/3'];
      // The dry run leaves no upload behind; the real import uploads again and commits once.
      expect(importRequests).toEqual([
        'POST /v1/imports',
        ...parts,
        'POST /v1/imports/{id}/commit',
        'DELETE /v1/imports/{id}',
        'POST /v1/imports',
        ...parts,
        'POST /v1/imports/{id}/commit',
      ]);
      const stored = await vigil.api('GET', '/v1/policies/ui-multi-1099');
      expect(stored.status).toBe(200);
      expect(stored.body.controls.blockContainerExec.allowedProcesses).toEqual(
        (policies[1099]!.controls as { blockContainerExec: { allowedProcesses: string[] } }).blockContainerExec.allowedProcesses,
      );
      expect((await exportThroughApi()).policies.filter((p) => p.name.startsWith('ui-multi-'))).toHaveLength(1100);
    },
  );

  it('refuses bad files with a clear message, writes nothing, and takes another file without reloading', { timeout: 90_000 }, async () => {
    const page = await signedInConsole(browser, vigil);
    await openTransferView(page);
    await page.evaluate('window.notReloaded = true');
    const before = await revision();
    const review = await readFile(new URL('../fixtures/admission/exec-guard/denied/exec-sh.json', import.meta.url), 'utf8');

    const refusals: Array<[string, () => Promise<void>, string]> = [
      ['not JSON', () => chooseFile(page, 'broken.json', '{"formatVersion": 1, "policies": ['), 'not valid JSON'],
      ['not YAML', () => chooseFile(page, 'broken.yaml', 'policies: [\n  - name: x\n', 'application/yaml'), 'not valid YAML'],
      ['empty', () => chooseFile(page, 'empty.json', ''), 'empty.json is empty'],
      ['a wrong shape', () => chooseFile(page, 'shape.json', '{"formatVersion": 1, "policies": {}}'), 'must be a list'],
      [
        'another kind of document',
        () => chooseFile(page, 'review.json', review),
        '"kind" must be policy, applicationScope, settings or EnforcerGroup',
      ],
    ];
    for (const [what, choose, message] of refusals) {
      await choose();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent(), what).toContain(message);
      expect(await page.getByRole('button', { name: 'Dry run' }).isDisabled(), what).toBe(true);
      await expectAccessible(page, `an import refused as ${what}`);
    }

    // Larger than the API takes even in parts (32 × 5 MiB): refused by its size, without reading it. A sparse file
    // costs no disk.
    const huge = join(await scratch, 'huge.json');
    const handle = await open(huge, 'w');
    await handle.truncate(161 * 1024 * 1024);
    await handle.close();
    await page.getByLabel('File to import').setInputFiles(huge);
    expect(await page.getByRole('alert').textContent()).toContain(
      'huge.json is 161.0 MiB: the API imports at most 160.0 MiB (32 parts of 5.0 MiB)',
    );

    // Refused by the server: the path of the bad field, nothing written.
    await chooseFile(
      page,
      'invalid.json',
      JSON.stringify({ formatVersion: 1, policies: [{ name: 'imp-invalid', type: 'container', enabled: 'yes' }] }),
    );
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('alert').getByText('policies.0.enabled').waitFor();
    expect(await revision()).toBe(before);

    // Another file, in the same page: the dry run works and no reload happened.
    await chooseFile(page, 'fine.json', JSON.stringify({ formatVersion: 1, policies: [{ name: 'imp-fine', type: 'container' }] }));
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run of fine.json: nothing was written' }).waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await revision()).toBe(before);
  });

  it('is usable at 390×844 with a dry run shown', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ width: 390, height: 844 });
    await page.goto(vigil.url);
    await page.getByLabel('Admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runtime policies' }).waitFor();
    await openTransferView(page);
    await chooseFile(page, 'narrow.json', JSON.stringify({ formatVersion: 1, policies: [{ name: 'imp-narrow', type: 'container' }] }));
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run of narrow.json: nothing was written' }).waitFor();
    const width = await page.evaluate<{ scroll: number; client: number }>(PAGE_WIDTH);
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    await expectAccessible(page, 'the dry run at 390×844');
  });
});
