/**
 * Deployment sizes: every control-plane function bundled as the CDK stack bundles it (infra/lambda-bundling.ts),
 * and the protection layer as layers/protection/build.ts builds it.
 *
 * Each function is also bundled with `@aws-sdk/*` left to the Lambda runtime, and both bundles are imported
 * by fresh `node` processes: the sizes and load times behind the stack's choice to bundle the SDK
 * (docs/adr/0006). The admission goal is the admission suite's (the deployed bundle), reported here as well.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildProtectionLayer } from '../../layers/protection/build.js';
import { functionEntries, repoRoot, type VigilFunctionName } from '../../infra/lambda-bundling.js';
import { bundleLambda, withoutInputs, type LambdaBundleReport } from '../lambda-bundle.js';
import { runNode } from '../node-process.js';
import { scratchRoot } from '../scratch.js';
import type { BenchSuite, SuiteContext } from '../suite.js';
import { GOALS as ADMISSION_GOALS } from './admission/plan.js';
import { goalsStatus } from '../goals.js';

/** Prints ms from process start until the bundle (argv[2]) is imported, module-level setup included. */
const IMPORT_RUNNER = `
await import(process.argv[2]);
process.stdout.write(JSON.stringify({ importedMs: performance.now() }));
`;

/** What the handlers read at import (no AWS call is made at import). */
const IMPORT_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  VIGIL_TABLE_PREFIX: 'vigil-bench-bundles-',
  VIGIL_EVENT_BUS_NAME: 'vigil-bench-bundles',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const round1 = (value: number): number => Math.round(value * 10) / 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function importOnce(runner: string, bundle: string): Promise<number> {
  const { code, stdout, stderr } = await runNode([runner, bundle], { PATH: process.env.PATH ?? '/usr/bin:/bin', ...IMPORT_ENV });
  if (code !== 0) throw new Error(`importing ${bundle} failed (status ${String(code)}): ${stderr.slice(-800)}`);
  return (JSON.parse(stdout) as { importedMs: number }).importedMs;
}

interface FunctionSection {
  readonly deployed: Omit<LambdaBundleReport, 'inputs' | 'largestInputs'>;
  readonly sdkExternal: Pick<LambdaBundleReport, 'bytes' | 'gzipBytes'>;
  readonly importMs: {
    readonly deployedMedian: number;
    readonly sdkExternalMedian: number;
    readonly deployedRuns: number[];
    readonly sdkExternalRuns: number[];
  };
}

function layerFiles(dir: string): Array<{ readonly file: string; readonly bytes: number; readonly gzipBytes: number }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ file: relative(dir, path), bytes: statSync(path).size, gzipBytes: gzipSync(readFileSync(path)).length }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

async function run(context: SuiteContext): Promise<Record<string, unknown>> {
  const { log, quick } = context;
  const importRuns = quick ? 1 : 5;
  const work = await mkdtemp(join(scratchRoot().root, 'vigil-bench-bundles-'));
  try {
    // External `@aws-sdk/*` imports resolve from here, standing in for the SDK the Lambda runtime provides.
    await symlink(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
    const runner = join(work, 'import-runner.mjs');
    await writeFile(runner, IMPORT_RUNNER);

    const functions: Partial<Record<VigilFunctionName, FunctionSection>> = {};
    for (const [name, entry] of Object.entries(functionEntries) as Array<[VigilFunctionName, string]>) {
      const deployedFile = join(work, name, 'index.mjs');
      const externalFile = join(work, `${name}-sdk-external`, 'index.mjs');
      const deployed = await bundleLambda(entry, deployedFile);
      const external = await bundleLambda(entry, externalFile, { external: ['@aws-sdk/*'] });
      const runs = { deployed: [] as number[], sdkExternal: [] as number[] };
      // Alternate the variants so that background load falls on both alike.
      for (let r = 0; r < importRuns; r++) {
        runs.deployed.push(round1(await importOnce(runner, deployedFile)));
        runs.sdkExternal.push(round1(await importOnce(runner, externalFile)));
      }
      const { largestInputs: _largest, ...reported } = withoutInputs(deployed);
      functions[name] = {
        deployed: { ...reported, byPackage: reported.byPackage.slice(0, 10) },
        sdkExternal: { bytes: external.bytes, gzipBytes: external.gzipBytes },
        importMs: {
          deployedMedian: median(runs.deployed),
          sdkExternalMedian: median(runs.sdkExternal),
          deployedRuns: runs.deployed,
          sdkExternalRuns: runs.sdkExternal,
        },
      };
      log(
        `bundles: ${name.padEnd(12)} ${deployed.bytes.toLocaleString('en-US').padStart(10)} bytes (SDK external ${external.bytes.toLocaleString('en-US')}); import ${median(runs.deployed)} ms (SDK external ${median(runs.sdkExternal)} ms)`,
      );
    }

    log('bundles: building the protection layer');
    const layerDir = join(work, 'layer');
    await buildProtectionLayer(layerDir);
    const files = layerFiles(layerDir);
    const layer = {
      files,
      totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      totalGzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    };
    log(`bundles: layer ${layer.totalBytes.toLocaleString('en-US')} bytes in ${files.length} files`);

    const admissionDeployed = functions.admission!.deployed.bytes;
    // No goal of the project is about sizes (bench/README.md): the admission bundle against its budget is a figure.
    const figures = {
      admissionBundleBytes: {
        description: 'functions/admission/index.ts as the stack bundles it, SDK inside, against its size budget (checked by a unit test)',
        budget: `<= ${ADMISSION_GOALS.admissionBundleBytesMax} bytes`,
        value: admissionDeployed,
        withinBudget: admissionDeployed <= ADMISSION_GOALS.admissionBundleBytesMax,
      },
    };
    return {
      description:
        'Deployment sizes: each function bundled as the CDK stack does (ESM, minified, SDK inside with the environment as its only credential source) and with the SDK left to the runtime, their import times in fresh node processes, and the protection layer.',
      parameters: {
        quick,
        node: process.version,
        esbuild: (await import('esbuild')).version,
        importRunsPerVariant: importRuns,
        importNote:
          'ms from process start to the end of the bundle import (module-level setup included, no AWS call); this machine, not Lambda: compare the two variants, not absolute values',
      },
      functions,
      layer,
      goals: {},
      goalsStatus: goalsStatus({}),
      figures,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export const bundlesSuite: BenchSuite = {
  name: 'bundles',
  description: 'deployment sizes of every function (SDK bundled vs external, import time) and of the protection layer',
  run,
};
