// Sign-in in AWS (docs/adr/0019): the authorization code grant with PKCE against the Cognito domain named in
// the config.json deployed next to the console. Local mode has no config.json, and the console signs in with
// the admin token instead.
//
// The browser keeps only the access token, in this tab's sessionStorage (session.ts); the ID and refresh tokens
// Cognito also returns are dropped, so nothing long-lived stays behind. While the browser is away at Cognito,
// the PKCE verifier and the state wait in sessionStorage, and are removed when it comes back.

import { keepSessionToken } from './session';

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

/** Sends the browser to Cognito's authorize endpoint, with a fresh state and PKCE challenge. */
export async function startSignIn(config: CognitoSignIn): Promise<void> {
  // 32 random bytes: a 43-character verifier, the shortest RFC 7636 allows, with 256 bits of entropy.
  const verifier = randomText(32);
  const state = randomText(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
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
  location.assign(authorize.toString());
}

/** What the page's URL said about a sign-in on this load. */
export type SignInOutcome =
  { readonly kind: 'none' } | { readonly kind: 'signed-in' } | { readonly kind: 'refused'; readonly message: string };

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
 * against the one this tab sent, exchanges the code with the PKCE verifier, keeps the access token. The code
 * leaves the address bar either way.
 */
export async function completeSignIn(config: CognitoSignIn): Promise<SignInOutcome> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return { kind: 'none' };
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const pending = takePending();
  if (!pending || params.get('state') !== pending.state)
    return {
      kind: 'refused',
      message: 'The answer from the sign-in page does not belong to a sign-in started in this tab. Sign in again.',
    };
  if (error !== null) return { kind: 'refused', message: `The sign-in was refused: ${params.get('error_description') ?? error}.` };

  let response: Response;
  try {
    response = await fetch(new URL('/oauth2/token', config.cognitoDomain), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: config.clientId,
        code: code!,
        redirect_uri: config.redirectUri,
        code_verifier: pending.verifier,
      }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (caught) {
    return { kind: 'refused', message: `Cannot reach the sign-in service: ${caught instanceof Error ? caught.message : String(caught)}` };
  }
  const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; token_type?: unknown; error?: unknown };
  if (!response.ok || typeof body.access_token !== 'string' || body.token_type !== 'Bearer')
    return {
      kind: 'refused',
      message: `The sign-in service did not issue a token (${typeof body.error === 'string' ? body.error : response.status}). Sign in again.`,
    };
  keepSessionToken(body.access_token);
  return { kind: 'signed-in' };
}

/** Cognito's logout endpoint, which ends its own session and sends the browser back to the console. */
export function signOutUrl(config: CognitoSignIn): string {
  const logout = new URL('/logout', config.cognitoDomain);
  logout.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri }).toString();
  return logout.toString();
}
