import { z } from 'zod';
import type { Policy } from '../../../layers/core/index.js';
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
