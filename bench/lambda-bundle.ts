// Bundles a function the way the CDK stack does (infra/lambda-bundling.ts holds the settings both use) and
// reports what the bundle is made of. Every bundle size and cold start the benchmarks report comes from here.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BuildOptions, Metafile } from 'esbuild';
import { esmRequireBanner, externalModules, lambdaTarget, mainFields, moduleAliases, repoRoot } from '../infra/lambda-bundling.js';

/** A function's entry file relative to the repository root, or a module's source (resolved from the root). */
export type LambdaEntry = string | { readonly name: string; readonly source: string };

export interface LambdaBundleOptions {
  /**
   * Replaces the stack's externals, e.g. `['@aws-sdk/*']` to measure the function's own code apart from the
   * SDK, as if the Lambda runtime provided it.
   * @default the stack's (none)
   */
  readonly external?: readonly string[];
}

export interface LambdaBundleReport {
  readonly entry: string;
  readonly external: readonly string[];
  /** Minified `index.mjs` as uploaded. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The source map uploaded next to it (without sources). */
  readonly sourceMapBytes: number;
  /** Every package's share of `bytes`, largest first (`(vigil)` is this repository's code). */
  readonly byPackage: ReadonlyArray<{ readonly package: string; readonly bytes: number }>;
  /** The largest single inputs. */
  readonly largestInputs: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
  /** Every input file, relative to the repository root: what tests check the bundle's reach with. */
  readonly inputs: readonly string[];
}

/** The package an input belongs to (`zod`, `@aws-sdk/client-dynamodb`), or `(vigil)` for the repository's own code. */
export function packageOf(input: string): string {
  const index = input.lastIndexOf('node_modules/');
  if (index < 0) return '(vigil)';
  const parts = input.slice(index + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** esbuild's options for a function bundle, exactly as infra/vigil-function.ts gives them to NodejsFunction. */
export function lambdaBuildOptions(entry: LambdaEntry, outfile: string, options: LambdaBundleOptions = {}): BuildOptions {
  return {
    ...(typeof entry === 'string'
      ? { entryPoints: [join(repoRoot, entry)] }
      : { stdin: { contents: entry.source, loader: 'ts', resolveDir: repoRoot, sourcefile: `${entry.name}.ts` } }),
    outfile,
    absWorkingDir: repoRoot,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: lambdaTarget,
    mainFields: [...mainFields],
    banner: { js: esmRequireBanner },
    external: [...(options.external ?? externalModules)],
    alias: { ...moduleAliases },
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
  };
}

/** The report without its input list (results files keep the composition, not every file name). */
export function withoutInputs(report: LambdaBundleReport): Omit<LambdaBundleReport, 'inputs'> {
  const { inputs: _inputs, ...rest } = report;
  return rest;
}

/** Bundles `entry` into `outfile` with the stack's esbuild settings and reports the bundle's composition. */
export async function bundleLambda(entry: LambdaEntry, outfile: string, options: LambdaBundleOptions = {}): Promise<LambdaBundleReport> {
  const esbuild = await import('esbuild');
  const build = lambdaBuildOptions(entry, outfile, options);
  const result = await esbuild.build(build);
  const metafile: Metafile = result.metafile!;
  const output = metafile.outputs[Object.keys(metafile.outputs).find((name) => name.endsWith('.mjs'))!]!;
  const inputs = Object.entries(output.inputs).map(([input, info]) => ({
    input: input.replace(/^.*node_modules\//, 'node_modules/'),
    bytes: info.bytesInOutput,
  }));
  const packages = new Map<string, number>();
  for (const { input, bytes } of inputs) packages.set(packageOf(input), (packages.get(packageOf(input)) ?? 0) + bytes);
  const code = readFileSync(outfile);
  return {
    entry: typeof entry === 'string' ? entry : `(${entry.name})`,
    external: build.external!,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    byPackage: [...packages].map(([name, bytes]) => ({ package: name, bytes })).sort((a, b) => b.bytes - a.bytes),
    largestInputs: [...inputs].sort((a, b) => b.bytes - a.bytes).slice(0, 10),
    inputs: inputs.map((i) => i.input),
  };
}
