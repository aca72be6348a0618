// Builds the web console (console/src) into the few files a browser loads: index.html, one script and one
// stylesheet. Local mode builds it in memory on the first request for it, so `npm start` and the tests need
// no separate build step; `npm run console:build` writes the same files to console/dist for deployment.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { BuildOptions, OutputFile, buildSync } from 'esbuild';

export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The built console by URL path: `/` (the page), `/assets/app.js`, `/assets/app.css`. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const CONSOLE_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * The Content-Security-Policy of the console: its own script and stylesheet only, API calls to its own
 * origin (and, in AWS, the token endpoint of the Cognito domain the sign-in exchanges its code at), no
 * framing. The CloudFront distribution sends it with the Cognito domain (infra/console-hosting.ts).
 */
export function consoleContentSecurityPolicy(extraConnectSources: readonly string[] = []): string {
  const connect = ["'self'", ...extraConnectSources].join(' ');
  return (
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; font-src 'self'; ` +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  );
}

/** The policy of local mode, where the API is the console's own origin and nothing else is called. */
export const CONSOLE_CSP = consoleContentSecurityPolicy();

/** Headers every console response carries, besides its content type. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // The page is tiny and changes with every build; the admin token never reaches a cache either way.
  'cache-control': 'no-cache',
};

/** How esbuild bundles the console: one module script and one stylesheet, minified, for current browsers. */
const buildOptions = {
  entryPoints: { app: `${CONSOLE_DIR}src/main.tsx`, styles: `${CONSOLE_DIR}src/styles.css` },
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'out',
  logLevel: 'silent',
  legalComments: 'none',
} satisfies BuildOptions;

/** Bundles the console. esbuild is loaded only now: local mode pays for it only when a browser asks. */
export async function buildConsole(): Promise<ConsoleAssets> {
  const { build } = await import('esbuild');
  return consoleAssets((await build(buildOptions)).outputFiles, await readFile(`${CONSOLE_DIR}index.html`));
}

/**
 * The same build, synchronously: the CDK app constructs its stack synchronously and bundles the console into
 * the deployment with it (infra/console-hosting.ts), without a network or a separate build step.
 */
export function buildConsoleSync(): ConsoleAssets {
  // Required here, like the dynamic import above, so that loading this module never loads esbuild.
  const esbuild = createRequire(import.meta.url)('esbuild') as { buildSync: typeof buildSync };
  return consoleAssets(esbuild.buildSync(buildOptions).outputFiles, readFileSync(`${CONSOLE_DIR}index.html`));
}

function consoleAssets(outputFiles: readonly OutputFile[], page: Buffer): ConsoleAssets {
  const file = (name: string): Buffer => {
    const output = outputFiles.find((f) => f.path.endsWith(`/out/${name}`));
    if (!output) throw new Error(`the console build produced no ${name}`);
    return Buffer.from(output.contents);
  };
  return new Map<string, ConsoleAsset>([
    ['/', { body: page, contentType: 'text/html; charset=utf-8' }],
    ['/assets/app.js', { body: file('app.js'), contentType: 'text/javascript; charset=utf-8' }],
    ['/assets/app.css', { body: file('styles.css'), contentType: 'text/css; charset=utf-8' }],
  ]);
}

/** Sizes of the built files, raw and gzipped: the budget of the initial JavaScript is checked against these. */
export function assetSizes(assets: ConsoleAssets): Record<string, { bytes: number; gzipBytes: number }> {
  return Object.fromEntries(
    [...assets].map(([path, asset]) => [path, { bytes: asset.body.length, gzipBytes: gzipSync(asset.body, { level: 9 }).length }]),
  );
}
