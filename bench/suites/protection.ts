/**
 * Protection layer overhead: the built layer (layers/protection/build.ts) measured in child Node
 * processes, so that its child_process and net patches never reach the bench process.
 *   wrapper   warm cost of protect(handler) per invocation against the bare handler
 *   spawn     spawnSync('/bin/true') with the preload's hooks against a process without them
 *   coldStart time to the first user code with `--require preload.cjs` against without
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProtectionLayer } from '../../layers/protection/build.js';
import type { BenchSuite, SuiteContext } from '../suite.js';

/** Thresholds the layer is expected to meet. */
export const GOALS = {
  wrapperOverheadUsMax: 50,
  spawnRatioMax: 1.05,
  coldStartAddedMsMax: 30,
} as const;

const fixtureBundle = fileURLToPath(new URL('../../test/fixtures/protection/bundle.json', import.meta.url));

/** The fixture bundle with enforcing policies that allow what is measured: /bin/true, no network. */
function benchBundle(): Record<string, unknown> {
  const base = JSON.parse(readFileSync(fixtureBundle, 'utf8')) as Record<string, unknown>;
  const policy = (name: string, controls: Record<string, unknown>) => ({
    name,
    type: 'function',
    enabled: true,
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls,
    version: 1,
  });
  return {
    ...base,
    policies: [
      policy('bench-allow-true', { blockAllProcesses: { enabled: true, allowedExecutables: ['true', '/bin/true'] } }),
      policy('bench-no-curl', { blockedExecutables: { enabled: true, executables: ['curl', 'wget'] } }),
    ],
  };
}

// Child programs: each prints one JSON document on stdout.
const wrapperProgram = `
const { protect } = await import(process.argv[2]);
const perRound = Number(process.argv[3]);
const rounds = Number(process.argv[4]);
const bare = async (event) => event.n + 1;
const wrapped = protect(bare);
const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api' };
const samples = { bare: [], wrapped: [] };
const totals = { bare: 0n, wrapped: 0n };
let checksum = 0;
async function round(name, fn, record) {
  for (let i = 0; i < perRound; i++) {
    const started = process.hrtime.bigint();
    checksum += await fn({ n: i }, context);
    const elapsed = process.hrtime.bigint() - started;
    if (record) { samples[name].push(Number(elapsed)); totals[name] += elapsed; }
  }
}
for (let r = 0; r < 2; r++) { await round('bare', bare, false); await round('wrapped', wrapped, false); }
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['bare', 'wrapped'] : ['wrapped', 'bare'];
  for (const name of order) await round(name, name === 'bare' ? bare : wrapped, true);
}
const stats = (name) => {
  const sorted = samples[name].sort((a, b) => a - b);
  return { meanNs: Number(totals[name]) / sorted.length, p50Ns: sorted[Math.floor(sorted.length / 2)], p99Ns: sorted[Math.floor(sorted.length * 0.99)], invocations: sorted.length };
};
process.stdout.write(JSON.stringify({ bare: stats('bare'), wrapped: stats('wrapped'), checksum }));
`;

const spawnProgram = `
const { spawnSync } = require('node:child_process');
const count = Number(process.argv[2]);
const warmup = Number(process.argv[3]);
let failed = 0;
for (let i = 0; i < warmup; i++) if (spawnSync('/bin/true').status !== 0) failed++;
const times = [];
for (let i = 0; i < count; i++) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/bin/true');
  times.push(Number(process.hrtime.bigint() - started));
  if (result.status !== 0 || result.error) failed++;
}
const sorted = [...times].sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ totalNs: times.reduce((a, b) => a + b, 0), spawns: count, p50Ns: sorted[Math.floor(count / 2)], failed }));
`;

const coldProgram = 'process.stdout.write(JSON.stringify({ firstUserCodeMs: performance.now() }))';

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function runChild(args: readonly string[], env: NodeJS.ProcessEnv): unknown {
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`child exited with ${String(result.status)}: ${result.stderr.slice(0, 2000)}`);
  return JSON.parse(result.stdout) as unknown;
}

interface WrapperStats {
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly invocations: number;
}

