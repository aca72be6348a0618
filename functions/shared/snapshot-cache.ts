import { compileSnapshot, type CompiledSnapshot } from '../../layers/core/index.js';
import { RevisionCache, type RevisionCacheOptions } from './revision-cache.js';
import type { ClusterRecord, ConfigStore, StoredMeta } from './storage/ports.js';
import { listAll } from './storage/read-all.js';

export { NoConfigurationError } from './revision-cache.js';

/** What the webhook decides from: the compiled configuration and the registered clusters. */
export interface DecisionConfig {
  readonly revision: number;
  readonly snapshot: CompiledSnapshot;
  readonly clusters: ReadonlyMap<string, ClusterRecord & StoredMeta>;
}

/** Loads and compiles everything a decision needs, in one consistent-enough read. */
export async function loadDecisionConfig(store: ConfigStore): Promise<DecisionConfig> {
  // loadSnapshot reads the revision first, so the result can only look older than its content, never
  // newer: a change made meanwhile is picked up at the next re-check.
  const [config, clusters] = await Promise.all([store.loadSnapshot(), listAll(store, 'cluster')]);
  return { revision: config.revision, snapshot: compileSnapshot(config), clusters: new Map(clusters.map((c) => [c.name, c])) };
}

/** The webhook's cache of the decision configuration (see RevisionCache). */
export class DecisionConfigCache extends RevisionCache<DecisionConfig> {
  constructor(store: ConfigStore, options: RevisionCacheOptions) {
    super(store, loadDecisionConfig, options);
  }
}
