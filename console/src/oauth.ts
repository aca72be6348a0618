// Sign-in in AWS (docs/adr/0019): the authorization code grant with PKCE against the Cognito domain named in
// the config.json deployed next to the console. Local mode has no config.json, and the console signs in with
// the admin token instead.
//
// The browser keeps only the access token, in this tab's sessionStorage (session.ts); the ID and refresh tokens
// Cognito also returns are dropped, so nothing long-lived stays behind. While the browser is away at Cognito,
// the PKCE verifier and the state wait in sessionStorage, and are removed when it comes back. The state also
// carries the console route the user was on (validated on return), because Cognito sends the browser back to
// the one registered URL, without the fragment the route lives in.
//
// Signing in again during a session (the token is about to expire, or has) happens in a separate window, so
// the page and any unsaved form stay as they are: the window goes through the same authorize endpoint (while
// Cognito's own sign-in session lasts it answers at once, without asking for credentials), comes back to the
// console with the code, hands code and state to this tab over a BroadcastChannel and closes. This tab checks
// the state and redeems the code with the verifier it kept in memory; the window never holds a token.

import { keepSessionToken } from './session';
import { consoleRoute, routeOfState } from './sign-in-route';

/** The console's config.json (infra/console-hosting.ts writes it). */
export interface CognitoSignIn {
  /** Base URL of the admin API; empty for the console's own origin. */
  readonly apiBaseUrl: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com` */
  readonly cognitoDomain: string;
  readonly clientId: string;
  /** The console's URL, registered with the app client as its callback and sign-out URL. */
  readonly redirectUri: string;
}

const PENDING_KEY = 'vigil.pendingSignIn';

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value);
}

/** The sign-in settings of an AWS deployment, or undefined in local mode (no config.json). */
export async function loadCognitoSignIn(): Promise<CognitoSignIn | undefined> {
  const response = await fetch('/config.json', { credentials: 'omit', cache: 'no-store', headers: { accept: 'application/json' } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as Partial<Record<keyof CognitoSignIn, unknown>>;
  const { apiBaseUrl, cognitoDomain, clientId, redirectUri } = config;
  if (typeof apiBaseUrl !== 'string' || !isUrl(cognitoDomain) || typeof clientId !== 'string' || clientId === '' || !isUrl(redirectUri))
    throw new Error('config.json needs apiBaseUrl, cognitoDomain (a URL), clientId and redirectUri (a URL)');
  return { apiBaseUrl, cognitoDomain, clientId, redirectUri };
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(byteCount: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 code challenge of a verifier (RFC 7636): base64url of its SHA-256. */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** `<random>` or `<random>.<base64url of the route>`: the random part is what ties the answer to this tab. */
function stateWithRoute(route: string | undefined): string {
  const random = randomText(16);
  const kept = route === undefined ? undefined : consoleRoute(route);
  return kept === undefined || kept === '#/' ? random : `${random}.${base64url(new TextEncoder().encode(kept))}`;
}

async function authorizeUrl(config: CognitoSignIn, state: string, verifier: string): Promise<string> {
  const authorize = new URL('/oauth2/authorize', config.cognitoDomain);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid',
    state,
    code_challenge_method: 'S256',
    code_challenge: await codeChallenge(verifier),
  }).toString();
  return authorize.toString();
}

/**
 * Sends the browser to Cognito's authorize endpoint, with a fresh state and PKCE challenge; `route` (this
 * page's fragment) is where the console opens when the browser comes back.
 */
export async function startSignIn(config: CognitoSignIn, route?: string): Promise<void> {
  // 32 random bytes: a 43-character verifier, the shortest RFC 7636 allows, with 256 bits of entropy.
  const verifier = randomText(32);
  const state = stateWithRoute(route);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
  location.assign(await authorizeUrl(config, state, verifier));
}

/** What the page's URL said about a sign-in on this load. */
export type SignInOutcome =
  { readonly kind: 'none' } | { readonly kind: 'signed-in' } | { readonly kind: 'refused'; readonly message: string };

/** Cognito's lifetimes are minutes to a day; anything else in `expires_in` is not believed. */
const MAX_EXPIRES_IN_SECONDS = 86_400;

/** Redeems a code with its verifier and keeps the access token (and when it expires); drops the other tokens. */
async function redeem(config: CognitoSignIn, code: string, verifier: string): Promise<SignInOutcome> {
  let response: Response;
  try {
    response = await fetch(new URL('/oauth2/token', config.cognitoDomain), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: config.clientId,
        code,
        redirect_uri: config.redirectUri,
        code_verifier: verifier,
      }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (caught) {
    return { kind: 'refused', message: `Cannot reach the sign-in service: ${caught instanceof Error ? caught.message : String(caught)}` };
  }
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: unknown;
    token_type?: unknown;
    expires_in?: unknown;
    error?: unknown;
  };
  if (!response.ok || typeof body.access_token !== 'string' || body.token_type !== 'Bearer')
    return {
      kind: 'refused',
      message: `The sign-in service did not issue a token (${typeof body.error === 'string' ? body.error : response.status}). Sign in again.`,
    };
  const lifetime = body.expires_in;
  const expiresAt =
    typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime >= 0 && lifetime <= MAX_EXPIRES_IN_SECONDS
      ? Date.now() + lifetime * 1000
      : undefined;
  keepSessionToken(body.access_token, expiresAt);
  return { kind: 'signed-in' };
}

function takePending(): { state: string; verifier: string } | undefined {
  const text = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!text) return undefined;
  try {
    const pending = JSON.parse(text) as { state?: unknown; verifier?: unknown };
    return typeof pending.state === 'string' && typeof pending.verifier === 'string'
      ? { state: pending.state, verifier: pending.verifier }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Completes a sign-in when Cognito sent the browser back with `code` and `state` (or `error`): checks the state
 * against the one this tab sent, exchanges the code with the PKCE verifier, keeps the access token, and puts
 * back the route the state carries. The code leaves the address bar either way.
 */
export async function completeSignIn(config: CognitoSignIn): Promise<SignInOutcome> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return { kind: 'none' };
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const pending = takePending();
  const state = params.get('state');
  if (!pending || state !== pending.state)
    return {
      kind: 'refused',
      message: 'The answer from the sign-in page does not belong to a sign-in started in this tab. Sign in again.',
    };
  // The state is exactly the one this tab made, and the route in it is checked again before it is used.
  const route = routeOfState(state);
  if (route !== undefined) history.replaceState(null, '', `${location.pathname}${route}`);
  if (error !== null) return { kind: 'refused', message: `The sign-in was refused: ${params.get('error_description') ?? error}.` };
  return redeem(config, code!, pending.verifier);
}

const RENEWAL_CHANNEL = 'vigil.sign-in';
/** Marks the state of a sign-in made in a separate window, so that the window hands the answer back. */
const RENEWAL_PREFIX = 'again.';

/** What the sign-in window posts to the tab that opened it. */
interface RenewalAnswer {
  readonly state: string;
  readonly code: string | null;
  readonly error: string | null;
}

function isRenewalAnswer(data: unknown): data is RenewalAnswer {
  if (typeof data !== 'object' || data === null) return false;
  const { state, code, error } = data as Record<string, unknown>;
  return typeof state === 'string' && (typeof code === 'string' || code === null) && (typeof error === 'string' || error === null);
}

/** What signing in again in a separate window came to. */
export type RenewalOutcome = SignInOutcome | { readonly kind: 'blocked' };

let openRenewal: BroadcastChannel | undefined;

/**
 * Signs in again in a separate window and keeps the new access token in this tab, leaving the page as it is.
 * Call it from a click: the window is opened before anything is awaited, or the browser blocks it ('blocked').
 * The promise stays pending while the user is still signing in; a new call replaces a pending one.
 */
export async function signInAgainInWindow(config: CognitoSignIn): Promise<RenewalOutcome> {
  const signInWindow = open('', 'vigil-sign-in', 'popup,width=520,height=720');
  if (!signInWindow) return { kind: 'blocked' };
  openRenewal?.close();
  const channel = new BroadcastChannel(RENEWAL_CHANNEL);
  openRenewal = channel;
  const verifier = randomText(32);
  const state = `${RENEWAL_PREFIX}${randomText(16)}`;
  const answer = new Promise<RenewalAnswer>((resolve) => {
    channel.onmessage = (event: MessageEvent<unknown>) => {
      // Other tabs of the console may be signing in again too: only the answer to this state is ours.
      if (isRenewalAnswer(event.data) && event.data.state === state) resolve(event.data);
    };
  });
  signInWindow.location.assign(await authorizeUrl(config, state, verifier));
  const { code, error } = await answer;
  channel.close();
  if (openRenewal === channel) openRenewal = undefined;
  if (error !== null || code === null) return { kind: 'refused', message: `The sign-in was refused: ${error ?? 'no code'}.` };
  return redeem(config, code, verifier);
}

/**
 * In the sign-in window: when this load is Cognito's answer to a sign-in made in a separate window, hands code
 * and state to the console tab that asked (which alone holds the verifier) and answers true.
 */
export function handBackSignIn(): boolean {
  const params = new URLSearchParams(location.search);
  const state = params.get('state');
  if (state === null || !state.startsWith(RENEWAL_PREFIX)) return false;
  history.replaceState(null, '', location.pathname);
  const answer: RenewalAnswer = { state, code: params.get('code'), error: params.get('error_description') ?? params.get('error') };
  const channel = new BroadcastChannel(RENEWAL_CHANNEL);
  channel.postMessage(answer);
  channel.close();
  return true;
}

/** Cognito's logout endpoint, which ends its own session and sends the browser back to the console. */
export function signOutUrl(config: CognitoSignIn): string {
  const logout = new URL('/logout', config.cognitoDomain);
  logout.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri }).toString();
  return logout.toString();
}
