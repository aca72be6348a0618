/** A benchmark suite: run by bench/run.ts, contributing one section of the JSON document. */

export interface SuiteContext {
  /** Fewer and shorter rounds: a smoke run, not a measurement. */
  readonly quick: boolean;
  readonly seed: number;
  /** Progress for people: goes to stderr, never into the JSON document. */
  readonly log: (message: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Returns the suite's section of the results document (plain JSON data). */
  run(context: SuiteContext): Promise<Record<string, unknown>> | Record<string, unknown>;
}
