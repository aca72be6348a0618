import { describe, expect, it } from 'vitest';
import { assetSizes, buildConsole, CONSOLE_CSP } from '../../../console/build.js';

/** The initial-JavaScript budget of the console (issue 19): everything the first page loads, gzipped. */
const INITIAL_JS_BUDGET_GZIP_BYTES = 250 * 1024;

describe('the console build', () => {
  it('makes the page, one script and one stylesheet, with the script under the initial-JavaScript budget', async () => {
    const assets = await buildConsole();
    expect([...assets.keys()].sort()).toEqual(['/', '/assets/app.css', '/assets/app.js']);
    const page = assets.get('/')!.body.toString('utf8');
    // The page loads only files of its own origin, which the CSP allows; nothing inline.
    expect(page).toContain('<script type="module" src="/assets/app.js"></script>');
    expect(page).not.toMatch(/<script>|<style>|style="/);
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(CONSOLE_CSP).not.toContain('unsafe-eval');
    expect(assetSizes(assets)['/assets/app.js']!.gzipBytes).toBeLessThanOrEqual(INITIAL_JS_BUDGET_GZIP_BYTES);
  });
});
