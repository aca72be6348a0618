import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { readFixture } from '../support/fixtures.js';
import { eventually, useLocalMode } from '../support/local-mode.js';

// The clusters view in headless Chromium against local mode: a registration's manifests are downloaded as
// files while the notice is shown and are gone after, and the downloaded manifests are the real ones (their
// webhook URL answers the API server, their token registers the bridge).

const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/vigil-node-agent:0.1.0';
// Evaluated in the page (as text: the tests' own type library has no DOM).
const BROWSER_STORAGE = '({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })';

const vigil = useLocalMode();
const browser = useBrowser();

const signedInPage = (): Promise<Page> => signedInConsole(browser, vigil);

async function show(page: Page, section: string, heading = section): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Clicks a download button and answers the saved file's name and text. */
async function download(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), text: await readFile(path, 'utf8') };
}

/** The webhook URL a downloaded ValidatingWebhookConfiguration sends reviews to. */
function webhookUrlOf(manifest: string): string {
  const [configuration] = parseAllDocuments(manifest).map((document) => document.toJS());
  expect(configuration.kind).toBe('ValidatingWebhookConfiguration');
  return configuration.webhooks[0].clientConfig.url as string;
}

function review(): unknown {
  const body = readFixture<any>('admission', 'exec-guard', 'denied', 'exec-sh.json');
  body.request.uid = crypto.randomUUID();
  return body;
}

/** The message the console shows under a field, found through the field's aria-describedby. */
async function fieldError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  expect(await field.getAttribute('aria-invalid'), `${label} is marked invalid`).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, `${label} points at its error`).toHaveLength(1);
  return (await page.locator(`[id="${ids[0]}"]`).textContent())!;
}

