import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
// The core's zod-free entry, not its index: the index also carries the zod schemas, which the webhook's
// bundle leaves out (it decodes reviews with the hand-written decoders of admission/decode.ts).
import type { AdmissionReview } from '../../layers/core/admission/review.js';
import {
  admissionContext,
  admissionResponse,
  auditEvents,
  decideAdmission,
  MalformedReviewError,
  parseAdmissionReview,
  podLesson,
  type PodIdentity,
} from '../../layers/core/zod-free.js';
import { hashSecret, sameHash } from '../shared/http/auth.js';
import { MAX_BODY_BYTES } from '../shared/http/body-parsing.js';
import { errorResult } from '../shared/http/error-mapping.js';
import type { HttpHandler } from '../shared/http/types.js';
import { DecisionConfigCache, NoConfigurationError, type DecisionConfig } from '../shared/snapshot-cache.js';
import { failModeOf } from '../shared/webhook.js';
import { TIMED_OUT, within } from '../shared/deadline.js';
import { AuditRecorder } from './AuditRecorder.js';
import { StallWatch } from './StallWatch.js';
import type { WebhookRuntime } from './runtime.js';

/** Learned pods are kept this long; every admission of the pod renews it. */
const POD_TTL_SECONDS = 30 * 86_400;
/** Audit events that could not be written wait for the next write (bounded: the oldest are dropped). */
const MAX_PENDING_EVENTS = 1000;
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
  const cache = new DecisionConfigCache(
    {
      configStore: runtime.configStore,
      decisionSnapshots: runtime.decisionSnapshots,
      onSnapshotError: (error) =>
        logger.warn('the stored decision snapshot could not be used; the configuration items serve instead', { error: error as Error }),
    },
    {
      recheckMs: runtime.config.configRecheckMs ?? 1000,
      // Stale-while-revalidate: a stalled refresh delays one review by at most this, never every review.
      revalidateWaitMs: STALLED_AFTER_MS / 4,
      onRefreshError: (error) =>
        logger.warn('configuration refresh failed; deciding from the last known good configuration', { error: error as Error }),
    },
  );
  // Storage slow or down: failed events wait (bounded) for the write of a later review rather than be lost.
  const recorder = new AuditRecorder(runtime.auditStore, {
    maxPending: MAX_PENDING_EVENTS,
    // The cause is what an operator needs to tell an outage from a refused item.
    onWriteFailed: ({ pending, dropped, error }) =>
      logger.warn('audit events could not be written yet', { pending, dropped, error: error as Error }),
  });

  const watch = new StallWatch(STALLED_AFTER_MS);
  const stalled = () => watch.stalled || cache.refreshAgeMs() > STALLED_AFTER_MS;

  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = Date.now();
    const budgetMs = storageBudgetMs(event.queryStringParameters?.timeout, context?.getRemainingTimeInMillis?.());
    const remaining = () => budgetMs - (Date.now() - started);
    /** How long a side effect may hold the verdict back: not at all once storage stalls, never past the stall mark. */
    const sideEffectWait = () => (stalled() ? 0 : Math.min(remaining(), STALLED_AFTER_MS));

    // A text body is measured and parsed as it is; only a base64 one needs decoding first.
    const decoded = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
    const text = decoded ? decoded.toString('utf8') : (event.body ?? '');
    const bytes = decoded ? decoded.length : Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_BODY_BYTES)
      return errorResult(413, 'payload_too_large', `the body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`);
    let review: AdmissionReview;
    try {
      review = parseAdmissionReview(JSON.parse(text) as unknown);
    } catch (error) {
      if (error instanceof MalformedReviewError) return errorResult(400, 'bad_request', error.message, error.details);
      return errorResult(400, 'bad_request', 'the body is not valid JSON');
    }

    const cluster = event.pathParameters?.cluster ?? '';
    const secret = event.pathParameters?.secret ?? '';
    let config: DecisionConfig;
    try {
      config = await cache.get(remaining());
    } catch (error) {
      if (!(error instanceof NoConfigurationError)) throw error;
      logger.error('no configuration to decide from; answering by the fail mode', { cluster });
      return failModeResponse(review, failModeOf(secret));
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
      const req = review.request;
      let known: readonly PodIdentity[] | undefined;
      if (req.operation === 'CONNECT' && req.namespace && req.name) {
        // With storage stalled, what this instance read last about the pod, however old, rather than a wait.
        known = stalled()
          ? runtime.podDirectory.lastKnown?.(cluster, req.namespace, req.name)
          : await settled(watch.track(runtime.podDirectory.lookup(cluster, req.namespace, req.name)), remaining());
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
        if (decision.violations.length > 0 || recorder.pending > 0) {
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
          const recorded = recorder.record(events.map((auditEvent) => ({ event: auditEvent, retentionDays })));
          effects.push(settled(watch.track(recorded), sideEffectWait()));
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
