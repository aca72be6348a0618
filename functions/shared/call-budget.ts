import { TIMED_OUT, within } from './deadline.js';

// Every AWS SDK client Vigil builds answers within a budget. The SDK only warns when an answer is late and
// then keeps waiting, so a service that accepts connections but never answers would hold a request until the
// platform cut it off (a 500 after 29 s on the API, where a 503 with Retry-After is what a client can act on).

/**
 * One attempt's limits. A late attempt fails, and the SDK retries it (after a lost connection the service may
 * be back); the call's budget bounds the retries.
 */
export const BOUNDED_ATTEMPTS = { connectionTimeout: 1_000, requestTimeout: 4_000, throwOnRequestTimeout: true } as const;

/** The promise-returning form of `send`, the only one Vigil uses. */
type Send = (command: never, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;

type Handler = (args: never) => Promise<unknown>;

/** What the budget needs of an SDK client: its middleware stack (any client's, whatever its commands). */
export interface MiddlewareHost {
  readonly middlewareStack: {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/** The errors the budget threw: only those abort a call, so an answered call's pooled connection stays. */
const overBudget = new WeakSet<Error>();

/**
 * Bounds every call made through `client` (and through `senders` that share its middleware stack, such as a
 * DynamoDB document client): a call still unanswered after `budgetMs` fails with `timeoutError(operation)`,
 * and what is left of it is aborted. Answering alone would leave the SDK's attempt in flight, and once it
 * timed out the SDK would send another, which lands when the service answers again: a write answered with a
 * 503 that is applied later (docs/adr/0022). The abort signal reaches the HTTP handler, which destroys the
 * attempt's request, and the retry middleware, which then starts no further attempt.
 */
export function boundEveryCall(
  client: MiddlewareHost & { send: Send },
  budgetMs: number,
  timeoutError: (operation: string) => Error,
  senders: readonly { send: Send }[] = [client],
): void {
  // On the stack itself, so that a call is answered within the budget even where the SDK does not look at an
  // abort signal (credentials, endpoint resolution).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const outcome = await within(next(args), budgetMs);
      if (outcome !== TIMED_OUT) return outcome;
      const error = timeoutError(context.commandName ?? 'a call');
      overBudget.add(error);
      throw error;
    },
    { step: 'initialize', name: 'vigilCallBudget', priority: 'high' },
  );
  for (const sender of senders) abortWhenOverBudget(sender);
}

function abortWhenOverBudget(sender: { send: Send }): void {
  const send = sender.send.bind(sender);
  sender.send = async (command, options) => {
    const controller = new AbortController();
    const abortSignal = options?.abortSignal ? AbortSignal.any([options.abortSignal, controller.signal]) : controller.signal;
    try {
      return await send(command, { ...options, abortSignal });
    } catch (error) {
      if (error instanceof Error && overBudget.has(error)) controller.abort(error);
      throw error;
    }
  };
}

/** A call to an AWS service other than DynamoDB ran out of its budget. */
export class ServiceTimeoutError extends Error {
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly budgetMs: number,
  ) {
    super(`${service} did not answer ${operation} within ${budgetMs} ms`);
    this.name = 'ServiceTimeoutError';
  }
}

/**
 * How long one call to EventBridge, EventBridge Scheduler or EKS may take, retries included. An API request
 * makes at most one such call after its storage writes, so both budgets together stay under API Gateway's
 * 29 s; a healthy service answers in milliseconds.
 */
export const SERVICE_CALL_BUDGET_MS = 8_000;

/** Bounds a client of `service` with the attempt limits' companion: the service call budget. */
export function boundServiceClient<C extends MiddlewareHost & { send: Send }>(client: C, service: string): C {
  boundEveryCall(client, SERVICE_CALL_BUDGET_MS, (operation) => new ServiceTimeoutError(service, operation, SERVICE_CALL_BUDGET_MS));
  return client;
}
