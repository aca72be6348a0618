import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { clientEventSchema, MAX_AUDIT_ID_LENGTH, registerSchema } from '../shared/enforcer/schemas.js';
import { boundAuditEvent, resourceNameSchema, type AuditEvent, type EnforcerGroup } from '../../layers/core/index.js';
import { BadRequestError, DependencyError, NotFoundError, UnauthorizedError, ValidationError, type ErrorDetail } from '../shared/errors.js';
import { bearerToken, hashSecret, sameHash } from '../shared/http/auth.js';
import { httpFunction } from '../shared/http/http-function.js';
import { validate, zodDetails } from '../shared/http/validation.js';
import type { HttpHandler, HttpRequest } from '../shared/http/types.js';
import type { Runtime } from '../shared/runtime.js';
import { enforcerBundle, POLL_INTERVAL_SECONDS } from '../shared/enforcer/bundle.js';
import { FunctionRuleCache, functionFactsOf } from '../shared/enforcer/function-rules.js';
import { NoConfigurationError } from '../shared/revision-cache.js';
import { EnforcerConfigCache, type EnforcerConfig } from './config-cache.js';
import { NodePolicyAnswers } from './node-policies.js';

/** Events one request may carry. */
export const MAX_EVENTS_PER_REQUEST = 500;
/** Validation details reported at most, so that a batch of bad events does not make a huge answer. */
const MAX_DETAILS = 100;
const eventsBodySchema = z.strictObject({ events: z.array(z.unknown()) });

/** The enforcer id of a registration: the same for the same (group, name), so a restart keeps it. */
export function enforcerIdOf(group: string, name: string): string {
  return `enf-${createHash('sha256').update(`${group}\u0000${name}`, 'utf8').digest('hex').slice(0, 24)}`;
}

/** The stored id of a client-made event id: unique per enforcer, within the audit id limit. */
export function storedEventId(enforcerId: string, clientId: string): string {
  const plain = `${enforcerId}:${clientId}`;
  if (plain.length <= MAX_AUDIT_ID_LENGTH) return plain;
  return `${enforcerId}:sha256-${createHash('sha256').update(clientId, 'utf8').digest('hex')}`;
}

/** `If-None-Match` names this entity tag (or `*`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

type Caller = EnforcerGroup & { readonly tokenHash: string };
/** The authenticated caller of an enforcer route: the token's group, and the configuration it was checked against. */
interface EnforcerCaller {
  readonly caller: Caller;
  readonly config: EnforcerConfig;
}
type EnforcerRequest = HttpRequest & EnforcerCaller;