interface SpawnRun {
  readonly totalNs: number;
  readonly spawns: number;
  readonly p50Ns: number;
  readonly failed: number;
}

async function run(context: SuiteContext): Promise<Record<string, unknown>> {
  const { log, quick } = context;
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-protection-'));
  try {
    log('protection: building the layer');
    const layer = await buildProtectionLayer(join(work, 'opt'));
    const preload = join(layer, 'preload.cjs');
    const protectUrl = pathToFileURL(join(layer, 'protect.mjs')).href;
    const bundlePath = join(work, 'bundle.json');
    writeFileSync(bundlePath, JSON.stringify(benchBundle()));
    const home = join(work, 'home');
    mkdirSync(home, { recursive: true });
    const wrapperPath = join(work, 'wrapper-bench.mjs');
    writeFileSync(wrapperPath, wrapperProgram);
    const spawnPath = join(work, 'spawn-bench.cjs');
    writeFileSync(spawnPath, spawnProgram);
    // Without VIGIL_ENDPOINT nothing is fetched: the embedded bundle alone is enforced.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      AWS_REGION: 'eu-west-1',
      VIGIL_SNAPSHOT: bundlePath,
      VIGIL_HONEYPOT_FILE: join(home, '.aws', 'credentials'),
    };

    // 1. Warm per-invocation overhead of protect(handler).
    const perRound = quick ? 500 : 2_000;
    const rounds = quick ? 4 : 10;
    log(`protection: wrapper, ${rounds} rounds x ${perRound} invocations per variant`);
    const wrapper = runChild([wrapperPath, protectUrl, String(perRound), String(rounds)], env) as { bare: WrapperStats; wrapped: WrapperStats };
    const overheadMeanUs = (wrapper.wrapped.meanNs - wrapper.bare.meanNs) / 1_000;
    const overheadP50Us = (wrapper.wrapped.p50Ns - wrapper.bare.p50Ns) / 1_000;
    const wrapperSection = {
      description: 'async handler returning event.n + 1, awaited one invocation at a time; bare and protect()-wrapped alternate in rounds, after two unrecorded rounds each',
      invocationsPerVariant: wrapper.bare.invocations,
      bare: { meanUs: round2(wrapper.bare.meanNs / 1_000), p50Us: round2(wrapper.bare.p50Ns / 1_000), p99Us: round2(wrapper.bare.p99Ns / 1_000) },
      wrapped: { meanUs: round2(wrapper.wrapped.meanNs / 1_000), p50Us: round2(wrapper.wrapped.p50Ns / 1_000), p99Us: round2(wrapper.wrapped.p99Ns / 1_000) },
      overheadMeanUs: round2(overheadMeanUs),
      overheadP50Us: round2(overheadP50Us),
    };
    log(`protection: wrapper overhead ${wrapperSection.overheadMeanUs} µs mean, ${wrapperSection.overheadP50Us} µs p50`);

    // 2. spawnSync('/bin/true') with and without the preload's hooks, child processes alternating.
    const spawnChunks = quick ? 1 : 3;
    const spawnsPerChunk = quick ? 30 : 100;
    const spawnWarmup = quick ? 5 : 20;
    const spawnRuns = { hooked: [] as SpawnRun[], plain: [] as SpawnRun[] };
    log(`protection: spawn, ${spawnChunks} x ${spawnsPerChunk} spawns per variant`);
    for (let c = 0; c < spawnChunks; c++) {
      const order = c % 2 === 0 ? (['hooked', 'plain'] as const) : (['plain', 'hooked'] as const);
      for (const variant of order) {
        const args = [...(variant === 'hooked' ? ['--require', preload] : []), spawnPath, String(spawnsPerChunk), String(spawnWarmup)];
        spawnRuns[variant].push(runChild(args, env) as SpawnRun);
      }
    }
    const spawnMeanUs = (runs: readonly SpawnRun[]) => runs.reduce((sum, r) => sum + r.totalNs, 0) / runs.reduce((sum, r) => sum + r.spawns, 0) / 1_000;
    const hookedMean = spawnMeanUs(spawnRuns.hooked);
    const plainMean = spawnMeanUs(spawnRuns.plain);
    const spawnRatio = hookedMean / plainMean;
    const spawnSection = {
      description: "spawnSync('/bin/true') in a child process with `--require preload.cjs` (bundle allows true, blocks curl/wget) vs one without; child processes alternate",
      spawnsPerVariant: spawnChunks * spawnsPerChunk,
      warmupSpawnsPerProcess: spawnWarmup,
      hooked: { meanUs: round1(hookedMean), p50UsPerProcess: spawnRuns.hooked.map((r) => round1(r.p50Ns / 1_000)), failed: spawnRuns.hooked.reduce((s, r) => s + r.failed, 0) },
      plain: { meanUs: round1(plainMean), p50UsPerProcess: spawnRuns.plain.map((r) => round1(r.p50Ns / 1_000)), failed: spawnRuns.plain.reduce((s, r) => s + r.failed, 0) },
      ratio: round2(spawnRatio),
      addedUs: round1(hookedMean - plainMean),
    };
    log(`protection: spawn ${spawnSection.hooked.meanUs} µs hooked vs ${spawnSection.plain.meanUs} µs plain (${spawnSection.ratio}x)`);

    // 3. Cold start: performance.now() at the first user code, with and without the preload.
    const coldRuns = quick ? 4 : 15;
    const cold = { preload: [] as number[], plain: [] as number[] };
    log(`protection: cold start, ${coldRuns} runs per variant`);
    runChild(['-e', coldProgram], env); // one unrecorded run: file system caches
    for (let r = 0; r < coldRuns; r++) {
      const order = r % 2 === 0 ? (['preload', 'plain'] as const) : (['plain', 'preload'] as const);
      for (const variant of order) {
        const args = [...(variant === 'preload' ? ['--require', preload] : []), '-e', coldProgram];
        cold[variant].push((runChild(args, env) as { firstUserCodeMs: number }).firstUserCodeMs);
      }
    }
    const coldAdded = median(cold.preload) - median(cold.plain);
    const coldSection = {
      description: 'performance.now() (ms since process start) printed by `node -e` as its first user code, with and without `--require preload.cjs`; variants alternate',
      runsPerVariant: coldRuns,
      preloadMedianMs: round2(median(cold.preload)),
      plainMedianMs: round2(median(cold.plain)),
      addedMs: round2(coldAdded),
      preloadRunsMs: cold.preload.map(round2),
      plainRunsMs: cold.plain.map(round2),
    };
    log(`protection: cold start +${coldSection.addedMs} ms`);

    const goals = {
      wrapperOverhead: {
        description: 'mean µs per invocation, protect()-wrapped minus bare handler',
        target: `<= ${GOALS.wrapperOverheadUsMax} µs`,
        measured: wrapperSection.overheadMeanUs,
        pass: overheadMeanUs <= GOALS.wrapperOverheadUsMax,
      },
      spawnRatio: {
        description: "mean spawnSync('/bin/true') with the preload's hooks divided by without",
        target: `<= ${GOALS.spawnRatioMax}`,
        measured: spawnSection.ratio,
        pass: spawnRatio <= GOALS.spawnRatioMax,
      },
      coldStartAdded: {
        description: 'median ms to the first user code with the preload minus without',
        target: `<= ${GOALS.coldStartAddedMsMax} ms`,
        measured: coldSection.addedMs,
        pass: coldAdded <= GOALS.coldStartAddedMsMax,
      },
    };
    return {
      description: 'Protection layer overhead: protect() per warm invocation, spawnSync with the preload hooks, cold start of the preload.',
      parameters: { quick, node: process.version, bundlePolicies: ['bench-allow-true (blockAllProcesses, allows true)', 'bench-no-curl (blockedExecutables curl, wget)'] },
      wrapper: wrapperSection,
      spawn: spawnSection,
      coldStart: coldSection,
      goals,
      allGoalsPass: Object.values(goals).every((g) => g.pass),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const protectionSuite: BenchSuite = {
  name: 'protection',
  description: 'protection layer: wrapper overhead, spawn hooks, preload cold start',
  run,
};
