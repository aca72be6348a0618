import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import {
  DecisionConfigCache,
  loadDecisionConfig,
  type DecisionConfig,
  type DecisionSources,
} from '../../../functions/shared/snapshot-cache.js';
import { DynamoDecisionSnapshots } from '../../../functions/shared/storage/DynamoDecisionSnapshots.js';
import type { ConfigStore, DecisionSnapshotStore } from '../../../functions/shared/storage/ports.js';
import { admissionContext, decide, parseAdmissionReview, planSnapshot, SNAPSHOT_PLAN_FORMAT } from '../../../layers/core/index.js';
import { readFixture } from '../../support/fixtures.js';
import { useTables } from '../../support/use-tables.js';

// How a webhook instance gets its decision configuration: from the snapshot stored for the current revision,
// or from the configuration items, storing the snapshot only when it is exactly that revision (ADR 0005).

const db = useTables();
let snapshots: DynamoDecisionSnapshots;

beforeAll(async () => {
  const runtime = createRuntime(
    { mode: 'local', tablePrefix: db.prefix, dynamodbEndpoint: db.endpoint, adminToken: 'decision-config-admin-token' },
    { configStore: db.configStore, auditStore: db.auditStore },
  );
  await bootstrap(runtime);
  await db.configStore.apply(
    [
      { op: 'create', kind: 'cluster', name: 'prod', doc: { name: 'prod', enforcerGroup: 'default-ke', secretHash: 'a'.repeat(64) } },
      {
        op: 'create',
        kind: 'policy',
        name: 'exec-guard',
        doc: {
          name: 'exec-guard',
          type: 'container',
          enabled: true,
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: '', variables: [] },
          controls: { blockContainerExec: { enabled: true, allowedProcesses: [] } },
          enforcementModeChange: null,
        },
      },
      {
        op: 'create',
        kind: 'policy',
        name: 'no-processes',
        doc: {
          name: 'no-processes',
          type: 'function',
          enabled: true,
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: '', variables: [] },
          controls: { blockAllProcesses: { enabled: true, allowedExecutables: [] } },
          enforcementModeChange: null,
        },
      },
    ],
    'test',
  );
  snapshots = new DynamoDecisionSnapshots(db.clients.document, db.tables.config.TableName);
});

/** The config store, counting the full loads and running `beforeLoad` first when set. */
function countingStore(beforeLoad?: () => Promise<unknown>) {
  const counts = { loadSnapshot: 0 };
  const store: ConfigStore = Object.create(db.configStore) as ConfigStore;
  store.loadSnapshot = async () => {
    counts.loadSnapshot++;
    await beforeLoad?.();
    return db.configStore.loadSnapshot();
  };
  return { store, counts };
}

/** The verdict for `kubectl exec … -- sh` into default/test-nginx in cluster prod, from a configuration. */
function execVerdict(config: DecisionConfig) {
  const group = config.snapshot.groups.get(config.clusters.get('prod')!.enforcerGroup)!;
  const context = admissionContext(parseAdmissionReview(readFixture('admission', 'exec-guard', 'denied', 'exec-sh.json')), {
    cluster: 'prod',
    group,
  });
  if (context.kind !== 'decide') throw new Error('the fixture should be decided');
  return decide(config.snapshot, context.request).violations.map(({ policy, control, status }) => ({ policy, control, status }));
}

