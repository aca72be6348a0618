import { compileSnapshot, decidingPolicy, planSnapshot, type CompiledSnapshot, type SnapshotPlan } from '../../layers/core/zod-free.js';
import { RevisionCache, type RevisionCacheOptions } from './revision-cache.js';
import { DecisionDocumentTooLargeError } from './storage/DynamoDecisionSnapshots.js';
import type { ConfigStore, DecisionDocument, DecisionSnapshotStore, WebhookCluster } from './storage/ports.js';
import { listAll } from './storage/read-all.js';

/** What the webhook decides from: the compiled configuration and the registered clusters. */
export interface DecisionConfig {
  readonly revision: number;
  readonly snapshot: CompiledSnapshot;
  readonly clusters: ReadonlyMap<string, WebhookCluster>;
}

/** Where the decision configuration comes from, and who hears about a snapshot that could not be used. */
export interface DecisionSources {
  readonly configStore: ConfigStore;
  readonly decisionSnapshots: DecisionSnapshotStore;
  /** A stored snapshot could not be read or written; the items serve instead. */
  readonly onSnapshotError?: (error: unknown) => void;
  /**
   * Told the registered clusters of a configuration before it is compiled, and awaited: the webhook checks
   * the secrets of the reviews waiting for it and starts their pod lookups, whose round trips then overlap
   * the compile.
   */
  readonly beforeCompile?: (clusters: ReadonlyMap<string, WebhookCluster>) => Promise<void> | undefined;
}

async function compileDocument(document: DecisionDocument, beforeCompile: DecisionSources['beforeCompile']): Promise<DecisionConfig> {
  const clusters = new Map(document.clusters.map((c) => [c.name, c]));
  await beforeCompile?.(clusters);
  return { revision: document.revision, snapshot: compileSnapshot(document.config, document.plan), clusters };
}

/**
 * The plan of the configuration, or undefined when it does not compile: the compile below then fails as it
 * always did, with the configuration's own error.
 */
function planOf(config: DecisionDocument['config']): SnapshotPlan | undefined {
  try {
    return planSnapshot(config);
  } catch {
    return undefined;
  }
}

/**
 * Loads what decisions need as of `revision` (just read by the caller): the stored snapshot of that revision
 * when there is one, else every configuration item, offering the snapshot afterwards to the instances that
 * come next (stored only if the revision did not move while the items were read, docs/adr/0005).
 * @param read what a cold instance read with the revision (loadCurrent): its newest document is used when it is of
 *   that revision; when it is not, the revision's own document is put back as the copy for the cold starts to come
 *   (after an upgrade from a version that kept none, or a save by that version, which removes it)
 */
export async function loadDecisionConfig(
  sources: DecisionSources,
  revision: number,
  read?: { readonly newest: DecisionDocument | undefined },
): Promise<DecisionConfig> {
  const { configStore, decisionSnapshots, onSnapshotError, beforeCompile } = sources;
  const stored =
    read?.newest?.revision === revision
      ? read.newest
      : await decisionSnapshots.load(revision, { restoreNewestCopy: read !== undefined }).catch((error: unknown) => {
          onSnapshotError?.(error);
          return undefined;
        });
  if (stored) return compileDocument(stored, beforeCompile);

  const [config, clusters] = await Promise.all([configStore.loadSnapshot(), listAll(configStore, 'cluster')]);
  // Everything was read after `revision` was: the content is at least that new, so labelling it with
  // `revision` can only make a cache reload sooner, never keep a stale state. It is exactly `revision` when
  // the revision has not moved since, and only then does `save` store it for others.
  // The webhook decides container requests only: other policies would be compiled (and stored) for nothing.
  const decisionConfig = {
    ...config,
    revision,
    policies: config.policies.filter((policy) => policy.type === 'container').map(decidingPolicy),
  };
  const document: DecisionDocument = {
    revision,
    config: decisionConfig,
    clusters: clusters.map(({ name, enforcerGroup, secretHash }) => ({ name, enforcerGroup, secretHash })),
    plan: planOf(decisionConfig),
  };
  await decisionSnapshots
    .save(document)
    .catch(async (error: unknown) => {
      // The plan only saves work: a document too large with it is still worth storing without it.
      if (!(error instanceof DecisionDocumentTooLargeError) || !document.plan) throw error;
      await decisionSnapshots.save({ ...document, plan: undefined });
    })
    .catch((error: unknown) => onSnapshotError?.(error));
  return compileDocument(document, beforeCompile);
}

/**
 * The webhook's cache of the decision configuration (see RevisionCache). Until it holds a configuration, it reads
 * the revision together with the newest stored document (loadCurrent: one request, where the revision and then the
 * document would be two round trips, and both at once two requests on two connections in a cold instance). The
 * document is used only if it is of the revision read; documents of a revision never change (docs/adr/0005), so
 * reading it with the revision is as exact as reading it after.
 */
export class DecisionConfigCache extends RevisionCache<DecisionConfig, Pick<DecisionSources['configStore'], 'revision'>> {
  constructor(sources: DecisionSources, options: RevisionCacheOptions) {
    let loaded = false;
    let read: Promise<{ readonly newest: DecisionDocument | undefined } | undefined> | undefined;
    const readCurrent = sources.decisionSnapshots.loadCurrent?.bind(sources.decisionSnapshots);
    super(
      {
        revision: () => {
          if (loaded || !readCurrent) {
            read = undefined;
            return sources.configStore.revision();
          }
          const current = readCurrent();
          read = current.then(
            ({ newest }) => ({ newest }),
            () => undefined,
          );
          return current.then(({ revision }) => revision);
        },
      },
      async (_store, revision) => {
        const config = await loadDecisionConfig(sources, revision, await read);
        loaded = true;
        return config;
      },
      options,
    );
  }
}
