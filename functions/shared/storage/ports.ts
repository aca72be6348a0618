import type { ManifestSettings } from '../webhook-manifest.js';
import type { Histogram, HistogramBucket } from '../../../layers/core/audit-histogram.js';
import type {
  ApplicationScope,
  AuditEvent,
  ConfigSnapshot,
  EnforcerGroup,
  EnforcerSettings,
  EnforcerType,
  Policy,
  PodIdentity,
  PodLesson,
  SnapshotPlan,
} from '../../../layers/core/index.js';

// Ports: what the use cases need from storage. The DynamoDB adapters implement them; the API and the
// webhook depend only on these interfaces, wired in the composition root.

/** Who made a change: an IAM principal ARN in AWS, `local-admin` in local mode, `schedule:<id>` for timed changes. */
export type Actor = string;

/** One page of a list; `nextCursor` is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** 1..500, default 50. */
  readonly limit: number;
  /** Opaque cursor from a previous page; a malformed one is a BadRequestError. */
  readonly cursor?: string | undefined;
}

/** Server-managed metadata of every stored configuration item. */
export interface StoredMeta {
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly updatedBy: Actor;
}

/** A registered EKS cluster; the webhook secret is kept only as a hash. */
export interface ClusterRecord {
  readonly name: string;
  readonly arn?: string | undefined;
  readonly enforcerGroup: string;
  readonly endpoint?: string | undefined;
  readonly kubernetesVersion?: string | undefined;
  readonly status?: string | undefined;
  readonly secretHash: string;
  /** What the cluster's current manifest was issued with (absent for clusters registered before it was recorded). */
  readonly issuedWith?: ManifestSettings | undefined;
  /** The node agents issued with the registration (absent when none were asked for). */
  readonly nodeAgent?: NodeAgentSettings | undefined;
  /**
   * Hash of the node-agent token: the cluster's bridge and forwarders authenticate with it as an enforcer of
   * `nodeAgent.enforcerGroup`. One token per cluster, so that registering another cluster invalidates nothing
   * and deregistering this one revokes its agents.
   */
  readonly nodeAgentTokenHash?: string | undefined;
}

/** What a cluster's node-agent manifests were issued with. */
export interface NodeAgentSettings {
  /** The `agent` enforcer group whose bundle the agents compile and whose enforcers they become. */
  readonly enforcerGroup: string;
  readonly image: string;
  readonly namespace: string;
}

/** Configuration kinds with their document types. Every write bumps the global revision. */
export interface ConfigKinds {
  policy: Policy;
  applicationScope: ApplicationScope;
  enforcerGroup: EnforcerGroup & { readonly tokenHash: string };
  cluster: ClusterRecord;
  settings: EnforcerSettings;
}
export type ConfigKind = keyof ConfigKinds;
export type Stored<K extends ConfigKind> = Omit<ConfigKinds[K], keyof StoredMeta> & StoredMeta;

/** One change of an all-or-nothing write. `expectedVersion` guards against lost updates (412). */
export type ConfigChange =
  | { readonly op: 'create'; readonly kind: ConfigKind; readonly name: string; readonly doc: object }
  | {
      readonly op: 'replace';
      readonly kind: ConfigKind;
      readonly name: string;
      readonly doc: object;
      readonly expectedVersion?: number | undefined;
    }
  | { readonly op: 'delete'; readonly kind: ConfigKind; readonly name: string; readonly expectedVersion?: number | undefined };

