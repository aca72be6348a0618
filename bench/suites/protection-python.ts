/**
 * The protection layer's Python package (layers/protection/python, ADR 0018), measured in child python3
 * processes as the Node layer is measured in child Node processes:
 *   handler    warm cost of a handler under the protection (vigil.bootstrap's per-invocation path: protect())
 *              against the bare handler, in one process, with the rule table applied and the native guard loaded
 *   coldStart  a runtime stand-in importing the handler named by _HANDLER: vigil.bootstrap.handler (which
 *              installs the protection, then imports the function's module) against the function's module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import {
  compileFunctionRules,
  compileSnapshot,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  workloadAttributes,
} from '../../layers/core/index.js';
import type { SuiteContext } from '../suite.js';

/** The rule table the enforcer API would serve for the bench function: the Node bench's two enforcing policies. */
function benchRuleTable(): unknown {
  const group = enforcerGroupSchema.parse({ name: 'bench', type: 'nano_enforcer', enforce: true });
  const policy = (name: string, controls: Record<string, unknown>) =>
    policySchema.parse({ name, type: 'function', enforcementMode: 'enforce', controls });
  const snapshot = compileSnapshot({
    revision: 1,
    policies: [
      policy('bench-allow-true', { blockAllProcesses: { enabled: true, allowedExecutables: ['true', '/bin/true'] } }),
      policy('bench-no-curl', { blockedExecutables: { enabled: true, executables: ['curl', 'wget'] } }),
    ],
    applicationScopes: [],
    settings: enforcerSettingsSchema.parse({}),
    groups: [group],
  });
  const workload = workloadAttributes(
    { 'function.name': 'orders-py', 'function.runtime': 'python3.11', 'cloud.region': 'eu-west-1', 'enforcer.group': 'bench' },
    {},
  );
  return compileFunctionRules({ bundle: { revision: 1, snapshot, group }, workload });
}

// Child programs: each prints one JSON document on stdout.
const handlerProgram = `
import json, sys, time
from vigil.protection import Protection
from vigil.rules import RuleTable
from vigil import protect

per_round, rounds = int(sys.argv[1]), int(sys.argv[2])
protection = Protection.shared()
with open(sys.argv[3]) as f:
    protection._apply(RuleTable(json.load(f)))  # as a fetch applies it: the guard's table written too

class Context:
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders-py"
    aws_request_id = "bench"

def bare(event, context):
    return event["n"] + 1

wrapped = protect(bare)
context = Context()
samples = {"bare": [], "wrapped": []}
checksum = 0
clock = time.perf_counter_ns

def round_of(name, fn, record):
    global checksum
    out = samples[name]
    for i in range(per_round):
        started = clock()
        checksum += fn({"n": i}, context)
        elapsed = clock() - started
        if record:
            out.append(elapsed)

for _ in range(2):
    round_of("bare", bare, False)
    round_of("wrapped", wrapped, False)
for r in range(rounds):
    for name in (("bare", "wrapped") if r % 2 == 0 else ("wrapped", "bare")):
        round_of(name, bare if name == "bare" else wrapped, True)

def stats(name):
    values = sorted(samples[name])
    return {"meanNs": sum(values) / len(values), "p50Ns": values[len(values) // 2], "p99Ns": values[int(len(values) * 0.99)], "invocations": len(values)}

json.dump({"bare": stats("bare"), "wrapped": stats("wrapped"), "checksum": checksum, "guard": protection.guard is not None and protection.guard.owner}, sys.stdout)
`;

// The runtime's part of a cold start up to the first invocation, as the managed runtime does it: import the
// module _HANDLER names and look the function up. AWS's runtime interface client has imported http.client and
// json (its Runtime API client and marshaller) before it loads the handler; so does this stand-in.
const coldRuntime = `
import http.client, importlib, json, os, sys, time
module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), function_name)
json.dump({"readyCpuMs": time.process_time() * 1000}, sys.stdout)
`;

