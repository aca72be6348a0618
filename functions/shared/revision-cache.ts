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
      throw error;
    }
  }
}
