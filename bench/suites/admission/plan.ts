// The scenario: what the admission benchmark measures, how long, and the goals the webhook is expected to meet.

/** Thresholds the webhook is expected to meet. */
export const GOALS = {
  inProcessP99UsMax: 1_000,
  httpRequestsPerSecondMin: 1_500,
  httpP99MsMax: 15,
  /** Recorded reviews over local HTTP: at least this share of the write bound measured in the same run. */
  recordedShareOfWriteBoundMin: 0.9,
  coldStartRatioMax: 1.5,
  /** The size budget of the deployed admission bundle: checked by a unit test and reported, not a bench goal. */
  admissionBundleBytesMax: 400_000,
} as const;

export const POLICIES = 1_000;
/** The larger configuration whose cold start is reported beside the goal's (judged at POLICIES). */
export const LARGE_POLICIES = 10_000;
/** Distinct running pods the reviews are about (each created once, then exec'd into). */
export const PODS = 128;
export const CLUSTERS = ['cluster-0', 'cluster-1', 'cluster-2', 'cluster-3'] as const;
export const GROUP = 'bench-ke';
export const TABLE_PREFIX = 'vigil-bench-adm-';
export const SMALL_TABLE_PREFIX = 'vigil-bench-adm-small-';
export const LARGE_TABLE_PREFIX = 'vigil-bench-adm-large-';
export const ACTOR = 'local-admin';
/** The API server's timeout as EKS sends it (the group default is 5 s; 10 s is the Kubernetes default). */
export const TIMEOUT = '10s';
export const CONCURRENCY = 32;
/** Distinct request bodies the load generator rotates through. */
export const LOAD_BODIES = 2_048;

export interface Plan {
  /** Recorded reviews wait for DynamoDB writes: their sampling also stops after `maxMs` per kind. */
  readonly inProcess: {
    readonly warmup: number;
    readonly samples: number;
    readonly maxMs: number;
    readonly dryRunWarmup: number;
    readonly dryRunSamples: number;
  };
  readonly http: { readonly warmupMs: number; readonly measureMs: number; readonly dryRunMs: number; readonly writeCapacityMs: number };
  readonly coldStartRuns: number;
}

export function plan(quick: boolean): Plan {
  return quick
    ? {
        inProcess: { warmup: 50, samples: 200, maxMs: 2_000, dryRunWarmup: 100, dryRunSamples: 400 },
        http: { warmupMs: 1_000, measureMs: 3_000, dryRunMs: 1_000, writeCapacityMs: 1_000 },
        coldStartRuns: 3,
      }
    : {
        inProcess: { warmup: 300, samples: 2_000, maxMs: 6_000, dryRunWarmup: 1_000, dryRunSamples: 5_000 },
        http: { warmupMs: 3_000, measureMs: 20_000, dryRunMs: 5_000, writeCapacityMs: 5_000 },
        coldStartRuns: 10,
      };
}

export const round1 = (value: number): number => Math.round(value * 10) / 10;
export const round2 = (value: number): number => Math.round(value * 100) / 100;
export const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
