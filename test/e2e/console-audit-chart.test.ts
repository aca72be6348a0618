import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, signedInConsole, useBrowser } from '../support/browser.js';
import { useLocalMode } from '../support/local-mode.js';

// The audit log's Detect/Block chart and its paging with many events, in headless Chromium against local mode.
// Events arrive as an enforcer sends them (POST /v1/enforcers/events with a group token).

const vigil = useLocalMode();
const browser = useBrowser();
const HOUR_MS = 3_600_000;

async function enforcer(group: string): Promise<(events: Array<Record<string, unknown>>) => Promise<void>> {
  const created = await vigil.api('POST', '/v1/enforcer-groups', { name: group, type: 'nano_enforcer' });
  expect(created.status).toBe(201);
  const token = created.body.token as string;
  const registered = await vigil.api(
    'POST',
    '/v1/enforcers/register',
    { name: `${group}-fn`, type: 'nano_enforcer' },
    { authorization: `Bearer ${token}` },
  );
  expect(registered.status).toBe(200);
  const headers = { authorization: `Bearer ${token}`, 'x-enforcer-id': registered.body.enforcerId as string };
  return async (events) => {
    const sent = await vigil.api('POST', '/v1/enforcers/events', { events }, headers);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  };
}

function event(id: string, status: 'Detect' | 'Block', time: Date): Record<string, unknown> {
  return {
    id,
    time: time.toISOString(),
    status,
    policy: 'fn-guard',
    policyType: 'function',
    policyVersion: 1,
    control: 'blockAllProcesses',
    controlName: 'Block All Child Processes',
    enforcementMode: status === 'Block' ? 'enforce' : 'audit',
    action: 'process',
    message: 'child process "sh" is not allowed',
    workload: { cluster: null, namespace: null, pod: null, container: null, image: null, function: 'orders-handler', host: null },
    user: null,
    command: ['sh', '-c', 'id'],
  };
}

async function auditPage(): Promise<Page> {
  const page = await signedInConsole(browser, vigil);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  return page;
}

/** The chart's data table as [bucket, detect, block] rows. */
async function chartRows(page: Page): Promise<Array<[string, number, number]>> {
  const rows = await page.getByRole('region', { name: 'Detect and Block counts table' }).locator('tbody tr').all();
  return Promise.all(
    rows.map(async (row) => {
      const [bucket = '', detect = '', block = ''] = await row.locator('th, td').allTextContents();
      return [bucket, Number(detect), Number(block)] as [string, number, number];
    }),
  );
}

describe('the audit log chart and paging', () => {
  it('draws Detect and Block per hour from the API histogram, with a title, a description and a data table', async () => {
    const send = await enforcer('chart-fns');
    const now = Date.now();
    await send([
      event('d1', 'Detect', new Date(now - 3 * HOUR_MS)),
      event('d2', 'Detect', new Date(now - 3 * HOUR_MS)),
      event('d3', 'Detect', new Date(now - 1 * HOUR_MS)),
      event('b1', 'Block', new Date(now - 1 * HOUR_MS)),
      event('b2', 'Block', new Date(now - 1 * HOUR_MS)),
    ]);

    const page = await auditPage();
    const chart = page.getByRole('img', { name: 'Detect and Block per hour' });
    await chart.waitFor();
    expect(await page.locator('#audit-chart-desc').textContent()).toMatch(
      /^3 Detect and 2 Block from .* at most 2 of one verdict in one hour\.$/,
    );
    expect(await page.locator('.chart-legend').textContent()).toContain('Detect: 3');
    expect(await page.locator('.chart-legend').textContent()).toContain('Block: 2');
    // Bars are scaled to the largest count (2): the buckets of 2 are full height, the bucket of 1 is half.
    const heights = await chart.locator('rect').evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('height'))));
    expect(new Set(heights.filter((h) => h > 0))).toEqual(new Set([136, 68]));
    expect(heights.length).toBeGreaterThanOrEqual(48);

    await page.getByText('Chart data as a table').click();
    const rows = await chartRows(page);
    expect(rows.length).toBeGreaterThanOrEqual(24);
    expect(rows.filter(([, d, b]) => d + b > 0).map(([, d, b]) => [d, b])).toEqual([
      [2, 0],
      [1, 2],
    ]);
    // The histogram is the API's: the console did not count events itself.
    const api = await vigil.api('GET', '/v1/audit-events/histogram');
    expect(api.body.totals).toEqual({ detect: 3, block: 2 });
    await expectAccessible(page, 'the audit log with its chart and data table');
  });

  it('keeps one page of events in the page with 10,000 stored, and the chart counts them all', async () => {
    const send = await enforcer('many-fns');
    const now = Date.now();
    // 10,000 events over the last 20 hours, in the enforcer route's batches of 500.
    for (let batch = 0; batch < 20; batch++)
      await send(
        Array.from({ length: 500 }, (_, i) => {
          const n = batch * 500 + i;
          return event(`many-${n}`, n % 4 === 0 ? 'Block' : 'Detect', new Date(now - 60_000 - n * 7_000));
        }),
      );

    const page = await auditPage();
    const rows = page.getByRole('region', { name: 'Audit events table' }).locator('tbody > tr');
    await page.getByRole('navigation', { name: 'Audit events pages' }).waitFor();
    expect(await rows.count()).toBe(50);
    const firstPage = await rows.first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(async () => (await rows.first().textContent()) !== firstPage).toBe(true);
    expect(await rows.count()).toBe(50);
    // The chart counts every stored event (the first test's five too) without the browser loading them.
    await expect.poll(() => page.locator('.chart-legend').textContent()).toContain('Detect: 7503');
    expect(await page.locator('.chart-legend').textContent()).toContain('Block: 2502');
  }, 300_000);
});