/** The enforcer API Lambda: registration, bundle, events and heartbeats of enforcers, authenticated by group token. */
export function createEnforcerHandler(runtime: Runtime): HttpHandler {
  const { logger } = runtime;
  const cache = new EnforcerConfigCache(runtime.configStore, {
    recheckMs: runtime.config.configRecheckMs ?? 1000,
    onRefreshError: (error) =>
      logger.warn('configuration refresh failed; answering from the last known good configuration', { error: error as Error }),
  });

  // Authentication first, before the body is read: an unknown token and a wrong one look alike.
  const authenticate = async (event: APIGatewayProxyEventV2): Promise<EnforcerCaller> => {
    const token = bearerToken(event.headers);
    if (!token) throw new UnauthorizedError();
    let config;
    try {
      config = await cache.get();
    } catch (error) {
      // Nothing cached and storage failing: a retryable 503, never an internal error.
      if (error instanceof NoConfigurationError)
        throw new DependencyError('the control plane storage is unavailable; retry later', [], { cause: error });
      throw error;
    }
    const hash = hashSecret(token);
    const group = config.groupsByTokenHash.get(hash);
    if (!group || !sameHash(hash, group.tokenHash)) throw new UnauthorizedError();
    return { caller: group, config };
  };

  const functionRules = new FunctionRuleCache();
  const nodePolicies = new NodePolicyAnswers(runtime.configStore);

  const enforcerIdHeader = (request: HttpRequest): string => {
    const id = request.headers['x-enforcer-id']?.trim();
    if (!id)
      throw new BadRequestError('the X-Enforcer-Id header is required: send the enforcerId that registration returned', [
        { path: 'X-Enforcer-Id', message: 'required' },
      ]);
    if (id.length > 64) throw new NotFoundError('this enforcer is not registered in the group of the token');
    return id;
  };

  const registered = async (request: EnforcerRequest) => {
    const id = enforcerIdHeader(request);
    // The key includes the group: an id of another group is simply not found in the caller's.
    const record = await runtime.enforcerStore.get(request.caller.name, id);
    if (!record) throw new NotFoundError('this enforcer is not registered in the group of the token; register it first');
    return record;
  };

  const handlers = {
    'POST /v1/enforcers/register': async ({ body: raw, caller }: EnforcerRequest) => {
      const body = validate(registerSchema, raw, 'the registration');
      if (body.type !== caller.type) {
        throw new ValidationError('the registration is invalid', [
          { path: 'type', message: `the token belongs to enforcer group "${caller.name}" of type ${caller.type}, not ${body.type}` },
        ]);
      }
      const enforcerId = enforcerIdOf(caller.name, body.name);
      await runtime.enforcerStore.register(
        {
          enforcerId,
          name: body.name,
          group: caller.name,
          type: body.type,
          version: body.version,
          hostname: body.hostname,
          metadata: body.metadata,
          pollIntervalSeconds: POLL_INTERVAL_SECONDS,
        },
        runtime.clock(),
      );
      logger.info('enforcer registered', { group: caller.name, enforcerId, type: body.type });
      return { status: 200, body: { enforcerId, group: caller.name, pollIntervalSeconds: POLL_INTERVAL_SECONDS } };
    },

    'GET /v1/enforcers/bundle': async (request: EnforcerRequest) => {
      const { caller, config } = request;
      await registered(request);
      const etag = `"${config.revision}-${caller.name}"`;
      const headers = { etag, 'cache-control': 'no-store' };
      if (matchesEtag(request.headers['if-none-match'], etag)) return { status: 304, headers };
      return { status: 200, headers, body: enforcerBundle(config.snapshot, caller) };
    },

    'GET /v1/enforcers/rules': async (request: EnforcerRequest) => {
      const { caller, config } = request;
      await registered(request);
      if (caller.type !== 'nano_enforcer')
        throw new BadRequestError('rule tables are compiled for functions: the token belongs to a group of type ' + caller.type, [
          { path: 'Authorization', message: 'use the token of a nano_enforcer group' },
        ]);
      const facts = functionFactsOf(request.query);
      const etag = `"${config.revision}-${caller.name}-${facts.digest}"`;
      const headers = { etag, 'cache-control': 'no-store' };
      if (matchesEtag(request.headers['if-none-match'], etag)) return { status: 304, headers };
      const table = functionRules.table(config.snapshot, caller, facts);
      return { status: 200, headers, body: { ...table, pollIntervalSeconds: POLL_INTERVAL_SECONDS } };
    },

    'GET /v1/enforcers/node-policies': async (request: EnforcerRequest) => {
      const { caller, config } = request;
      await registered(request);
      const cluster = request.query.cluster;
      if (cluster === undefined || !resourceNameSchema.safeParse(cluster).success)
        throw new ValidationError('invalid query parameter', [
          { path: 'cluster', message: 'required: the name of the cluster as registered in Vigil' },
        ]);
      const tokenCluster = config.clustersByTokenHash.get(caller.tokenHash);
      // A cluster's own token must not read what another cluster runs, though its group's token may.
      if (tokenCluster !== undefined && tokenCluster !== cluster)
        throw new ValidationError('invalid query parameter', [
          { path: 'cluster', message: `the token is the node-agent token of cluster "${tokenCluster}": it answers for that cluster only` },
        ]);
      if (caller.type !== 'agent')
        throw new BadRequestError(`node policies are compiled for agent groups: the token belongs to a group of type ${caller.type}`, [
          { path: 'Authorization', message: 'use the token of an agent group' },
        ]);
      const answer = await nodePolicies.get(config, caller, cluster);
      const headers = { etag: answer.etag, 'cache-control': 'no-store' };
      if (matchesEtag(request.headers['if-none-match'], answer.etag)) return { status: 304, headers };
      return { status: 200, headers, body: answer.body };
    },

    'POST /v1/enforcers/events': async (request: EnforcerRequest) => {
      const { caller, config } = request;
      const record = await registered(request);
      const body = validate(eventsBodySchema, request.body, 'the events');
      if (body.events.length === 0)
        throw new ValidationError('the events are invalid', [{ path: 'events', message: 'send at least one event' }]);
      if (body.events.length > MAX_EVENTS_PER_REQUEST) {
        throw new ValidationError(
          `too many events: at most ${MAX_EVENTS_PER_REQUEST} per request (got ${body.events.length}); send them in smaller batches`,
          [{ path: 'events', message: `at most ${MAX_EVENTS_PER_REQUEST} events per request` }],
        );
      }
      const details: ErrorDetail[] = [];
      const events: AuditEvent[] = [];
      body.events.forEach((raw, i) => {
        const parsed = clientEventSchema.safeParse(raw);
        if (!parsed.success) {
          details.push(...zodDetails(parsed.error, ['events', i]));
          return;
        }
        const { enforcer: _untrusted, id, ...rest } = parsed.data;
        events.push(
          boundAuditEvent({
            ...rest,
            id: storedEventId(record.enforcerId, id),
            enforcer: { group: caller.name, type: caller.type, id: record.enforcerId },
          }),
        );
      });
      // All or nothing: one bad event and none is written.
      if (details.length > 0) {
        const message = `${details.length === 1 ? 'an event is' : 'events are'} invalid; nothing was written`;
        throw new ValidationError(message, details.slice(0, MAX_DETAILS));
      }
      const result = await runtime.auditStore.put(events, config.snapshot.settings.auditRetentionDays);
      return { status: 200, body: { accepted: result.accepted, duplicates: result.duplicates } };
    },

    'POST /v1/enforcers/heartbeat': async (request: EnforcerRequest) => {
      const { caller } = request;
      const id = enforcerIdHeader(request);
      if (!(await runtime.enforcerStore.touch(caller.name, id, runtime.clock())))
        throw new NotFoundError('this enforcer is not registered in the group of the token; register it first');
      return { status: 200, body: { status: 'connected', pollIntervalSeconds: POLL_INTERVAL_SECONDS } };
    },
  };

  return httpFunction({ function: 'enforcer', logger, authenticate, handlers });
}
