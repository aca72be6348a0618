import type { ConfigSnapshot, EnforcerGroup } from '../../layers/core/index.js';
import { RevisionCache, type RevisionCacheOptions } from '../shared/revision-cache.js';
import type { ConfigStore } from '../shared/storage/ports.js';
import { listAll } from '../shared/storage/read-all.js';

/** What the enforcer API answers from: the configuration snapshot and the groups by token hash. */
export interface EnforcerConfig {
  readonly revision: number;
  /** Token hashes are not in here (loadSnapshot strips them). */
  readonly snapshot: ConfigSnapshot;
  /** sha256 hex of a group token, or of a cluster's node-agent token → the group it authenticates as. */
  readonly groupsByTokenHash: ReadonlyMap<string, EnforcerGroup & { readonly tokenHash: string }>;
  /** sha256 hex of a cluster's node-agent token → that cluster's name: such a token acts for its cluster only. */
  readonly clustersByTokenHash: ReadonlyMap<string, string>;
}

/** Loads the snapshot and the groups with their token hashes. */
export async function loadEnforcerConfig(store: ConfigStore): Promise<EnforcerConfig> {
  // The snapshot reads the revision first: what is loaded can only look older than it is, so a change
  // made meanwhile is picked up at the next re-check.
  const [snapshot, groups, clusters] = await Promise.all([
    store.loadSnapshot(),
    listAll(store, 'enforcerGroup'),
    listAll(store, 'cluster'),
  ]);
  const groupsByTokenHash = new Map(groups.map((group) => [group.tokenHash, group]));
  const byName = new Map(groups.map((group) => [group.name, group]));
  const clustersByTokenHash = new Map<string, string>();
  for (const cluster of clusters) {
    const group = cluster.nodeAgent ? byName.get(cluster.nodeAgent.enforcerGroup) : undefined;
    // A node-agent token acts only for an agent group; the compared hash is the cluster's own.
    if (group?.type === 'agent' && cluster.nodeAgentTokenHash) {
      groupsByTokenHash.set(cluster.nodeAgentTokenHash, { ...group, tokenHash: cluster.nodeAgentTokenHash });
      clustersByTokenHash.set(cluster.nodeAgentTokenHash, cluster.name);
    }
  }
  return { revision: snapshot.revision, snapshot, groupsByTokenHash, clustersByTokenHash };
}

/** The enforcer API's cache of groups and snapshot (see RevisionCache). */
export class EnforcerConfigCache extends RevisionCache<EnforcerConfig> {
  constructor(store: ConfigStore, options: RevisionCacheOptions) {
    super(store, loadEnforcerConfig, options);
  }
}
