import { z } from 'zod';
import { resourceNameSchema } from '../../../layers/core/index.js';
import { POLL_INTERVAL_SECONDS } from '../../shared/enforcer/bundle.js';
import { pageRequest } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import type { EnforcerRecord } from '../../shared/storage/ports.js';

/** Enforcers are connected while their last heartbeat is younger than this many poll intervals. */
export const MISSED_POLLS_BEFORE_DISCONNECTED = 3;

const enforcerQuery = z.object({ group: resourceNameSchema.optional() });

/** A registration with its connection status at `now` (a record without an interval was told the current one). */
export function enforcerView(record: EnforcerRecord, now: Date): EnforcerRecord & { status: 'connected' | 'disconnected' } {
  const interval = record.pollIntervalSeconds > 0 ? record.pollIntervalSeconds : POLL_INTERVAL_SECONDS;
  const age = now.getTime() - Date.parse(record.lastSeen);
  const connected = Number.isFinite(age) && age <= MISSED_POLLS_BEFORE_DISCONNECTED * interval * 1000;
  return { ...record, status: connected ? 'connected' : 'disconnected' };
}

/** Route handlers of /v1/enforcers (the admin view of registered enforcers). */
export function enforcerRoutes(runtime: Runtime) {
  return {
    'GET /v1/enforcers': async (request: ApiRequest): Promise<ApiResponse> => {
      const { group } = validate(enforcerQuery, { group: request.query.group }, 'the query string');
      const page = await runtime.enforcerStore.list({ ...pageRequest(request.query), group });
      const now = runtime.clock();
      return {
        status: 200,
        body: { items: page.items.map((record) => enforcerView(record, now)), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    },
  } satisfies ApiHandlers;
}
