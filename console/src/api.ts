// The console's client of the admin API: the same routes the CLI calls, typed from the OpenAPI document
// (api-types.ts is generated from it). No route exists for the console alone.

import type { components, operations } from './api-types';
import { forgetSessionToken, sessionToken } from './session';

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

/** The admin token was refused: the console forgets it and asks for it again. */
export class SignedOut extends ApiError {}

let onSignedOut: () => void = () => undefined;

/** Where the API is: the console's own origin unless config.json names another base URL. */
let apiBaseUrl = '';

export function setApiBaseUrl(baseUrl: string): void {
  apiBaseUrl = baseUrl.replace(/\/+$/, '');
}

/** What the app does when the API refuses the token mid-session (it shows the sign-in form). */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
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
    if (options.token === undefined) {
      forgetSessionToken();
      onSignedOut();
    }
    throw new SignedOut(error.status, error.code, error.message, error.problems);
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
