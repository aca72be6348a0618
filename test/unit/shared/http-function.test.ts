import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../functions/shared/errors.js';
import { httpFunction } from '../../../functions/shared/http/http-function.js';
import type { HttpRequest } from '../../../functions/shared/http/types.js';
import { routeKey, routes } from '../../../functions/shared/routes.js';
import { httpEvent, lambdaContext } from '../../support/events.js';

// The handler tables are typed from the route table: each `@ts-expect-error` below must stay an error, or
// `tsc --noEmit` (which covers test/) fails. The run-time checks show what the skeleton does with a request.

const logger = new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });

type Caller = { readonly caller: string };
const echo = (request: HttpRequest & Caller) => Promise.resolve({ status: 200, body: { route: request.routeKey, caller: request.caller } });

/** Every enforcer route, answered by one echo handler. */
const enforcerHandlers = {
  'POST /v1/enforcers/register': echo,
  'GET /v1/enforcers/bundle': echo,
  'GET /v1/enforcers/rules': echo,
  'GET /v1/enforcers/node-policies': echo,
  'POST /v1/enforcers/events': (request: HttpRequest & Caller) => Promise.resolve({ status: 200, body: { received: request.body } }),
  'POST /v1/enforcers/heartbeat': echo,
};

const authenticate = (event: { headers: Record<string, string | undefined> }): Caller => {
  if (event.headers.authorization !== 'Bearer right') throw new UnauthorizedError();
  return { caller: 'group-a' };
};

function call(handler: ReturnType<typeof httpFunction>, route: string, options: { token?: string; body?: string } = {}) {
  const [method, path] = route.split(' ') as [string, string];
  const event = httpEvent({
    method,
    routeKey: route,
    path,
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  return handler(event, lambdaContext());
}

describe('httpFunction handler tables', () => {
  it('takes a table with exactly the routes the route table gives the function', () => {
    const handler = httpFunction({ function: 'enforcer', logger, authenticate, handlers: enforcerHandlers });
    expect(Object.keys(enforcerHandlers).sort()).toEqual(
      routes
        .filter((route) => route.function === 'enforcer')
        .map(routeKey)
        .sort(),
    );
    expect(typeof handler).toBe('function');
  });

  it('refuses, at compile time, a table that misses a route of the function', () => {
    const { 'POST /v1/enforcers/heartbeat': _missing, ...incomplete } = enforcerHandlers;
    // @ts-expect-error the heartbeat route has no handler
    const handler = httpFunction({ function: 'enforcer', logger, authenticate, handlers: incomplete });
    expect(Object.keys(incomplete)).not.toContain('POST /v1/enforcers/heartbeat');
    expect(typeof handler).toBe('function');
  });

  it('refuses, at compile time, a handler for a route of another function, even one spread in', () => {
    const withApiRoute = { ...enforcerHandlers, ...{ 'GET /v1/policies': echo } };
    // @ts-expect-error GET /v1/policies belongs to the api function
    const handler = httpFunction({ function: 'enforcer', logger, authenticate, handlers: withApiRoute });
    expect(typeof handler).toBe('function');
  });

  it('refuses, at compile time, a handler for a route that is not in the route table at all', () => {
    const withUnknownRoute = { ...enforcerHandlers, 'POST /v1/enforcers/unregister': echo };
    // @ts-expect-error there is no route POST /v1/enforcers/unregister
    const handler = httpFunction({ function: 'enforcer', logger, authenticate, handlers: withUnknownRoute });
    expect(typeof handler).toBe('function');
  });
});

describe('httpFunction request handling', () => {
  const handler = httpFunction({ function: 'enforcer', logger, authenticate, handlers: enforcerHandlers });

  it('hands the handler the authenticated caller and serialises its answer as JSON', async () => {
    const result = await call(handler, 'GET /v1/enforcers/bundle', { token: 'right' });
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body ?? '')).toEqual({ route: 'GET /v1/enforcers/bundle', caller: 'group-a' });
  });

  it('parses the JSON body for the handler', async () => {
    const result = await call(handler, 'POST /v1/enforcers/events', { token: 'right', body: '{"events":[1]}' });
    expect(JSON.parse(result.body ?? '')).toEqual({ received: { events: [1] } });
  });

  it('authenticates before it reads the body: a bad token with a broken body answers 401', async () => {
    const result = await call(handler, 'POST /v1/enforcers/events', { token: 'wrong', body: '{not json' });
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? '').error.code).toBe('unauthorized');
  });

  it('maps a broken body of an authenticated caller to 400', async () => {
    const result = await call(handler, 'POST /v1/enforcers/events', { token: 'right', body: '{not json' });
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '').error.code).toBe('bad_request');
  });

  it('answers 404 for a route key without a handler', async () => {
    const result = await call(handler, 'GET /v1/enforcers/unknown', { token: 'right' });
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body ?? '').error).toMatchObject({ code: 'not_found', message: 'no route GET /v1/enforcers/unknown' });
  });
});
