import { createHash } from 'node:crypto';
import type { EnforcerGroup, NodePolicyCompilation } from '../../layers/core/index.js';
import { NotFoundError } from '../shared/errors.js';
import { compileClusterNodePolicies } from '../shared/node-policies.js';
import type { ConfigStore } from '../shared/storage/ports.js';
import { POLL_INTERVAL_SECONDS } from '../shared/enforcer/bundle.js';
import type { EnforcerConfig } from './config-cache.js';

/** How often the bridge is told to poll `GET /v1/enforcers/node-policies`: a 304 costs no compile. */
export const NODE_POLICY_POLL_SECONDS = 10;

/** What `GET /v1/enforcers/node-policies` answers: the same shape as the admin preview, plus the poll interval. */
export interface NodePolicyAnswer extends NodePolicyCompilation {
  readonly cluster: string;
  readonly group: string;
  readonly revision: number;
  readonly pollIntervalSeconds: number;
  /** How often to heartbeat. */
  readonly heartbeatIntervalSeconds: number;
}

interface CachedAnswer {
  readonly etag: string;
  readonly body: NodePolicyAnswer;
}

/** Compilations kept per function instance: one per (revision, group, cluster) polled lately. */
const MAX_CACHED = 32;

/**
 * The compiled objects of a cluster for an agent group, compiled once per configuration revision.
 *
 * The entity tag is a hash of the objects and the report, not of the revision: a configuration change that
 * does not touch the cluster's objects (a function policy, another cluster) answers 304, so the bridge
 * applies only real changes. A changed compiler (a new deployment) changes the tag by itself.
 */
export class NodePolicyAnswers {
  private readonly cache = new Map<string, CachedAnswer>();

  constructor(private readonly store: ConfigStore) {}

  async get(config: EnforcerConfig, group: EnforcerGroup, cluster: string): Promise<CachedAnswer> {
    const key = `${config.revision}\u0000${group.name}\u0000${cluster}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    // A cluster write bumps the revision, so a deleted cluster is noticed at the next miss.
    if (!(await this.store.get('cluster', cluster)))
      throw new NotFoundError(`cluster "${cluster}" is not registered; register it first (POST /v1/clusters)`);
    const { settings, policies, applicationScopes } = config.snapshot;
    const compiled = compileClusterNodePolicies({ policies, applicationScopes, bypassScopes: settings.bypassScopes }, cluster, group);
    const etag = `"np-${createHash('sha256').update(JSON.stringify(compiled)).digest('hex').slice(0, 32)}"`;
    const answer: CachedAnswer = {
      etag,
      body: {
        cluster,
        group: group.name,
        revision: config.revision,
        ...compiled,
        pollIntervalSeconds: NODE_POLICY_POLL_SECONDS,
        heartbeatIntervalSeconds: POLL_INTERVAL_SECONDS,
      },
    };
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, answer);
    return answer;
  }
}