describe('the clusters view', () => {
  it('registers a cluster with node agents; the manifests download once, work, and are gone after leaving the view', async () => {
    const page = await signedInPage();
    await show(page, 'Clusters');
    await page.getByText('No clusters registered yet.').waitFor();
    await expectAccessible(page, 'the empty clusters view');

    // A bad name comes back at its field, and nothing is registered.
    await page.getByLabel('Cluster name').fill('prod eu');
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await page.getByRole('alert').waitFor();
    expect(await fieldError(page, 'Cluster name')).toContain('may contain only letters, digits');
    expect((await vigil.api('GET', '/v1/clusters')).body.items).toEqual([]);
    await expectAccessible(page, 'the registration form with an error');

    await page.getByLabel('Cluster name').fill('prod-eu');
    await page.getByLabel('Also issue the node agents').check();
    await page.getByLabel('Node-agent image').fill(IMAGE);
    await page.getByLabel('Namespace').fill('vigil-agents');
    await page.getByRole('button', { name: 'Register cluster' }).click();
    const notice = page.getByRole('region', { name: 'Download the files of prod-eu now' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('You will not see this again.');
    await expectAccessible(page, 'the clusters view with the manifests to download');

    const webhook = await download(page, 'Download the webhook manifest (prod-eu-webhook.yaml)');
    expect(webhook.name).toBe('prod-eu-webhook.yaml');
    const webhookUrl = webhookUrlOf(webhook.text);
    expect(webhookUrl).toContain('/v1/admission/prod-eu/');
    // The downloaded manifest is the issued one: the API server's reviews are answered through its URL.
    const answered = await vigil.post(webhookUrl, review());
    expect(answered.status).toBe(200);
    expect(answered.body.response).toMatchObject({ allowed: true });

    const agents = await download(page, 'Download the node-agent manifest (prod-eu-node-agents.yaml)');
    expect(agents.name).toBe('prod-eu-node-agents.yaml');
    const objects = parseAllDocuments(agents.text).map((document) => document.toJS());
    expect(objects.map((object) => object.kind)).toContain('DaemonSet');
    const token = objects.find((object) => object.kind === 'Secret').stringData.token as string;
    const values = await download(page, 'Download the Tetragon Helm values (prod-eu-tetragon-values.yaml)');
    expect(values.text).toContain('tetragon');

    // The token in the downloaded manifest registers the cluster's bridge: its heartbeat shows in the list.
    await eventually(async () => {
      const bridge = await vigil.api(
        'POST',
        '/v1/enforcers/register',
        { name: 'bridge-prod-eu', type: 'agent', metadata: { kind: 'bridge', cluster: 'prod-eu' } },
        { authorization: `Bearer ${token}` },
      );
      expect(bridge.status).toBe(200);
    });

    // Leaving the view drops the manifests: nothing of them is kept, in the page or in the browser's storage.
    await show(page, 'Runtime policies');
    await show(page, 'Clusters');
    const row = page.getByRole('row', { name: /prod-eu/ });
    await row.getByText(/bridge connected/).waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[1]).toBe('group default-ke: fail open, 5 s timeout, kube-system exempt');
    expect(cells[2]).toMatch(
      /^group default: bridge connected, last heartbeat \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC; forwarders 0 of 0 connected$/,
    );
    expect(await page.getByRole('button', { name: /^Download/ }).count()).toBe(0);
    expect(await page.getByText('You will not see this again.').count()).toBe(0);
    expect(await page.evaluate(BROWSER_STORAGE)).toEqual({ session: { 'vigil.adminToken': vigil.adminToken }, local: {}, cookie: '' });
    expect(await page.content()).not.toContain(token);
    await expectAccessible(page, 'the clusters list');

    // The node-agent token is rotated after a confirmation: the downloaded Secret holds the new token, which
    // registers the bridge, while the old one is refused.
    await page.getByRole('button', { name: 'Rotate node-agent token of prod-eu' }).click();
    const confirmation = page.getByRole('group', { name: 'Rotate the node-agent token of prod-eu?' });
    await confirmation.getByRole('button', { name: 'Rotate the node-agent token of prod-eu' }).click();
    const rotated = page.getByRole('region', { name: 'Download the file of prod-eu now' });
    await rotated.waitFor();
    expect(await rotated.textContent()).toContain(
      'kubectl rollout restart -n vigil-agents deployment/vigil-bridge daemonset/vigil-forwarder',
    );
    const secret = await download(page, 'Download the node-agent token Secret (prod-eu-node-agent-token.yaml)');
    const [rotatedSecret] = parseAllDocuments(secret.text).map((document) => document.toJS());
    expect(rotatedSecret).toMatchObject({ kind: 'Secret', metadata: { namespace: 'vigil-agents' } });
    const newToken = rotatedSecret.stringData.token as string;
    expect(newToken).not.toBe(token);
    const registerWith = (bearer: string) =>
      vigil.api('POST', '/v1/enforcers/register', { name: 'bridge-prod-eu', type: 'agent' }, { authorization: `Bearer ${bearer}` });
    // The enforcer API rereads tokens within a bound: the new one is taken, the old refused, once it has.
    await eventually(async () => expect((await registerWith(newToken)).status).toBe(200));
    await eventually(async () => expect((await registerWith(token)).status).toBe(401));
  });

  it('rotates the webhook secret after a confirmation naming the cluster, and deregisters it after another', async () => {
    const registered = await vigil.api('POST', '/v1/clusters', { name: 'staging' });
    expect(registered.status).toBe(201);
    const oldUrl = registered.body.webhookUrl as string;

    const page = await signedInPage();
    await show(page, 'Clusters');
    await page.getByRole('button', { name: 'Rotate webhook secret of staging' }).click();
    const confirmation = page.getByRole('group', { name: 'Rotate the webhook secret of staging?' });
    await confirmation.waitFor();
    await expectAccessible(page, 'the rotation confirmation');
    await confirmation.getByRole('button', { name: 'Rotate the secret of staging' }).click();
    await page.getByRole('region', { name: 'Download the file of staging now' }).waitFor();
    const rotated = await download(page, 'Download the webhook manifest (staging-webhook.yaml)');
    const newUrl = webhookUrlOf(rotated.text);
    expect(newUrl).not.toBe(oldUrl);
    // The webhook rereads its configuration within a bound: the old URL is refused once it has.
    await eventually(async () => expect((await vigil.post(oldUrl, review())).status).toBe(401));
    expect((await vigil.post(newUrl, review())).body.response).toMatchObject({ allowed: true });
    await page.getByRole('button', { name: 'Done: I have saved them' }).click();
    expect(await page.getByRole('button', { name: /^Download/ }).count()).toBe(0);

    // Cancelling changes nothing; confirming deregisters, and the webhook URL stops working.
    await page.getByRole('button', { name: 'Deregister staging' }).click();
    await page.getByRole('group', { name: 'Deregister cluster staging?' }).getByRole('button', { name: 'Cancel' }).click();
    expect((await vigil.api('GET', '/v1/clusters/staging')).status).toBe(200);
    await page.getByRole('button', { name: 'Deregister staging' }).click();
    const deregister = page.getByRole('group', { name: 'Deregister cluster staging?' });
    expect(await deregister.textContent()).toContain('its webhook URL and its node-agent token stop working');
    await deregister.getByRole('button', { name: 'Deregister staging' }).click();
    await page.getByRole('row', { name: /staging/ }).waitFor({ state: 'detached' });
    expect((await vigil.api('GET', '/v1/clusters/staging')).status).toBe(404);
    await eventually(async () => expect((await vigil.post(newUrl, review())).status).toBe(401));
  });
});
