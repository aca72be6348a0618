import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The application-scopes view in headless Chromium against local mode: the list pages with the API's cursors,
// the criteria are checked while typed by the core's parser, the API's problems come back at their field, and
// a scope a policy uses cannot be deleted.

const vigil = useLocalMode();
const browser = useBrowser();

async function signedInPage(): Promise<Page> {
  const page = await signedInConsole(browser, vigil);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Application scopes' }).click();
  await page.getByRole('heading', { level: 1, name: 'Application scopes' }).waitFor();
  return page;
}

/** The message the console shows under a field, found through the field's aria-describedby. */
async function fieldError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  expect(await field.getAttribute('aria-invalid'), `${label} is marked invalid`).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, `${label} points at its error`).toHaveLength(1);
  return (await page.locator(`[id="${ids[0]}"]`).textContent())!;
}

describe('the application scopes view', () => {
  it('creates a scope with live-checked criteria, shows the API’s problems at their field, and edits it', async () => {
    const page = await signedInPage();
    const global = page.getByRole('row', { name: /Global/ });
    await global.waitFor();
    expect(await global.getByRole('cell').allTextContents()).toEqual(['Built in: matches every workload.', 'every workload']);
    await expectAccessible(page, 'the application scopes list');

    await page.getByRole('link', { name: 'New application scope' }).click();
    await page.getByLabel('Name', { exact: true }).fill('payments/prod');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Attribute').selectOption('kubernetes.namespace');
    await page.getByLabel('Value').fill('payments');
    // The formula is judged while it is typed, by the core's parser, before anything is sent.
    await page.getByLabel('Formula').fill('v1 && v2');
    expect(await fieldError(page, 'Formula')).toContain('v2');
    await page.getByLabel('Formula').fill('v1');
    expect(await page.getByLabel('Formula').getAttribute('aria-invalid')).toBe('false');

    // What only the API judges comes back at the field it names, and nothing is written.
    await page.getByRole('button', { name: 'Create application scope' }).click();
    await page.getByRole('alert').waitFor();
    expect(await fieldError(page, 'Name')).toContain('may contain only letters, digits');
    expect((await vigil.api('GET', '/v1/application-scopes')).body.items.map((scope: { name: string }) => scope.name)).toEqual(['Global']);
    await expectAccessible(page, 'the application scope editor with an error');

    await page.getByLabel('Name', { exact: true }).fill('payments');
    await page.getByLabel('Description').fill('The payments namespace');
    await page.getByRole('button', { name: 'Create application scope' }).click();
    await page.getByText('Saved (version 1).').waitFor();
    expect((await vigil.api('GET', '/v1/application-scopes/payments')).body).toMatchObject({
      name: 'payments',
      description: 'The payments namespace',
      expression: 'v1',
      variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
      version: 1,
    });

    // A keyed attribute takes a key; the API's problem with the variable as a whole shows at that variable.
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Attribute').nth(1).selectOption('kubernetes.label');
    await page.getByLabel('Key').fill('tier');
    await page.getByLabel('Value').nth(1).fill('web');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('variable v2 is not used in the expression');
    expect(await page.locator('.variables li').nth(1).textContent()).toContain('variable v2 is not used in the expression');
    expect((await vigil.api('GET', '/v1/application-scopes/payments')).body.version).toBe(1);

    await page.getByLabel('Formula').fill('v1 && !v2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved (version 2).').waitFor();
    expect((await vigil.api('GET', '/v1/application-scopes/payments')).body).toMatchObject({
      expression: 'v1 && !v2',
      variables: [
        { attribute: 'kubernetes.namespace', value: 'payments' },
        { attribute: 'kubernetes.label', name: 'tier', value: 'web' },
      ],
      version: 2,
    });

    await page.getByRole('link', { name: '← Application scopes' }).click();
    const row = page.getByRole('row', { name: /payments/ });
    await row.waitFor();
    expect((await row.getByRole('cell').allTextContents())[1]).toBe(
      'v1 && !v2 · v1: kubernetes.namespace = payments · v2: kubernetes.label[tier] = web',
    );
  });

  it('refuses to delete a scope a policy uses, with the API’s reason, and deletes it once unused', async () => {
    expect((await vigil.api('POST', '/v1/application-scopes', { name: 'checkout', expression: '' })).status).toBe(201);
    const policy = await vigil.api('POST', '/v1/policies', {
      name: 'checkout-guard',
      type: 'container',
      scope: { applicationScopes: ['checkout'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(policy.status).toBe(201);

    const page = await signedInPage();
    await page.getByRole('link', { name: 'checkout' }).click();
    await page.getByRole('heading', { level: 1, name: 'Application scope checkout' }).waitFor();
    await page.getByRole('button', { name: 'Delete checkout' }).click();
    const confirmation = page.getByRole('group', { name: 'Delete application scope checkout?' });
    await expectAccessible(page, 'the delete confirmation');
    await confirmation.getByRole('button', { name: 'Delete application scope checkout' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('application scope "checkout" is used by policy "checkout-guard"');
    expect((await vigil.api('GET', '/v1/application-scopes/checkout')).status).toBe(200);

    expect((await vigil.api('DELETE', '/v1/policies/checkout-guard')).status).toBe(204);
    await confirmation.getByRole('button', { name: 'Delete application scope checkout' }).click();
    await page.getByRole('heading', { level: 1, name: 'Application scopes' }).waitFor();
    expect((await vigil.api('GET', '/v1/application-scopes/checkout')).status).toBe(404);
  });

  it('lets the policy editor pick any application scope, beyond the first page of 200', async () => {
    // More scopes than one page of the picker: the last ones in name order are on a later page.
    const names = Array.from({ length: 210 }, (_, i) => `zone-${String(i).padStart(3, '0')}`);
    for (let start = 0; start < names.length; start += 15) {
      const created = await Promise.all(
        names.slice(start, start + 15).map((name) => vigil.api('POST', '/v1/application-scopes', { name })),
      );
      expect(created.map((answer) => answer.status)).toEqual(created.map(() => 201));
    }
    const page = await signedInPage();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Runtime policies' }).click();
    await page.getByRole('link', { name: 'New policy' }).click();
    const picker = page.getByRole('group', { name: 'Application scopes' });
    await picker.getByLabel('zone-000', { exact: true }).waitFor();
    expect(await picker.getByLabel('zone-209', { exact: true }).count()).toBe(0);
    await picker.getByRole('button', { name: 'Show more application scopes' }).click();
    await picker.getByLabel('zone-209', { exact: true }).check();
    await picker.getByLabel('Global', { exact: true }).uncheck();
    await page.getByLabel('Name', { exact: true }).fill('far-zone');
    await page.getByLabel('Enable Block Container Exec').check();
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Saved (version 1).').waitFor();
    expect((await vigil.api('GET', '/v1/policies/far-zone')).body.scope.applicationScopes).toEqual(['zone-209']);

    // A stored policy's scopes show checked even when they are not on the pages loaded so far.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Policy far-zone' }).waitFor();
    expect(await page.getByRole('group', { name: 'Application scopes' }).getByLabel('zone-209', { exact: true }).isChecked()).toBe(true);
    await expectAccessible(page, 'the policy editor with more application scopes than one page');
    // 210 scopes are created over HTTP first; the default limit is too short on a loaded machine.
  }, 120_000);

  it('pages through more scopes than one page holds with the API’s cursors', async () => {
    for (let i = 0; i < 55; i += 1) {
      const created = await vigil.api('POST', '/v1/application-scopes', { name: `team-${String(i).padStart(2, '0')}` });
      expect(created.status).toBe(201);
    }
    const page = await signedInPage();
    const table = page.getByRole('region', { name: 'Application scopes table' });
    await table.getByRole('row', { name: /team-00/ }).waitFor();
    expect(await table.getByRole('row', { name: /team-54/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Next page' }).click();
    await table.getByRole('row', { name: /team-54/ }).waitFor();
    expect(await page.getByText('Page 2').isVisible()).toBe(true);
    expect(await table.getByRole('row', { name: /team-00/ }).count()).toBe(0);
  });
});
