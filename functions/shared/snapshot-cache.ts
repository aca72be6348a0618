import { compileSnapshot, type CompiledSnapshot } from '../../layers/core/index.js';
import type { ClusterRecord, ConfigStore, StoredMeta } from './storage/ports.js';

/** What the webhook decides from: the compiled configuration and the registered clusters. */
export interface DecisionConfig {
  readonly revision: number;
  readonly snapshot: CompiledSnapshot;
  readonly clusters: ReadonlyMap<string, ClusterRecord & StoredMeta>;
}

/** Raised when there is no configuration to decide from: nothing cached and storage unreachable in time. */
export class NoConfigurationError extends Error {
  override readonly name = 'NoConfigurationError';
}

export interface ConfigCacheOptions {
  /** How often the revision is re-checked; configuration changes become visible within this bound. */
  readonly recheckMs: number;
  readonly now?: () => number;
  readonly onRefreshError?: (error: unknown) => void;
}

/** Loads and compiles everything a decision needs, in one consistent-enough read. */
export async function loadDecisionConfig(store: ConfigStore): Promise<DecisionConfig> {
  // loadSnapshot reads the revision first, so the result can only look older than its content, never
  // newer: a change made meanwhile is picked up at the next re-check.
  const [config, clusters] = await Promise.all([store.loadSnapshot(), listAllClusters(store)]);
  return { revision: config.revision, snapshot: compileSnapshot(config), clusters: new Map(clusters.map((c) => [c.name, c])) };
}

async function listAllClusters(store: ConfigStore): Promise<Array<ClusterRecord & StoredMeta>> {
  const clusters: Array<ClusterRecord & StoredMeta> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list('cluster', { limit: 500, cursor });
    clusters.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return clusters;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (ms <= 0) return Promise.resolve(TIMED_OUT);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
const TIMED_OUT = Symbol('timed out');

/**
 * The last-known-good decision configuration of this instance. Warm calls read nothing; at most once per
 * `recheckMs` one call reads the revision (one item) and reloads only when it changed. When storage is
 * slow or down, the cached configuration keeps serving; without one, NoConfigurationError.
 */
export class DecisionConfigCache {
  private current: DecisionConfig | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<DecisionConfig> | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly options: ConfigCacheOptions,
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The configuration to decide from, waiting at most `budgetMs` for storage. */
  async get(budgetMs: number): Promise<DecisionConfig> {
    const cached = this.current;
    if (cached && this.now() - this.checkedAt < this.options.recheckMs) return cached;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    try {
      const result = await within(this.refreshing, budgetMs);
      if (result !== TIMED_OUT) return result;
    } catch (error) {
      this.options.onRefreshError?.(error);
    }
    if (this.current) return this.current;
    throw new NoConfigurationError('no configuration cached and storage did not answer in time');
  }

  private async refresh(): Promise<DecisionConfig> {
    try {
      const revision = await this.store.revision();
      if (this.current && this.current.revision === revision) {
        this.checkedAt = this.now();
        return this.current;
      }
      const loaded = await loadDecisionConfig(this.store);
      this.current = loaded;
      this.checkedAt = this.now();
      return loaded;
    } catch (error) {
      // Back off for one interval rather than hammering a failing table on every request.
      this.checkedAt = this.now();
      throw error;
    }
  }
}
