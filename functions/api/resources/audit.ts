import { z } from 'zod';
import type { Policy } from '../../../layers/core/index.js';
import { HISTOGRAM_MAX_WINDOW_MS } from '../../../layers/core/audit-histogram.js';
import { policyReadiness } from '../../../layers/core/readiness.js';
import type { AuditEvent } from '../../../layers/core/schemas/audit.js';
import { NotFoundError } from '../../shared/errors.js';
import { pageRequest } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ActivityEntry, Page } from '../../shared/storage/ports.js';
import { policyView } from '../use-cases/policy-writes.js';
import { currentSettings } from '../use-cases/settings.js';

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 instant, e.g. 2026-11-28T12:00:00Z' })
  .transform((value) => new Date(value).toISOString());
const filterText = z.string().min(1).max(256);

const auditFilters = z
  .object({
    status: z.enum(['Detect', 'Block']).optional(),
    policy: filterText.optional(),
    cluster: filterText.optional(),
    namespace: filterText.optional(),
    type: z.enum(['container', 'function', 'host']).optional(),
    since: instant.optional(),
    until: instant.optional(),
  })
  .refine((q) => !q.since || !q.until || q.since <= q.until, { message: '"since" must not be after "until"', path: ['since'] });

/** Days a readiness report looks back: a week unless asked, at most the longest retention. */
const readinessQuery = z.object({
  days: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number of days from 1 to 3650')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(3650, 'must be at most 3650'))
    .default(7),
});

const histogramQuery = z
  .object({
    since: instant.optional(),
    until: instant.optional(),
    bucket: z.enum(['hour', 'day']).optional(),
  })
  .refine((q) => !q.since || !q.until || q.since <= q.until, { message: '"since" must not be after "until"', path: ['since'] })
  .refine((q) => !q.since || !q.until || Date.parse(q.until) - Date.parse(q.since) <= HISTOGRAM_MAX_WINDOW_MS, {
    message: 'the window from "since" to "until" must be at most 31 days',
    path: ['since'],
  });

/** The most events one histogram counts (the byDay index, newest first); past it the answer says `truncated`. */
export const HISTOGRAM_MAX_EVENTS = 100_000;

/**
 * The most Detect events one readiness report reads (20 pages of the per-policy index). Past it, the report
 * says it is truncated and counts the newest events only.
 */
export const READINESS_MAX_EVENTS = 10_000;

/** The before and after images of a policy change carry its write-only secrets: the trail shows neither. */
function withoutWriteOnlyValues(entry: ActivityEntry): ActivityEntry {
  if (!entry.resource.startsWith('policy/')) return entry;
  const hide = (image: unknown) => (isPolicyImage(image) ? policyView(image) : image);
  return { ...entry, before: hide(entry.before), after: hide(entry.after) };
}

function isPolicyImage(image: unknown): image is Policy {
  return typeof image === 'object' && image !== null && typeof (image as { controls?: unknown }).controls === 'object';
}

function pageBody<T>(page: Page<T>): { items: T[]; nextCursor?: string } {
  return { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/** Route handlers of the audit log and the activity trail. */
export function auditRoutes(runtime: Runtime) {
  return {
    'GET /v1/audit-events': async (request: ApiRequest): Promise<ApiResponse> => {
      const q = request.query;
      const filters = validate(
        auditFilters,
        { status: q.status, policy: q.policy, cluster: q.cluster, namespace: q.namespace, type: q.type, since: q.since, until: q.until },
        'the query string',
      );
      // Nothing older than the retention exists: bounding the walk spares clients pages of empty days.
      const { auditRetentionDays } = await currentSettings(runtime);
      const since = filters.since ?? new Date(runtime.clock().getTime() - auditRetentionDays * 86_400_000).toISOString();
      return { status: 200, body: pageBody(await runtime.auditStore.query({ ...filters, since, ...pageRequest(q) })) };
    },

    'GET /v1/policies/{name}/readiness': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const { days } = validate(readinessQuery, { days: request.query.days }, 'the query string');
      const policy = await runtime.configStore.get('policy', name);
      if (!policy) throw new NotFoundError(`policy "${name}" does not exist`);
      const until = runtime.clock();
      const since = new Date(until.getTime() - days * 86_400_000).toISOString();
      // One partition of the audit table's byPolicy index, Detect only, newest first: never a scan.
      const events: AuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await runtime.auditStore.query({
          policy: name,
          status: 'Detect',
          since,
          until: until.toISOString(),
          limit: 500,
          cursor,
        });
        events.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined && events.length < READINESS_MAX_EVENTS);
      const readiness = policyReadiness(policy, events.slice(0, READINESS_MAX_EVENTS));
      return {
        status: 200,
        body: {
          policy: name,
          enforcementMode: policy.enforcementMode,
          enforcementModeChange: policy.enforcementModeChange ?? null,
          policyVersion: policy.version,
          changedAt: policy.updatedAt,
          days,
          since,
          until: until.toISOString(),
          truncated: cursor !== undefined,
          ...readiness,
        },
      };
    },

    'GET /v1/audit-events/histogram': async (request: ApiRequest): Promise<ApiResponse> => {
      const q = validate(
        histogramQuery,
        { since: request.query.since, until: request.query.until, bucket: request.query.bucket },
        'the query string',
      );
      const until = q.until ?? runtime.clock().toISOString();
      // Without since: the last 24 hours by hour, or the 31 days before until.
      const since = q.since ?? new Date(Date.parse(until) - (q.bucket === 'day' ? HISTOGRAM_MAX_WINDOW_MS : 86_400_000)).toISOString();
      const bucket = q.bucket ?? (Date.parse(until) - Date.parse(since) > 2 * 86_400_000 ? 'day' : 'hour');
      const histogram = await runtime.auditStore.histogram({ since, until, bucket, maxEvents: HISTOGRAM_MAX_EVENTS });
      const totals = histogram.buckets.reduce((sum, b) => ({ detect: sum.detect + b.detect, block: sum.block + b.block }), {
        detect: 0,
        block: 0,
      });
      return {
        status: 200,
        body: { since, until, bucket, buckets: histogram.buckets, totals, truncated: histogram.truncated },
      };
    },

    'GET /v1/audit-events/{id}': async (request: ApiRequest): Promise<ApiResponse> => {
      const id = request.params.id ?? '';
      const event = id.length <= 256 ? await runtime.auditStore.get(id) : undefined;
      if (!event) throw new NotFoundError(`audit event "${id.slice(0, 64)}" does not exist`);
      return { status: 200, body: event };
    },

    'GET /v1/activity': async (request: ApiRequest): Promise<ApiResponse> => {
      const { since } = validate(z.object({ since: instant.optional() }), { since: request.query.since }, 'the query string');
      const page = await runtime.configStore.activity({ ...pageRequest(request.query), since });
      return { status: 200, body: pageBody({ ...page, items: page.items.map(withoutWriteOnlyValues) }) };
    },
  } satisfies ApiHandlers;
}
