/**
 * The event forwarder: reads Tetragon's export, maps policy events of Vigil's objects to audit events and
 * posts them to the enforcer API in batches.
 *
 * Memory stays bounded when the control plane is down: at most `maxPending` events (and about
 * `maxPendingBytes` of them) wait in memory, and no more of the file is read until they are posted (the
 * export file itself is the buffer). The checkpoint moves only past lines whose events were accepted, so a
 * crash re-reads at most what was not yet confirmed, and the stable event ids make the server store those
 * once. A post stays within the enforcer API's limits in events and in bytes, each event cut to the audit
 * event bounds first, as the server would cut it.
 */
import { createHash } from 'node:crypto';
import {
  boundAuditEvent,
  compileNodePolicies,
  mapTetragonExportLine,
  MAX_EXPORT_LINE_LENGTH,
  nodeEventIndex,
  type IgnoredReason,
  type NodeEventIndex,
} from '../core/index.js';
import { EnforcerApiError, MAX_EVENTS_BODY_BYTES, MAX_EVENTS_PER_POST, type EnforcerClient } from './enforcer-client.js';
import { ExportTail, loadCheckpoint, saveCheckpoint, type ExportLine, type ExportPosition } from './export-tail.js';
import type { AuditEvent, EnforcerBundle } from './types.js';

/** The memory bound while the control plane does not take events: events read and not yet stored... */
export const DEFAULT_MAX_PENDING_EVENTS = 5_000;
/** ...and their JSON. The rest waits in the export file. */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 2 ** 20;

export interface ForwarderOptions {
  readonly client: EnforcerClient;
  readonly cluster: string;
  readonly exportFile: string;
  readonly checkpointFile: string;
  /** Events per post, at most MAX_EVENTS_PER_POST; a post also stays within MAX_EVENTS_BODY_BYTES. */
  readonly batchSize?: number;
  /** Events read but not yet stored, those in posts included. @default DEFAULT_MAX_PENDING_EVENTS */
  readonly maxPending?: number;
  /**
   * The JSON of those events: no more is read once they reach it (one read chunk may pass it).
   * @default DEFAULT_MAX_PENDING_BYTES
   */
  readonly maxPendingBytes?: number;
  /**
   * Batches posted at once. Two keep the control plane's storage busy while the answer of the other comes
   * back, and stay within what the events route writes at once for all posts (ADR 0014). @default 2
   */
  readonly postsInFlight?: number;
  /**
   * Lines one step reads at most. A file that grows as fast as it is forwarded never runs dry, and what runs
   * between steps (heartbeats, bundle polls, moving the checkpoint) must still come. @default 20000
   */
  readonly maxLinesPerStep?: number;
  /**
   * An event of a Vigil object the index does not know yet (a policy saved since the last poll) fetches the
   * bundle at once, at most this often. @default 5000
   */
  readonly unknownObjectRefreshMs?: number;
  /** @default () => Date.now() */
  readonly now?: () => number;
}

export interface ForwarderCounters {
  linesRead: number;
  eventsPosted: number;
  duplicates: number;
  ignored: Record<IgnoredReason, number>;
  /** Events the control plane refused as invalid (a 400): dropped so that one bad event does not stop the rest. */
  eventsRefused: number;
  postFailures: number;
  /** Bundle fetches caused by an event of a Vigil object the index did not know. */
  unknownObjectRefreshes: number;
}

/** Vigil's object names start so (see nodePolicyObjectName); Tetragon writes its JSON without spaces. */
const VIGIL_OBJECT_MARK = '"policy_name":"vigil-';

/** What `{"events":[` and `]}` add to a post's body. */
const EVENTS_BODY_ENVELOPE_BYTES = '{"events":[]}'.length;

/** A batch of events as one post carries them: each event's JSON, and their bytes with the commas between. */
interface Batch {
  readonly events: readonly string[];
  readonly bytes: number;
}

/**
 * Events waiting to be posted, in the order read, each kept as the JSON its post will carry: serialized and
 * measured once, so that a batch can be cut to the body limit without serializing it twice.
 */
class EventQueue {
  private events: string[] = [];
  private sizes: number[] = [];
  /** Bytes of all waiting events, one separator each. */
  bytes = 0;

  get length(): number {
    return this.events.length;
  }

  push(event: AuditEvent): void {
    const json = JSON.stringify(event);
    const size = Buffer.byteLength(json, 'utf8') + 1;
    this.events.push(json);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** The first events, at most `maxCount` and `maxBytes` together; the first one always (a bounded event fits a post). */
  take(maxCount: number, maxBytes: number): Batch {
    let count = 0;
    let bytes = 0;
    while (count < Math.min(maxCount, this.events.length) && (count === 0 || bytes + this.sizes[count]! <= maxBytes))
      bytes += this.sizes[count++]!;
    this.sizes.splice(0, count);
    this.bytes -= bytes;
    return { events: this.events.splice(0, count), bytes };
  }

  /** Puts batches back at the front, in the order given. */
  putBack(batches: readonly Batch[]): void {
    for (const batch of [...batches].reverse()) {
      this.events.unshift(...batch.events);
      this.sizes.unshift(...batch.events.map((json) => Buffer.byteLength(json, 'utf8') + 1));
      this.bytes += batch.bytes;
    }
  }
}

/** An event id from the event's identity: 40 hex characters of SHA-256, well under the API's 128. */
export function tetragonEventId(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 40);
}

