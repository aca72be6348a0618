// Bundles a control-plane function the way the CDK stack does (infra/lambda-bundling.ts holds the settings
// both use) and reports what the bundle is made of.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { esmRequireBanner, externalModules, lambdaTarget, mainFields, repoRoot } from '../infra/lambda-bundling.js';

export interface LambdaBundleReport {
  readonly entry: string;
  readonly external: readonly string[];
  /** Minified `index.mjs` as uploaded. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The source map uploaded next to it (without sources). */
  readonly sourceMapBytes: number;
  /** The largest contributors, by package (`(vigil)` is this repository's code). */
  readonly byPackage: ReadonlyArray<{ readonly package: string; readonly bytes: number }>;
}

/** The package an input belongs to (`zod`, `@aws-sdk/client-dynamodb`), or `(vigil)` for the repository's own code. */
export function packageOf(input: string): string {
  const index = input.lastIndexOf('node_modules/');
  if (index < 0) return '(vigil)';
  const parts = input.slice(index + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * Bundles `entry` (relative to the repository root) into `outfile` with the stack's esbuild settings; `external`
 * replaces the stack's externals (to compare with leaving the AWS SDK to the Lambda runtime).
 */
export async function bundleLambda(entry: string, outfile: string, external: readonly string[] = externalModules): Promise<LambdaBundleReport> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    absWorkingDir: repoRoot,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: lambdaTarget,
    mainFields: [...mainFields],
    banner: { js: esmRequireBanner },
    external: [...external],
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
  });
  const metafile: Metafile = result.metafile;
  const output = metafile.outputs[Object.keys(metafile.outputs).find((name) => name.endsWith('.mjs'))!]!;
  const packages = new Map<string, number>();
  for (const [input, info] of Object.entries(output.inputs)) packages.set(packageOf(input), (packages.get(packageOf(input)) ?? 0) + info.bytesInOutput);
  const code = readFileSync(outfile);
  return {
    entry,
    external,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    byPackage: [...packages]
      .map(([name, bytes]) => ({ package: name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8),
  };
}