describe('loadDecisionConfig', () => {
  it('loads the items once, stores the snapshot of that revision, and the next instance decides from the snapshot alone', async () => {
    const revision = await db.configStore.revision();
    const first = countingStore();
    const loaded = await loadDecisionConfig({ configStore: first.store, decisionSnapshots: snapshots }, revision);
    expect(first.counts.loadSnapshot).toBe(1);
    const stored = await snapshots.load(revision);
    expect(stored?.revision).toBe(revision);
    // Only what the webhook decides: container policies, and of each only the fields decisions read (not the
    // timestamps, who changed it or a scheduled mode change, which the stored item has).
    expect(stored?.config.policies.map((policy) => policy.name)).toEqual(['exec-guard']);
    expect(Object.keys(stored!.config.policies[0]!).sort()).toEqual([
      'controls',
      'enabled',
      'enforcementMode',
      'name',
      'scope',
      'type',
      'version',
    ]);
    // With the plan of its compilation, exactly as the pure planner makes it from the stored configuration.
    expect(stored?.plan).toEqual(JSON.parse(JSON.stringify(planSnapshot(stored!.config))));
    expect(stored?.plan).toMatchObject({ format: SNAPSHOT_PLAN_FORMAT, revision, policies: [{ ordinal: 0 }] });

    const next = countingStore();
    const fromSnapshot = await loadDecisionConfig({ configStore: next.store, decisionSnapshots: snapshots }, revision);
    expect(next.counts.loadSnapshot).toBe(0);
    expect(fromSnapshot.revision).toBe(revision);
    expect(fromSnapshot.clusters).toEqual(loaded.clusters);
    expect([...fromSnapshot.snapshot.groups]).toEqual([...loaded.snapshot.groups]);
    expect(fromSnapshot.snapshot.settings).toEqual(loaded.snapshot.settings);
    expect(execVerdict(fromSnapshot)).toEqual([{ policy: 'exec-guard', control: 'blockContainerExec', status: 'Detect' }]);
    expect(execVerdict(fromSnapshot)).toEqual(execVerdict(loaded));
  });

  it('never uses the snapshot of an older revision', async () => {
    const before = await db.configStore.revision();
    await loadDecisionConfig({ configStore: db.configStore, decisionSnapshots: snapshots }, before);
    const group = await db.configStore.get('enforcerGroup', 'default-ke');
    await db.configStore.apply([{ op: 'replace', kind: 'enforcerGroup', name: 'default-ke', doc: { ...group!, enforce: true } }], 'test');
    const revision = await db.configStore.revision();

    const { store, counts } = countingStore();
    const config = await loadDecisionConfig({ configStore: store, decisionSnapshots: snapshots }, revision);
    expect(counts.loadSnapshot).toBe(1);
    expect(execVerdict(config)).toEqual([{ policy: 'exec-guard', control: 'blockContainerExec', status: 'Block' }]);
    expect(await snapshots.load(before)).toBeUndefined();
  });

  it('stores nothing when the revision moves while the items are read, and labels what it read with the older revision', async () => {
    // A revision nobody has stored a snapshot for yet.
    await db.configStore.apply(
      [{ op: 'create', kind: 'cluster', name: 'qa', doc: { name: 'qa', enforcerGroup: 'default-ke', secretHash: 'c'.repeat(64) } }],
      'test',
    );
    const revision = await db.configStore.revision();
    const { store } = countingStore(() =>
      db.configStore.apply(
        [
          {
            op: 'create',
            kind: 'cluster',
            name: 'staging',
            doc: { name: 'staging', enforcerGroup: 'default-ke', secretHash: 'b'.repeat(64) },
          },
        ],
        'test',
      ),
    );
    const config = await loadDecisionConfig({ configStore: store, decisionSnapshots: snapshots }, revision);
    // The cache compares this label with the revision at its next check, sees a newer one and reloads.
    expect(config.revision).toBe(revision);
    expect(await db.configStore.revision()).toBeGreaterThan(revision);
    expect(await snapshots.load(revision)).toBeUndefined();
  });

  it('loads the items when the stored snapshot cannot be read, and says so', async () => {
    const revision = await db.configStore.revision();
    const failures: unknown[] = [];
    const unreadable: DecisionSnapshotStore = {
      load: () => Promise.reject(new Error('storage is unavailable')),
      save: () => Promise.resolve(false),
    };
    const sources: DecisionSources = {
      configStore: db.configStore,
      decisionSnapshots: unreadable,
      onSnapshotError: (error) => failures.push(error),
    };
    const config = await loadDecisionConfig(sources, revision);
    expect(config.clusters.has('prod')).toBe(true);
    expect(failures).toHaveLength(1);
  });
});

