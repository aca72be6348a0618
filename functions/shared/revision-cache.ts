import { TIMED_OUT, within } from './deadline.js';
import type { ConfigStore } from './storage/ports.js';

/** Raised when there is no configuration to serve: nothing cached and storage unreachable in time. */
export class NoConfigurationError extends Error {
  override readonly name = 'NoConfigurationError';
}

export interface RevisionCacheOptions {
  /** How often the revision is re-checked; configuration changes become visible within this bound. */
  readonly recheckMs: number;
  readonly now?: () => number;
  readonly onRefreshError?: (error: unknown) => void;
  /**
   * How long the call that starts a refresh waits for it when a cached value could serve instead; calls that
   * find a refresh already in flight serve the cached value at once (stale-while-revalidate), so that a stalled
   * storage delays at most this much, once per refresh.
   * @default the call's whole budget
   */
  readonly revalidateWaitMs?: number;
}

/**
 * The last-known-good configuration of one Lambda instance, derived from the config table. Warm calls read
 * nothing; at most once per `recheckMs` one call reads the revision (one item) and reloads only when it
 * changed. When storage is slow or down, the cached value keeps serving; without one, NoConfigurationError.
 * `load` gets the revision just read: everything it reads afterwards is at least that new.
 */
export class RevisionCache<T extends { readonly revision: number }, S extends Pick<ConfigStore, 'revision'> = ConfigStore> {
  private current: T | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<T> | undefined;
  private refreshStartedAt = 0;

  constructor(
    private readonly store: S,
    private readonly load: (store: S, revision: number) => Promise<T>,
    private readonly options: RevisionCacheOptions,
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The value to serve, waiting at most `budgetMs` for storage (by default as long as storage takes). */
  async get(budgetMs = Number.POSITIVE_INFINITY): Promise<T> {
    const cached = this.current;
    if (cached && this.now() - this.checkedAt < this.options.recheckMs) return cached;
    // Someone else's refresh is in flight: the cached value serves at once rather than wait for storage.
    if (cached && this.refreshing) return cached;
    if (!this.refreshing) {
      this.refreshStartedAt = this.now();
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.settle(cached ? Math.min(budgetMs, this.options.revalidateWaitMs ?? budgetMs) : budgetMs);
  }

  /**
   * The value once the refresh in flight (if any) is done, waiting at most `budgetMs`: for answers that a
   * stale value could get wrong (a cluster registered a moment ago). Without a refresh in flight, the value.
   */
  async fresh(budgetMs: number): Promise<T> {
    if (!this.refreshing) return this.get(budgetMs);
    return this.settle(budgetMs);
  }

  /** Whether a value was loaded yet: until then every call waits for a load (a cold instance). */
  get hasValue(): boolean {
    return this.current !== undefined;
  }

  /** How long the refresh in flight has been running (0 without one): a long one means storage is stalled. */
  refreshAgeMs(): number {
    return this.refreshing ? this.now() - this.refreshStartedAt : 0;
  }

  private async settle(waitMs: number): Promise<T> {
    try {
      const result = await within(this.refreshing ?? Promise.resolve(this.current as T), waitMs);
      if (result !== TIMED_OUT && result !== undefined) return result;
    } catch {
      // Reported by refresh() itself, whoever waited for it; the cached value serves.
    }
    if (this.current) return this.current;
    throw new NoConfigurationError('no configuration cached and storage did not answer in time');
  }

  private async refresh(): Promise<T> {
    try {
      const revision = await this.store.revision();
      if (this.current && this.current.revision === revision) {
        this.checkedAt = this.now();
        return this.current;
      }
      const loaded = await this.load(this.store, revision);
      this.current = loaded;
      this.checkedAt = this.now();
      return loaded;
    } catch (error) {
      // Back off for one interval rather than hammering a failing table on every request.
      this.checkedAt = this.now();
      this.options.onRefreshError?.(error);
      throw error;
    }
  }
}
