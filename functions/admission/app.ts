import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
// The core's zod-free entry, not its index: the index also carries the zod schemas, which the webhook's
// bundle leaves out (it decodes reviews with the hand-written decoders of admission/decode.ts).
import type { AdmissionReview } from '../../layers/core/admission/review.js';
import {
  admissionContext,
  admissionResponse,
  auditEvents,
  connectAction,
  decideAdmission,
  MalformedReviewError,
  parseAdmissionReview,
  podLesson,
  type PodIdentity,
} from '../../layers/core/zod-free.js';
import { hashSecret, sameHash } from '../shared/http/auth.js';
import { MAX_BODY_BYTES } from '../shared/http/body-parsing.js';
import { utf8Problem } from '../shared/http/utf8.js';
import { errorResult } from '../shared/http/error-mapping.js';
import type { HttpHandler } from '../shared/http/types.js';
import { NoConfigurationError } from '../shared/revision-cache.js';
import { DecisionConfigCache, type DecisionConfig } from '../shared/snapshot-cache.js';
import { failModeOf } from '../shared/webhook.js';
import { TIMED_OUT, within } from '../shared/deadline.js';
import { BATCH_WRITE_LIMIT } from '../shared/storage/batch.js';
import { AuditRecorder } from './AuditRecorder.js';
import { StallWatch } from './StallWatch.js';
import type { GeneratedAuditEvent, WebhookCluster } from '../shared/storage/ports.js';
import type { WebhookRuntime } from './runtime.js';

/** Learned pods are kept this long; every admission of the pod renews it. */
const POD_TTL_SECONDS = 30 * 86_400;
/** Audit events that may wait while every write slot is taken; beyond it their reviews hand them to the fallback at once. */
const MAX_WAITING_EVENTS = 1000;
/**
 * Audit writes an instance keeps in flight at most. With one, the table idles while each answer travels back;
 * with a slot for every few events, each call carries few events and the calls' own cost takes the CPU the
 * table needs. So a second and further write start only for a full batch of BATCH_WRITE_LIMIT events
 * (`npm run bench -- admission`, goal recordedShareOfWriteBound; docs/adr/0005). Only an instance serving
 * concurrent reviews (local mode) has more than one in flight: a Lambda instance serves one review at a time.
 */
const AUDIT_WRITES_IN_FLIGHT = 4;
/**
 * The longest a review waits for the fallback (an fsync'd file, or SQS SendMessageBatch) to hold events the
 * table did not take in time: the webhook's instance may be frozen or reset right after it answers.
 */
const FALLBACK_WAIT_MS = 2000;
/** Kept back from the end of the Lambda invocation: deciding and answering after the storage wait. */
const ANSWER_RESERVE_MS = 500;
/**
 * A storage call in flight this long means storage is stalled: reviews then neither wait for side effects nor
 * start lookups, and a refresh that is due waits no longer than this. Healthy DynamoDB calls take milliseconds.
 */
const STALLED_AFTER_MS = 1000;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The time this request may spend on storage: half the API server's timeout (read from `?timeout=Ns`),
 * so that the verdict always arrives well before the API server gives up.
 */
export function storageBudgetMs(timeoutParameter: string | undefined, remainingInvocationMs = Number.POSITIVE_INFINITY): number {
  const seconds = Number(/^(\d{1,2})s$/.exec(timeoutParameter ?? '')?.[1] ?? 10);
  // A timed-out invocation resets the Lambda environment and with it the cached configuration, which is what
  // answers during an outage: the wait also ends before the invocation does.
  return Math.max(0, Math.min((Math.min(Math.max(seconds, 1), 30) * 1000) / 2, remainingInvocationMs - ANSWER_RESERVE_MS));
}

type WriteOutcome = { readonly stored: true } | { readonly stored: false; readonly reason: string; readonly error?: unknown };

/** Whether the write succeeded within `ms`, or why not (for the log of the fallback that takes its events). */
async function storedWithin(written: Promise<true>, ms: number): Promise<WriteOutcome> {
  try {
    const result = await within(written, Math.max(ms, 0));
    if (result === TIMED_OUT) return { stored: false, reason: 'the audit write did not finish before the verdict was due' };
    return { stored: true };
  } catch (error) {
    return { stored: false, reason: `the audit write failed: ${error instanceof Error ? error.message : String(error)}`, error };
  }
}

/** The promise's value, or undefined when it failed or missed the deadline: side effects never fail a verdict. */
async function settled<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const result = await within(
    promise.catch(() => undefined),
    Math.max(ms, 0),
  );
  return result === TIMED_OUT ? undefined : result;
}

/** What the group's fail mode answers when no decision can be made. */
function failModeResponse(review: AdmissionReview, failMode: 'open' | 'closed'): APIGatewayProxyStructuredResultV2 {
  const uid = review.request.uid;
  const base = { apiVersion: review.apiVersion, kind: review.kind };
  if (failMode === 'open') {
    return json(200, {
      ...base,
      response: {
        uid,
        allowed: true,
        warnings: ['vigil: policies could not be evaluated (control plane unavailable); allowed because the enforcer group fails open'],
      },
    });
  }
  return json(200, {
    ...base,
    response: {
      uid,
      allowed: false,
      status: {
        code: 503,
        reason: 'ServiceUnavailable',
        message: 'vigil: policies could not be evaluated (control plane unavailable); refused because the enforcer group fails closed',
      },
    },
  });
}