const coldApp = `
def handler(event, context):
    return event
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** The machine's python3 by its real path, or undefined when there is none. */
function pythonExecutable(): string | undefined {
  const found = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function runPython(python: string, args: readonly string[], env: NodeJS.ProcessEnv): { out: unknown; wallMs: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync(python, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`python3 exited with ${String(result.status)}: ${result.stderr.slice(0, 2000)}`);
  return { out: JSON.parse(result.stdout) as unknown, wallMs };
}

interface HandlerStats {
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly invocations: number;
}

export interface PythonMeasurement {
  readonly section: Record<string, unknown>;
  readonly handlerOverheadUs: number;
  /** CPU ms added before the handler is ready (the goal); the wall difference is in the section. */
  readonly coldStartAddedCpuMs: number;
}

/**
 * Measures the Python package of a built layer (`layer` holds vigil/; the package is its sibling python/);
 * undefined when the machine has no python3.
 */
export function measurePythonLayer(layer: string, work: string, context: SuiteContext): PythonMeasurement | undefined {
  const python = pythonExecutable();
  if (!python) {
    context.log('protection: python3 not found, the Python layer is not measured');
    return undefined;
  }
  const packageDir = join(layer, '..', 'python');
  const dir = join(work, 'python-bench');
  mkdirSync(dir, { recursive: true });
  const tablePath = join(dir, 'rules.json');
  writeFileSync(tablePath, JSON.stringify(benchRuleTable()));
  writeFileSync(join(dir, 'handler_bench.py'), handlerProgram);
  writeFileSync(join(dir, 'cold_runtime.py'), coldRuntime);
  writeFileSync(join(dir, 'coldapp.py'), coldApp);
  const library = join(layer, 'guard', arch() === 'arm64' ? 'aarch64' : 'x86_64', 'vigil-guard.so');
  // No VIGIL_ENDPOINT: nothing is fetched, as the Node bench fetches nothing; the table is applied directly.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    PYTHONPATH: `${packageDir}:${dir}`,
    PYTHONDONTWRITEBYTECODE: '1',
    AWS_LAMBDA_FUNCTION_NAME: 'orders-py',
    AWS_EXECUTION_ENV: 'AWS_Lambda_python3.11',
    AWS_REGION: 'eu-west-1',
    VIGIL_HONEYPOT_FILE: join(dir, '.aws', 'credentials'),
  };
  const quick = context.quick;

  // 1. Warm per-invocation overhead, with the native guard loaded as vigil-wrapper loads it.
  const perRound = quick ? 500 : 2_000;
  const rounds = quick ? 4 : 10;
  context.log(`protection: python handler, ${rounds} rounds x ${perRound} invocations per variant`);
  const handler = runPython(python, [join(dir, 'handler_bench.py'), String(perRound), String(rounds), tablePath], {
    ...env,
    LD_PRELOAD: library,
    VIGIL_GUARD_DIR: join(dir, 'guard'),
  }).out as { bare: HandlerStats; wrapped: HandlerStats; guard: boolean };
  if (!handler.guard) throw new Error('the native guard was not attached in the Python handler bench');
  const overheadMeanUs = (handler.wrapped.meanNs - handler.bare.meanNs) / 1_000;
  const stat = (s: HandlerStats) => ({ meanUs: round2(s.meanNs / 1_000), p50Us: round2(s.p50Ns / 1_000), p99Us: round2(s.p99Ns / 1_000) });
  const handlerSection = {
    description:
      'a handler returning event["n"] + 1, called one invocation at a time bare and through protect() (the path vigil.bootstrap.handler takes: the account from the invoked ARN, then the guard spool read and the flush check), alternating in rounds after two unrecorded rounds each; the rule table of the two bench policies applied, the native guard loaded with LD_PRELOAD',
    invocationsPerVariant: handler.bare.invocations,
    bare: stat(handler.bare),
    wrapped: stat(handler.wrapped),
    overheadMeanUs: round2(overheadMeanUs),
    overheadP50Us: round2((handler.wrapped.p50Ns - handler.bare.p50Ns) / 1_000),
  };
  context.log(`protection: python handler overhead ${handlerSection.overheadMeanUs} µs mean, ${handlerSection.overheadP50Us} µs p50`);

  // 2. Cold start: the runtime stand-in importing the handler, with the protection and without.
  const coldRuns = quick ? 4 : 15;
  context.log(`protection: python cold start, ${coldRuns} runs per variant`);
  const variants = {
    protected: { ...env, _HANDLER: 'vigil.bootstrap.handler', VIGIL_ORIGINAL_HANDLER: 'coldapp.handler' },
    plain: { ...env, _HANDLER: 'coldapp.handler' },
  };
  const wall = { protected: [] as number[], plain: [] as number[] };
  const cpu = { protected: [] as number[], plain: [] as number[] };
  runPython(python, [join(dir, 'cold_runtime.py')], variants.plain); // one unrecorded run: file system caches
  for (let r = 0; r < coldRuns; r++) {
    const order = r % 2 === 0 ? (['protected', 'plain'] as const) : (['plain', 'protected'] as const);
    for (const variant of order) {
      const { out, wallMs } = runPython(python, [join(dir, 'cold_runtime.py')], variants[variant]);
      wall[variant].push(wallMs);
      cpu[variant].push((out as { readyCpuMs: number }).readyCpuMs);
    }
  }
  const coldAdded = median(wall.protected) - median(wall.plain);
  const coldAddedCpu = median(cpu.protected) - median(cpu.plain);
  const coldSection = {
    description:
      'python3 running a stand-in of the runtime that imports what the runtime interface client imports first (http.client, json), then the module _HANDLER names, looks up the handler and exits: wall ms from spawn to exit measured by the bench and CPU ms (time.process_time) when the handler is ready, with _HANDLER=vigil.bootstrap.handler (the protection installed: audit hooks, the layer modules) against the function module alone; no endpoint (nothing fetched) and no guard (its cost is the guard section); variants alternate. The work is CPU-bound (imports; the package is loaded from the bytecode the layer build ships for this python3, as in Lambda, where /opt is read-only and no .pyc can be written; PYTHONDONTWRITEBYTECODE here); on a shared machine the wall difference is that CPU time stretched by the load',
    runsPerVariant: coldRuns,
    protectedMedianMs: round2(median(wall.protected)),
    plainMedianMs: round2(median(wall.plain)),
    addedCpuMs: round2(coldAddedCpu),
    wallAddedMs: round2(coldAdded),
    protectedRunsMs: wall.protected.map(round2),
    plainRunsMs: wall.plain.map(round2),
  };
  context.log(`protection: python cold start +${coldSection.addedCpuMs} ms CPU (wall +${coldSection.wallAddedMs} ms)`);
  const version = spawnSync(python, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).stdout.trim();
  return {
    section: { python: version, handler: handlerSection, coldStart: coldSection },
    handlerOverheadUs: overheadMeanUs,
    coldStartAddedCpuMs: coldAddedCpu,
  };
}