export function compileBundleIndex(bundle: EnforcerBundle, cluster: string): NodeEventIndex {
  const { report } = compileNodePolicies(
    { policies: bundle.policies, applicationScopes: bundle.applicationScopes, bypassScopes: bundle.settings.bypassScopes },
    {
      cluster,
      group: {
        name: bundle.group.name,
        enforce: bundle.group.enforce,
        containerProtection: bundle.group.containerProtection,
        hostProtection: bundle.group.hostProtection,
      },
    },
  );
  return nodeEventIndex(report.index);
}

export class Forwarder {
  private readonly tail: ExportTail;
  private index: NodeEventIndex | undefined;
  private group: string | undefined;
  private readonly pending = new EventQueue();
  /** Where reading resumes after the last line read: the checkpoint once every event before it is stored. */
  private next: ExportPosition | undefined;
  private readonly batchSize: number;
  /** Bytes of the events in one post, so that its body stays within the enforcer API's limit. */
  private readonly batchBytes = MAX_EVENTS_BODY_BYTES - EVENTS_BODY_ENVELOPE_BYTES;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  private readonly postsInFlight: number;
  private readonly maxLinesPerStep: number;
  readonly counters: ForwarderCounters = {
    linesRead: 0,
    eventsPosted: 0,
    duplicates: 0,
    ignored: { 'too-long': 0, 'not-json': 0, 'not-a-policy-event': 0, unmanaged: 0, 'outside-scope': 0 },
    eventsRefused: 0,
    postFailures: 0,
    unknownObjectRefreshes: 0,
  };
  private lastUnknownObjectRefresh = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: ForwarderOptions) {
    this.tail = new ExportTail(options.exportFile, MAX_EXPORT_LINE_LENGTH);
    this.batchSize = Math.min(options.batchSize ?? MAX_EVENTS_PER_POST, MAX_EVENTS_PER_POST);
    this.maxPending = Math.max(options.maxPending ?? DEFAULT_MAX_PENDING_EVENTS, this.batchSize);
    this.maxPendingBytes = Math.max(options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES, this.batchBytes);
    this.postsInFlight = Math.max(1, Math.floor(options.postsInFlight ?? 2));
    this.maxLinesPerStep = Math.max(1, Math.floor(options.maxLinesPerStep ?? 20_000));
  }

  get tailCounters() {
    return this.tail.counters;
  }

  /** Events waiting in memory for the control plane. */
  get pendingEvents(): number {
    return this.pending.length;
  }

  async start(): Promise<void> {
    await this.tail.start(await loadCheckpoint(this.options.checkpointFile));
  }

  async stop(): Promise<void> {
    await this.tail.close();
  }

  /** Fetches the bundle (a 304 when unchanged) and recompiles the index of Vigil's objects when it changed. */
  async refreshIndex(): Promise<void> {
    const bundle = await this.options.client.bundle();
    if (bundle === undefined) return;
    this.index = compileBundleIndex(bundle, this.options.cluster);
    this.group = bundle.group.name;
  }

  /**
   * One round: reads and maps new lines until the file has nothing new or the round has read `maxLinesPerStep`
   * lines, posting each full batch as soon as one of the `postsInFlight` posts is free, and the rest once reading
   * is done; returns when every post is answered (and the checkpoint has moved). Reading and mapping go on while posts are out, so the control plane gets the next batch the
   * moment it answers one. Memory stays within `maxPending` events, those in posts included. Answers whether
   * it read anything. Throws the enforcer API's error when the control plane cannot be reached; the events
   * not stored stay pending, in their order.
   */
  async step(): Promise<boolean> {
    if (this.index === undefined) await this.refreshIndex();
    const posts = new PostWindow(this.postsInFlight, (batch) => this.post(batch));
    let readAny = false;
    let linesRead = 0;
    let readingDone = false;
    const batchReady = () =>
      this.pending.length >= this.batchSize || this.pending.bytes > this.batchBytes || (readingDone && this.pending.length > 0);
    for (;;) {
      while (posts.failure === undefined && posts.hasRoom && batchReady()) posts.launch(this.pending.take(this.batchSize, this.batchBytes));
      // After a failed post nothing more is read: the control plane is likely down, and the file waits.
      if (posts.failure !== undefined) break;
      const room = Math.min(this.maxPending - this.pending.length - posts.eventsInFlight, this.maxLinesPerStep - linesRead);
      if (!readingDone && room > 0 && this.pending.bytes + posts.bytesInFlight < this.maxPendingBytes) {
        const lines = await this.tail.read(room);
        linesRead += lines.length;
        // The step's share of lines read ends it as the end of the file would: the rest waits for the next step.
        if (lines.length === 0 || linesRead >= this.maxLinesPerStep) readingDone = true;
        if (lines.length > 0) {
          readAny = true;
          await this.accept(lines);
        }
      } else if (posts.running) await posts.settleOne();
      else break;
    }
    const failed = await posts.settleAll();
    if (posts.failure !== undefined) {
      this.pending.putBack(failed);
      throw posts.failure;
    }
    if (this.pending.length === 0 && this.next !== undefined) {
      await saveCheckpoint(this.options.checkpointFile, this.next);
      this.next = undefined;
    }
    return readAny;
  }

  /**
   * Maps lines read to pending events, counting what is ignored. Each event is cut to the audit event bounds
   * here, as the server would cut it, so that what waits and what is posted stays small whatever the line held.
   */
  private async accept(lines: readonly ExportLine[]): Promise<void> {
    for (const line of lines) {
      this.counters.linesRead++;
      let mapped = this.map(line.text);
      if (
        mapped.kind === 'ignored' &&
        mapped.reason === 'unmanaged' &&
        line.text.includes(VIGIL_OBJECT_MARK) &&
        (await this.refreshForUnknownObject())
      )
        mapped = this.map(line.text);
      if (mapped.kind === 'event') this.pending.push(boundAuditEvent(mapped.event));
      else this.counters.ignored[mapped.reason]++;
      this.next = line.next;
    }
  }

  /**
   * Posts one batch and counts the answer. A batch refused as invalid (400) is counted and done with, so that
   * one bad event cannot stop the node's forwarding; any other failure rejects, and the batch is sent again.
   */
  private async post(batch: Batch): Promise<void> {
    try {
      const result = await this.options.client.postSerializedEvents(batch.events);
      this.counters.eventsPosted += result.accepted;
      this.counters.duplicates += result.duplicates;
    } catch (error) {
      if (error instanceof EnforcerApiError && !error.retryable && error.status === 400) {
        this.counters.eventsRefused += batch.events.length;
        return;
      }
      this.counters.postFailures++;
      throw error;
    }
  }

  private map(text: string) {
    return mapTetragonExportLine(text, this.index!, { cluster: this.options.cluster, group: this.group! }, tetragonEventId);
  }

  /**
   * A policy saved since the last poll already has events: fetch the bundle now instead of dropping them until
   * the next poll. Bounded in rate, and a failure only means the event is dropped as unmanaged (the lines read
   * must go on being processed).
   */
  private async refreshForUnknownObject(): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastUnknownObjectRefresh < (this.options.unknownObjectRefreshMs ?? 5_000)) return false;
    this.lastUnknownObjectRefresh = now;
    this.counters.unknownObjectRefreshes++;
    try {
      await this.refreshIndex();
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The posts of one round, at most `limit` at once. After a failed post the caller starts no new one; the
 * batches that failed come back in the order they were launched, so that nothing overtakes an earlier event
 * in the queue. The stored ones are done: the checkpoint does not move until all are posted, so a crash
 * meanwhile re-sends some stored events, which the server counts as duplicates.
 */
class PostWindow {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failed: Array<{ readonly order: number; readonly batch: Batch }> = [];
  private launched = 0;
  /** Events in posts not yet answered, and their bytes: they count against the forwarder's memory bounds. */
  eventsInFlight = 0;
  bytesInFlight = 0;
  /** The first error of a failed post (the client throws only Errors). */
  failure: Error | undefined;

  constructor(
    private readonly limit: number,
    private readonly send: (batch: Batch) => Promise<void>,
  ) {}

  get hasRoom(): boolean {
    return this.inFlight.size < this.limit;
  }

  get running(): boolean {
    return this.inFlight.size > 0;
  }

  launch(batch: Batch): void {
    const order = this.launched++;
    this.eventsInFlight += batch.events.length;
    this.bytesInFlight += batch.bytes;
    const post: Promise<void> = this.send(batch).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error as Error;
        this.failed.push({ order, batch });
      },
    );
    this.inFlight.add(post);
    // Registered before any race on it, so a settled post has left the window when the race resolves.
    void post.then(() => {
      this.inFlight.delete(post);
      this.eventsInFlight -= batch.events.length;
      this.bytesInFlight -= batch.bytes;
    });
  }

  /** Waits until at least one post is answered. */
  async settleOne(): Promise<void> {
    if (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /** Waits for every post; answers the failed batches in the order they were read. */
  async settleAll(): Promise<Batch[]> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    return this.failed.sort((a, b) => a.order - b.order).map(({ batch }) => batch);
  }
}