/** The admission webhook Lambda: EKS calls it for exec, attach, port-forward, debug and pod admissions. */
export function createAdmissionHandler(runtime: WebhookRuntime): HttpHandler {
  const { logger } = runtime;
  /**
   * Reviews of a cold instance waiting for its first configuration, each told the registered clusters before
   * the configuration is compiled: one whose secret checks out starts its pod lookup then, so that the
   * lookup's round trip overlaps the compile instead of following it. Nothing is read for a review whose
   * secret does not check out.
   */
  const waitingForClusters = new Set<(clusters: ReadonlyMap<string, WebhookCluster>) => void>();
  const cache = new DecisionConfigCache(
    {
      configStore: runtime.configStore,
      decisionSnapshots: runtime.decisionSnapshots,
      onSnapshotError: (error) =>
        logger.warn('the stored decision snapshot could not be used; the configuration items serve instead', { error: error as Error }),
      beforeCompile: (clusters) => {
        if (waitingForClusters.size === 0) return undefined;
        for (const tell of waitingForClusters) tell(clusters);
        waitingForClusters.clear();
        // The compile holds the thread: the lookups just started get to send their requests first.
        return new Promise((resolve) => setImmediate(resolve));
      },
    },
    {
      recheckMs: runtime.config.configRecheckMs ?? 1000,
      // Stale-while-revalidate: a stalled refresh delays one review by at most this, never every review.
      revalidateWaitMs: STALLED_AFTER_MS / 4,
      onRefreshError: (error) =>
        logger.warn('configuration refresh failed; deciding from the last known good configuration', { error: error as Error }),
    },
  );
  const fallback = runtime.auditFallback;
  const recorder = new AuditRecorder(runtime.auditStore, {
    maxWaiting: MAX_WAITING_EVENTS,
    maxWritesInFlight: AUDIT_WRITES_IN_FLIGHT,
    fullBatch: BATCH_WRITE_LIMIT,
    onWritten: () => fallback?.storageIsBack?.(),
  });
  /**
   * Events the table has not taken by the time the verdict is due go to the durable fallback before the
   * answer (docs/adr/0011): nothing recorded lives only in this instance's memory. The write in flight may
   * still store them too; that stores the identical item.
   */
  const holdElsewhere = async (events: readonly GeneratedAuditEvent[], reason: string, waitMs: number): Promise<void> => {
    if (!fallback) {
      logger.error('audit events are not stored yet and no fallback is configured: they are lost if this instance ends first', {
        events: events.length,
        reason,
      });
      return;
    }
    let failure: unknown;
    try {
      if ((await within(fallback.hold(events, reason), Math.max(waitMs, 0))) !== TIMED_OUT) return;
      failure = new Error(`the audit fallback did not confirm within ${Math.max(waitMs, 0)} ms`);
    } catch (error) {
      failure = error;
    }
    // The cause says whether the table or the fallback (or both) must be looked at.
    logger.error('audit events could be neither stored nor held by the fallback: they are lost if this instance ends first', {
      events: events.length,
      ids: events.slice(0, 10).map(({ event }) => event.id),
      reason,
      error: failure as Error,
    });
  };

  const watch = new StallWatch(STALLED_AFTER_MS);
  const stalled = () => watch.stalled || cache.refreshAgeMs() > STALLED_AFTER_MS;

  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = Date.now();
    const budgetMs = storageBudgetMs(event.queryStringParameters?.timeout, context?.getRemainingTimeInMillis?.());
    const remaining = () => budgetMs - (Date.now() - started);
    /** How long a side effect may hold the verdict back: not at all once storage stalls, never past the stall mark. */
    const sideEffectWait = () => (stalled() ? 0 : Math.min(remaining(), STALLED_AFTER_MS));
    const invocationLeft = () => (context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) - ANSWER_RESERVE_MS / 2;
    /** The fallback may use what is left of the storage budget plus half of it again: well within the API server's timeout. */
    const fallbackWait = () => Math.min(FALLBACK_WAIT_MS, budgetMs / 2 + Math.max(0, remaining()), invocationLeft());

    // A text body is measured and parsed as it is; only a base64 one needs decoding first.
    const decoded = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
    const text = decoded ? decoded.toString('utf8') : (event.body ?? '');
    const bytes = decoded ? decoded.length : Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_BODY_BYTES)
      return errorResult(413, 'payload_too_large', `the body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`);
    // Bytes that are not UTF-8 would decode with U+FFFD in their place: a review the API server never sent.
    const notUtf8 = decoded && utf8Problem(decoded);
    if (notUtf8) return errorResult(400, 'bad_request', notUtf8);
    let review: AdmissionReview;
    try {
      review = parseAdmissionReview(JSON.parse(text) as unknown);
    } catch (error) {
      if (error instanceof MalformedReviewError) return errorResult(400, 'bad_request', error.message, error.details);
      return errorResult(400, 'bad_request', 'the body is not valid JSON');
    }

    const cluster = event.pathParameters?.cluster ?? '';
    const secret = event.pathParameters?.secret ?? '';
    const req = review.request;
    const podName = req.operation === 'CONNECT' && req.namespace && req.name ? { namespace: req.namespace, name: req.name } : undefined;
    const lookUpPod = (pod: { namespace: string; name: string }) =>
      settled(watch.track(runtime.podDirectory.lookup(cluster, pod.namespace, pod.name)), remaining());
    /** The pod lookup started while the configuration was loading, once the secret checked out against it. */
    let earlyPodLookup: Promise<readonly PodIdentity[] | undefined> | undefined;
    const lookUpEarly = (clusters: ReadonlyMap<string, WebhookCluster>) => {
      const known = clusters.get(cluster);
      if (podName && known && sameHash(hashSecret(secret), known.secretHash) && !stalled()) earlyPodLookup = lookUpPod(podName);
    };
    if (podName && !cache.hasValue) waitingForClusters.add(lookUpEarly);
    let config: DecisionConfig;
    try {
      config = await cache.get(remaining());
    } catch (error) {
      if (!(error instanceof NoConfigurationError)) throw error;
      logger.error('no configuration to decide from; answering by the fail mode', { cluster });
      return failModeResponse(review, failModeOf(secret));
    } finally {
      waitingForClusters.delete(lookUpEarly);
    }

    let registered = config.clusters.get(cluster);
    // A cluster registered (or a secret rotated) a moment ago is not refused on a stale copy: the refresh in
    // flight decides, unless storage is stalled.
    if ((!registered || !sameHash(hashSecret(secret), registered.secretHash)) && !stalled()) {
      config = await cache.fresh(remaining()).catch(() => config);
      registered = config.clusters.get(cluster);
    }
    // One answer for an unknown cluster and a wrong secret; the secret itself is never logged.
    if (!registered || !sameHash(hashSecret(secret), registered.secretHash))
      return errorResult(401, 'unauthorized', 'missing or invalid credentials');
    const group = config.snapshot.groups.get(registered.enforcerGroup);
    if (!group) {
      logger.error('the cluster names a missing enforcer group', { cluster, group: registered.enforcerGroup });
      return failModeResponse(review, failModeOf(secret));
    }

    try {
      let known: readonly PodIdentity[] | undefined;
      if (earlyPodLookup) {
        // A cold instance files each candidate index on first use: this review's is filed while its lookup is
        // in flight, so that the lookup's round trip hides it (docs/adr/0021).
        const action = connectAction(req.subResource);
        if (action) config.snapshot.fileIndex('container', action);
        known = await earlyPodLookup;
      } else if (podName) {
        // With storage stalled, what this instance read last about the pod, however old, rather than a wait.
        known = stalled() ? runtime.podDirectory.lastKnown?.(cluster, podName.namespace, podName.name) : await lookUpPod(podName);
      }
      const context = admissionContext(review, { cluster, group, lookupPod: () => known });
      if (context.kind === 'ignore')
        return json(200, admissionResponse(review, { allowed: true, violations: [] }, undefined, { warnings: false }));
      const decision = decideAdmission(config.snapshot, context);
      const { settings } = config.snapshot;

      if (!context.dryRun) {
        const effects: Array<Promise<unknown>> = [];
        const lesson = podLesson(context, decision);
        if (lesson) effects.push(settled(watch.track(runtime.podDirectory.learn(cluster, lesson, POD_TTL_SECONDS)), sideEffectWait()));
        if (decision.violations.length > 0) {
          const { subject } = context;
          const events = auditEvents(
            decision.violations,
            {
              workload: { cluster, namespace: subject.namespace, pod: subject.pod, container: subject.container, image: subject.image },
              user: subject.user,
              command: subject.command,
              enforcer: { group: group.name, type: 'kube_enforcer', id: cluster },
              unresolved: subject.unresolved,
            },
            new Date().toISOString(),
            runtime.newId,
          );
          const retentionDays = settings.auditRetentionDays;
          const items = events.map((auditEvent) => ({ event: auditEvent, retentionDays }));
          const recorded = watch.track(recorder.record(items));
          effects.push(
            storedWithin(recorded, sideEffectWait()).then((outcome) => {
              if (outcome.stored) return undefined;
              // The cause is what an operator needs to tell an outage from a refused item.
              if (outcome.error !== undefined)
                logger.warn('audit events could not be written yet', { events: items.length, error: outcome.error as Error });
              return holdElsewhere(items, outcome.reason, fallbackWait());
            }),
          );
        }
        await Promise.all(effects);
      }
      return json(200, admissionResponse(review, decision, context.subject, { warnings: settings.admissionWarnings }));
    } catch (error) {
      if (error instanceof MalformedReviewError) return errorResult(400, 'bad_request', error.message, error.details);
      // A well-formed review never gets a 5xx: an unexpected failure answers by the fail mode.
      logger.error('admission decision failed', { error: error as Error, cluster });
      return failModeResponse(review, group.failMode);
    }
  };
}