/** An entry of the activity trail. */
export interface ActivityEntry {
  readonly id: string;
  readonly time: string;
  readonly actor: Actor;
  /** create | update | delete | import | rotate-token | rotate-secret | rotate-node-agent-token | mode-change */
  readonly action: string;
  /** `<kind>/<name>`, e.g. `policy/exec-guard`. */
  readonly resource: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * A scheduled enforcement-mode change that has not been applied yet, as the store indexes it: written and
 * removed in the same transaction as the policy that carries it, so that the sweep and the local scheduler
 * find due changes with one query instead of reading every policy.
 */
export interface PendingModeChange {
  readonly policy: string;
  readonly changeId: string;
  readonly to: 'audit' | 'enforce';
  /** ISO instant with milliseconds, UTC. */
  readonly scheduledFor: string;
}

/** One page of an export (docs/adr/0016): the items of one revision, at most about a megabyte of them. */
export interface ExportPage {
  /** The revision every page of this export shows. */
  readonly revision: number;
  /** First page only: the enforcer settings (defaults when none are stored). */
  readonly settings?: EnforcerSettings;
  readonly applicationScopes: ApplicationScope[];
  readonly policies: Policy[];
  readonly enforcerGroups: EnforcerGroup[];
  /** Absent on the last page; names the export's revision and where it continues. */
  readonly nextCursor?: string;
}

/** Narrows a list by top-level attributes of stored items: policies have `type` and `enabled`, groups `type`. */
export interface ConfigListFilter {
  readonly type?: string | undefined;
  readonly enabled?: boolean | undefined;
}

export interface ConfigStore {
  /** The current global revision (0 before the first write). */
  revision(): Promise<number>;
  get<K extends ConfigKind>(kind: K, name: string): Promise<Stored<K> | undefined>;
  /** Items sorted by name; with a filter, pages are still full (the filter runs in DynamoDB, not after paging). */
  list<K extends ConfigKind>(kind: K, page: PageRequest, filter?: ConfigListFilter): Promise<Page<Stored<K>>>;
  /**
   * Applies the changes all-or-nothing, bumps the revision once (once per transaction when the changes are
   * too many for one, see docs/adr/0002) and records one activity entry per change.
   * Throws ConflictError (create of an existing item), NotFoundError (replace/delete of a missing one) or
   * VersionMismatchError (stale expectedVersion), and then nothing was written.
   */
  apply(changes: readonly ConfigChange[], actor: Actor, action?: string): Promise<Array<Stored<ConfigKind> | undefined>>;
  /**
   * One page of the export of one revision; a cursor continues it while the configuration is still at that
   * revision, and is refused with GoneError (410) after it moved on.
   */
  exportPage(cursor?: string): Promise<ExportPage>;
  /** Everything the engine needs, read consistently enough to compile a snapshot. */
  loadSnapshot(): Promise<ConfigSnapshot>;
  /** The parts of multi-part imports being uploaded (docs/adr/0016). */
  readonly uploads: ImportUploadStore;
  activity(query: PageRequest & { readonly since?: string | undefined }): Promise<Page<ActivityEntry>>;
  /** Pending mode changes scheduled for `until` or earlier, oldest first, at most `limit`. */
  dueModeChanges(until: Date, limit: number): Promise<PendingModeChange[]>;
}

/** One uploaded part of a multi-part import; `text` is undefined when its stored chunks do not match its digest. */
export interface UploadedPart {
  readonly number: number;
  readonly text: string | undefined;
}

/**
 * The parts of multi-part imports, kept until the import is committed or aborted (docs/adr/0016). An upload that
 * does not exist, or is older than its retention, is a NotFoundError; one being committed a ConflictError.
 */
export interface ImportUploadStore {
  /** Registers a new upload (and collects a few expired ones); ConflictError when too many are open. */
  open(uploadId: string, now: Date): Promise<void>;
  /** Stores (or replaces) part `number`, the JSON text of one document. */
  putPart(uploadId: string, number: number, text: string, now: Date): Promise<void>;
  /** Every part, in part-number order. */
  parts(uploadId: string, now: Date): Promise<UploadedPart[]>;
  /** Marks the upload as being committed: no part may change and no second commit may start until endCommit. */
  beginCommit(uploadId: string, now: Date): Promise<void>;
  /** Ends a commit that wrote nothing (the parts may be fixed and the commit tried again). */
  endCommit(uploadId: string): Promise<void>;
  /** Removes the upload and its parts; false when there was none. */
  remove(uploadId: string): Promise<boolean>;
}

/** What the webhook needs of a registered cluster: which group decides for it, and how to check its secret. */
export type WebhookCluster = Pick<ClusterRecord, 'name' | 'enforcerGroup' | 'secretHash'>;

/** Everything the webhook decides from, exactly as of one revision. */
export interface DecisionDocument {
  readonly revision: number;
  readonly config: ConfigSnapshot;
  readonly clusters: readonly WebhookCluster[];
  /**
   * The compilation of `config` planned when the document was made (planSnapshot): a cold instance rebuilds
   * from it instead of compiling afresh. Absent in documents stored before plans existed, and ignored when
   * of another plan format (docs/adr/0005).
   */
  readonly plan?: SnapshotPlan | undefined;
}

/**
 * The webhook's decision document per revision, stored as a few compressed items so that a cold instance
 * reads those instead of every configuration item (docs/adr/0005). Derived data: a revision without one
 * is loaded from the items as before.
 */
/** The configuration's current revision and the newest stored decision document, read together. */
export interface CurrentDecisionDocument {
  readonly revision: number;
  readonly newest: DecisionDocument | undefined;
}

export interface DecisionSnapshotStore {
  /**
   * The complete document stored for exactly this revision; undefined when there is none (or it is unreadable).
   * With `restoreNewestCopy`, a one-part document found is also put back as the copy loadCurrent reads, unless that
   * copy is of a newer revision: a cold instance asks for it when the copy it read was missing or older.
   */
  load(revision: number, options?: { readonly restoreNewestCopy?: boolean }): Promise<DecisionDocument | undefined>;
  /**
   * The configuration's revision (as ConfigStore.revision reads it) and the newest stored document, whatever its
   * revision, in one read; `newest` is undefined when there is none that one read can return (a document of
   * several parts) or it is unreadable. A cold webhook instance reads this instead of the revision alone and uses
   * the document only when it is of the revision read: documents never change once stored (docs/adr/0005).
   */
  loadCurrent?(): Promise<CurrentDecisionDocument>;
  /**
   * Stores the document under its revision if the configuration is still at that revision and no document of
   * it is stored yet (the first one stays), then removes those of older revisions; true when this call
   * stored it. The caller read everything in the document after reading that revision: unchanged since, the
   * document is exactly that revision's configuration.
   */
  save(document: DecisionDocument): Promise<boolean>;
}

export interface AuditQuery extends PageRequest {
  readonly status?: 'Detect' | 'Block' | undefined;
  readonly policy?: string | undefined;
  readonly cluster?: string | undefined;
  readonly namespace?: string | undefined;
  readonly type?: 'container' | 'function' | 'host' | undefined;
  /** ISO instants, inclusive. */
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

/** An audit event this service generated itself (a fresh id), with the retention its configuration sets. */
export interface GeneratedAuditEvent {
  readonly event: AuditEvent;
  readonly retentionDays: number;
}

export interface AuditStore {
  /** Writes events, retrying unprocessed items with backoff; ids already stored are counted as duplicates. */
  put(events: readonly AuditEvent[], retentionDays: number): Promise<{ accepted: number; duplicates: number }>;
  /**
   * Writes events whose ids this service generated (the webhook's), in batches and without a condition:
   * a fresh id cannot be a duplicate. Not for events sent by enforcers, whose re-sends `put` must detect.
   * Throws AuditWriteError listing the events that were not written.
   */
  putGenerated(events: readonly GeneratedAuditEvent[]): Promise<void>;
  get(id: string): Promise<AuditEvent | undefined>;
  /** Newest first, without scans. */
  query(query: AuditQuery): Promise<Page<AuditEvent>>;
  /** Detect and Block counts per time bucket of a bounded window, from the byDay index; `truncated` past `maxEvents`. */
  histogram(query: {
    readonly since: string;
    readonly until: string;
    readonly bucket: HistogramBucket;
    readonly maxEvents: number;
  }): Promise<Histogram & { readonly eventsRead: number; readonly truncated: boolean }>;
}

/** What earlier pod admissions taught about pods, shared by every webhook instance (docs/adr/0008). */
export interface PodDirectory {
  /**
   * Applies what a pod request taught to the record of its name (or generateName prefix, for controller-made
   * pods) and keeps the record for `ttlSeconds`.
   */
  learn(cluster: string, lesson: PodLesson, ttlSeconds: number): Promise<void>;
  /** Every identity a pod of that name may have (see `possibleIdentities`); empty when it is unknown. */
  lookup(cluster: string, namespace: string, name: string): Promise<readonly PodIdentity[]>;
  /** What this instance read last about the pod, however old, without a storage call (for a stalled storage). */
  lastKnown?(cluster: string, namespace: string, name: string): readonly PodIdentity[] | undefined;
}

/**
 * A registered enforcer: a runtime record, not configuration (writing it does not bump the revision).
 * The id is derived from (group, name), so that an enforcer registering again keeps its id.
 */
export interface EnforcerRecord {
  readonly enforcerId: string;
  readonly name: string;
  readonly group: string;
  readonly type: EnforcerType;
  readonly version?: string | undefined;
  readonly hostname?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** How often the enforcer was told to poll; its status derives from it. */
  readonly pollIntervalSeconds: number;
  /** ISO instants. */
  readonly registeredAt: string;
  readonly lastSeen: string;
}

/** The registration fields an enforcer sends; the store keeps `registeredAt` across re-registrations. */
export type EnforcerRegistration = Omit<EnforcerRecord, 'registeredAt' | 'lastSeen'>;

export interface EnforcerStore {
  /** Creates or refreshes a registration (upsert); `lastSeen` becomes `at`, `registeredAt` is kept. */
  register(registration: EnforcerRegistration, at: Date): Promise<EnforcerRecord>;
  /** The enforcer of that id in that group, if registered there. */
  get(group: string, enforcerId: string): Promise<EnforcerRecord | undefined>;
  /** Sets `lastSeen`; false when the enforcer is not registered in the group. */
  touch(group: string, enforcerId: string, at: Date): Promise<boolean>;
  /** Registrations ordered by group, then id; only one group's when `group` is given. */
  list(query: PageRequest & { readonly group?: string | undefined }): Promise<Page<EnforcerRecord>>;
}
