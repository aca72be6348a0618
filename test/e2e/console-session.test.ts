import { describe, expect, it } from 'vitest';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The console's session in local mode, in headless Chromium: when the API stops accepting the tab's admin
// token (local mode restarted with another one), an unsaved form keeps what was typed, the page says why, and
// the current token entered on the same page lets the save go through.

const vigil = useLocalMode();
const browser = useBrowser();

const SESSION_STORAGE = '({ ...sessionStorage })';
/** Puts a token the API does not accept in place of the tab's: what a tab holds after local mode got another token. */
const ROTATED_AWAY = "sessionStorage.setItem('vigil.adminToken', 'a-token-local-mode-no-longer-accepts')";

describe('the console session in local mode', () => {
  it('keeps an unsaved policy when the admin token is refused, says why, and saves it once the current token is entered', async () => {
    const page = await signedInConsole(browser, vigil);
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('kept-in-local-mode');
    await page.getByLabel('Description').fill('Typed before the token changed');
    await page.evaluate(ROTATED_AWAY);

    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Your session has ended, so this was not done.').waitFor();
    await page.getByText("The API no longer accepts this tab's admin token").waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('kept-in-local-mode');
    expect(await page.getByLabel('Description').inputValue()).toBe('Typed before the token changed');
    expect(await page.evaluate(SESSION_STORAGE)).toEqual({});
    expect((await vigil.api('GET', '/v1/policies/kept-in-local-mode')).status).toBe(404);
    await expectAccessible(page, 'the policy editor after the admin token was refused');

    // A wrong token is refused on the same page; the form is untouched.
    await page.getByLabel('Current admin token').fill('still-not-the-token');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByText('The admin token was refused.').waitFor();
    expect(await page.evaluate(SESSION_STORAGE)).toEqual({});

    await page.getByLabel('Current admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByLabel('Current admin token').waitFor({ state: 'detached' });
    expect(await page.evaluate(SESSION_STORAGE)).toEqual({ 'vigil.adminToken': vigil.adminToken });
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('kept-in-local-mode');

    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Saved (version 1).').waitFor();
    expect(new URL(page.url()).hash).toBe('#/policies/edit/kept-in-local-mode');
    expect((await vigil.api('GET', '/v1/policies/kept-in-local-mode')).body).toMatchObject({
      name: 'kept-in-local-mode',
      description: 'Typed before the token changed',
    });
  });

  it('loads a list again once the user has signed in again after its load was refused', async () => {
    const page = await signedInConsole(browser, vigil);
    await page.evaluate(ROTATED_AWAY);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Enforcer groups' }).click();
    await page.getByText('Your session has ended, so this was not done.').waitFor();
    await page.getByLabel('Current admin token').fill(vigil.adminToken);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('heading', { level: 2, name: /default-ke/ }).waitFor();
    expect(await page.getByText('Your session has ended, so this was not done.').count()).toBe(0);
  });
});
