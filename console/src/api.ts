// The console's client of the admin API: the same routes the CLI calls, typed from the OpenAPI document
// (api-types.ts is generated from it). No route exists for the console alone.

import type { components, operations } from './api-types';
import { forgetSessionToken, sessionGeneration, sessionToken } from './session';

export type Schemas = components['schemas'];
export type Policy = Schemas['Policy'];
export type ApplicationScope = Schemas['ApplicationScope'];
export type EnforcerGroup = Schemas['EnforcerGroup'];
export type EnforcerSettings = Schemas['EnforcerSettings'];
export type AuditEvent = Schemas['AuditEvent'];
export type ActivityEntry = Schemas['ActivityEntry'];
export type ControlDescription = Schemas['Control'];
export type PolicyTemplate = Schemas['PolicyTemplate'];

/** The JSON body of an operation's success answer. */
export type Answer<O extends keyof operations, S extends number = 200> =
  operations[O]['responses'] extends Record<S, { content: { 'application/json': infer B } }> ? B : never;

/** One problem the API named, at the JSON path of the field it concerns (e.g. `scope.expression`). */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** An error answer of the API: its status, code, sentence and the fields it named. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(message);
  }

  /** The problems at `path` or inside it, e.g. `scope` also takes `scope.expression`. */
  at(path: string): FieldProblem[] {
    return this.problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
  }
}

/**
 * The API refused the session's token (expired, or an admin token rotated since). The console forgets it and
 * asks for a new one while the page, and whatever the user typed into it, stays as it is.
 */
export class SignedOut extends ApiError {}

/** What a view shows when a call failed because the session ended: nothing typed is lost, and what to do. */
export const SESSION_ENDED_MESSAGE =
  'Your session has ended, so this was not done. What you entered is still here: sign in again (at the top of the page), then try again.';

const signedOutListeners = new Set<() => void>();
const renewedListeners = new Set<() => void>();

/** Where the API is: the console's own origin unless config.json names another base URL. */
let apiBaseUrl = '';

export function setApiBaseUrl(baseUrl: string): void {
  apiBaseUrl = baseUrl.replace(/\/+$/, '');
}

/** Calls back when the API refuses the session's token mid-session; answers the function that stops it. */
export function whenSignedOut(callback: () => void): () => void {
  signedOutListeners.add(callback);
  return () => signedOutListeners.delete(callback);
}

/** Calls back when the user has signed in again in the same page (views retry what the ended session refused). */
export function whenSessionRenewed(callback: () => void): () => void {
  renewedListeners.add(callback);
  return () => renewedListeners.delete(callback);
}

/** Tells the views that a new token is kept: what failed because the session ended can be tried again. */
export function sessionRenewed(): void {
  for (const listener of [...renewedListeners]) listener();
}

type ErrorBody = Schemas['Error'];

async function errorOf(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await response.json()) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  const error = body?.error;
  const problems = (error?.details ?? []).map((d) => ({ path: d.path ?? '', message: d.message ?? '' }));
  return new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? `the API answered ${response.status}`, problems);
}

export interface CallOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly contentType?: string;
  readonly accept?: string;
  /** Further request headers, e.g. If-Match with the version an edit started from. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Calls the admin API with the session's token (the admin token locally, the Cognito access token in AWS); a 401 signs the session out. */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const token = options.token ?? sessionToken();
  const generation = sessionGeneration();
  const headers: Record<string, string> = { ...options.headers, accept: options.accept ?? 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${apiBaseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.status === 401) {
    const error = await errorOf(response);
    // A token given explicitly is the sign-in form's candidate: its refusal ends no session.
    if (options.token !== undefined) throw new SignedOut(error.status, error.code, error.message, error.problems);
    // Forget it only if it is still the one refused: a call that was under way while the user signed in again
    // must not drop the new token.
    if (sessionGeneration() === generation) {
      forgetSessionToken();
      for (const listener of [...signedOutListeners]) listener();
    }
    throw new SignedOut(error.status, error.code, SESSION_ENDED_MESSAGE, []);
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  if (options.accept !== undefined && options.accept !== 'application/json') return (await response.text()) as T;
  return (await response.json()) as T;
}

/** `?a=1&b=2` of the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A path segment from a resource name (names may hold characters a URL reserves). */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
