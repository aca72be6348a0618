/**
 * Benchmark runner: `npm run bench` runs every suite, `npm run bench -- engine` runs one.
 *
 * Prints ONE JSON document to stdout and writes the same document to
 * bench/results/<name>-<timestamp>.json. Progress goes to stderr.
 *
 * Options: --quick (short smoke run, numbers not meaningful), --seed=<int>, --list, --help.
 * To add a suite, implement BenchSuite (bench/suite.ts) and append it to `suites` below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED } from './generate.js';
import { collectGarbage } from './measure.js';
import { gitCommit, machineInfo } from './machine.js';
import type { BenchSuite, SuiteContext } from './suite.js';
import { admissionSuite } from './suites/admission.js';
import { apiSuite } from './suites/api.js';
import { bundlesSuite } from './suites/bundles.js';
import { consoleSuite } from './suites/console.js';
import { engineSuite } from './suites/engine.js';
import { nodeAgentSuite } from './suites/node-agent.js';
import { nodePoliciesSuite } from './suites/node-policies.js';
import { protectionSuite } from './suites/protection.js';

const suites: readonly BenchSuite[] = [
  engineSuite,
  apiSuite,
  admissionSuite,
  protectionSuite,
  bundlesSuite,
  nodePoliciesSuite,
  nodeAgentSuite,
  consoleSuite,
];

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function usage(): string {
  return [
    'usage: npm run bench [-- [suite ...] [--quick] [--seed=<int>] [--list]]',
    '',
    'suites:',
    ...suites.map((s) => `  ${s.name.padEnd(10)} ${s.description}`),
  ].join('\n');
}

interface Options {
  readonly names: readonly string[];
  readonly quick: boolean;
  readonly seed: number;
}

function parseArgs(args: readonly string[]): Options | 'help' | 'list' {
  const names: string[] = [];
  let quick = false;
  let seed = DEFAULT_SEED;
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--list') return 'list';
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--seed=')) {
      seed = Number(arg.slice('--seed='.length));
      if (!Number.isInteger(seed)) throw new Error(`--seed needs an integer, got "${arg}"`);
    } else if (arg.startsWith('-')) throw new Error(`unknown option "${arg}"\n${usage()}`);
    else names.push(arg);
  }
  return { names, quick, seed };
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    log(usage());
    return 0;
  }
  if (parsed === 'list') {
    for (const suite of suites) log(suite.name);
    return 0;
  }
  const unknown = parsed.names.filter((name) => !suites.some((s) => s.name === name));
  if (unknown.length > 0) {
    log(`unknown suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = parsed.names.length === 0 ? suites : suites.filter((s) => parsed.names.includes(s.name));
  const context: SuiteContext = { quick: parsed.quick, seed: parsed.seed, log };

  const started = new Date();
  const startedAt = performance.now();
  const machine = machineInfo();
  const sections: Record<string, unknown> = {};
  // Without a collector to call, every suite would start on the garbage of the ones before it, and its first
  // collections (major ones among them) would land inside its measurements.
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    log('bench: garbage is not collected between measurements: run with --expose-gc (npm run bench does)');
  for (const suite of selected) {
    collectGarbage();
    log(`== ${suite.name}: ${suite.description}`);
    const suiteStarted = performance.now();
    sections[suite.name] = { ...(await suite.run(context)), durationMs: Math.round(performance.now() - suiteStarted) };
  }

  const name = parsed.names.length === 0 ? 'all' : selected.map((s) => s.name).join('+');
  const document = {
    schemaVersion: 1,
    name,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - startedAt),
    quick: parsed.quick,
    git: gitCommit(repoRoot),
    machine,
    /** Other work on the machine skews results: compare with machine.loadAverage taken at the start. */
    loadAverageAtEnd: machineInfo().loadAverage,
    suites: sections,
  };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${name}-${timestamp(started)}.json`;
  writeFileSync(file, json);
  log(`results written to ${file.startsWith(benchDir) ? `bench/${file.slice(benchDir.length)}` : file}`);
  process.stdout.write(json);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? `bench failed: ${error.name}: ${error.message}` : `bench failed: ${String(error)}`);
    process.exitCode = 1;
  },
);