describe('DecisionConfigCache', () => {
  /** The stored snapshots and the revision, recording each read as it starts and ends. */
  function recordingSources() {
    const reads: string[] = [];
    const decisionSnapshots: DecisionSnapshotStore = {
      load: async (revision, options) => {
        reads.push(`load ${revision}${options?.restoreNewestCopy ? ', restoring the copy' : ''}`);
        return snapshots.load(revision, options);
      },
      loadCurrent: async () => {
        reads.push('current: start');
        const current = await snapshots.loadCurrent();
        reads.push(`current: ${current.revision}, newest ${current.newest?.revision ?? 'none'}`);
        return current;
      },
      save: (document) => snapshots.save(document),
    };
    const configStore: ConfigStore = Object.create(db.configStore) as ConfigStore;
    configStore.revision = async () => {
      reads.push('revision: start');
      const revision = await db.configStore.revision();
      reads.push(`revision: ${revision}`);
      return revision;
    };
    return { reads, sources: { configStore, decisionSnapshots } satisfies DecisionSources };
  }

  it('reads the revision with the newest stored snapshot in one read while cold, and a revision’s own parts only when that is not the one', async () => {
    const revision = await db.configStore.revision();
    await loadDecisionConfig({ configStore: db.configStore, decisionSnapshots: snapshots }, revision); // stored now

    const cold = recordingSources();
    const config = await new DecisionConfigCache(cold.sources, { recheckMs: 0 }).get();
    expect(config.revision).toBe(revision);
    expect(execVerdict(config)).toEqual(
      execVerdict(await loadDecisionConfig({ configStore: db.configStore, decisionSnapshots: snapshots }, revision)),
    );
    // One read for both, and none of the revision alone or of the revision's parts.
    expect(cold.reads).toEqual(['current: start', `current: ${revision}, newest ${revision}`]);

    // The configuration moves on: the newest stored snapshot is of an older revision, so a cold cache reads
    // the new revision's own parts (none yet: the items), and a warm one never reads the newest again.
    const warm = recordingSources();
    const cache = new DecisionConfigCache(warm.sources, { recheckMs: 0 });
    await cache.get();
    await db.configStore.apply(
      [{ op: 'create', kind: 'cluster', name: 'dev', doc: { name: 'dev', enforcerGroup: 'default-ke', secretHash: 'd'.repeat(64) } }],
      'test',
    );
    const moved = await db.configStore.revision();
    const coldAfterChange = recordingSources();
    const changed = await new DecisionConfigCache(coldAfterChange.sources, { recheckMs: 0 }).get();
    expect(changed.revision).toBe(moved);
    expect(changed.clusters.has('dev')).toBe(true);
    expect(coldAfterChange.reads).toEqual(['current: start', `current: ${moved}, newest ${revision}`, `load ${moved}, restoring the copy`]);
    // A warm cache reads the revision alone, and the new revision's parts (stored by the cold cache above).
    expect((await cache.get()).clusters.has('dev')).toBe(true);
    expect(warm.reads.filter((read) => read.startsWith('current:'))).toHaveLength(2);
    expect(warm.reads.slice(2)).toEqual(['revision: start', `revision: ${moved}`, `load ${moved}`]);
  });

  it('puts back a missing copy of the newest snapshot, so that the next cold start reads once again', async () => {
    const revision = await db.configStore.revision();
    await loadDecisionConfig({ configStore: db.configStore, decisionSnapshots: snapshots }, revision); // stored now
    // As after an upgrade from a version that kept no copy: the revision's parts only.
    await db.clients.document.send(new DeleteCommand({ TableName: db.tables.config.TableName, Key: { pk: 'DECISION', sk: '!newest/2' } }));
    const first = recordingSources();
    expect((await new DecisionConfigCache(first.sources, { recheckMs: 0 }).get()).revision).toBe(revision);
    expect(first.reads).toEqual(['current: start', `current: ${revision}, newest none`, `load ${revision}, restoring the copy`]);
    const next = recordingSources();
    expect((await new DecisionConfigCache(next.sources, { recheckMs: 0 }).get()).revision).toBe(revision);
    expect(next.reads).toEqual(['current: start', `current: ${revision}, newest ${revision}`]);
  });
});
