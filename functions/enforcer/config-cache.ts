import type { ConfigSnapshot, EnforcerGroup } from '../../layers/core/index.js';
import type { ConfigStore, Stored } from '../shared/storage/ports.js';

/** What the enforcer API answers from: the configuration snapshot and the groups by token hash. */
export interface EnforcerConfig {
  readonly revision: number;
  /** Token hashes are not in here (loadSnapshot strips them). */
  readonly snapshot: ConfigSnapshot;
  /** sha256 hex of a group token → the group. */
  readonly groupsByTokenHash: ReadonlyMap<string, EnforcerGroup & { readonly tokenHash: string }>;
}

export interface EnforcerConfigCacheOptions {
  /** How often the revision is re-checked; token rotations and policy changes show within this bound. */
  readonly recheckMs: number;
  readonly now?: () => number;
  readonly onRefreshError?: (error: unknown) => void;
}

async function listAllGroups(store: ConfigStore): Promise<Array<Stored<'enforcerGroup'>>> {
  const groups: Array<Stored<'enforcerGroup'>> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list('enforcerGroup', { limit: 500, cursor });
    groups.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return groups;
}

/** Loads the snapshot and the groups with their token hashes. */
export async function loadEnforcerConfig(store: ConfigStore): Promise<EnforcerConfig> {
  // The snapshot reads the revision first: what is loaded can only look older than it is, so a change
  // made meanwhile is picked up at the next re-check.
  const [snapshot, groups] = await Promise.all([store.loadSnapshot(), listAllGroups(store)]);
  return { revision: snapshot.revision, snapshot, groupsByTokenHash: new Map(groups.map((group) => [group.tokenHash, group])) };
}

/**
 * The last-known-good configuration of this instance, in the manner of the webhook's DecisionConfigCache:
 * warm calls read nothing; at most once per `recheckMs` one call reads the revision and reloads only when
 * it changed. When storage fails, the cached configuration keeps serving; without one, the error escapes.
 */
export class EnforcerConfigCache {
  private current: EnforcerConfig | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<EnforcerConfig> | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly options: EnforcerConfigCacheOptions,
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async get(): Promise<EnforcerConfig> {
    const cached = this.current;
    if (cached && this.now() - this.checkedAt < this.options.recheckMs) return cached;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    try {
      return await this.refreshing;
    } catch (error) {
      if (!this.current) throw error;
      this.options.onRefreshError?.(error);
      return this.current;
    }
  }

  private async refresh(): Promise<EnforcerConfig> {
    try {
      const revision = await this.store.revision();
      if (this.current && this.current.revision === revision) {
        this.checkedAt = this.now();
        return this.current;
      }
      const loaded = await loadEnforcerConfig(this.store);
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
