// The console's AWS sign-in in headless Chromium: the built console with a config.json, served the way the
// CloudFront distribution serves it (same CSP, the API under /v1/* on the same origin), and a test double of
// Cognito's OAuth endpoints (/oauth2/authorize, /oauth2/token, /logout) on another origin. The double checks
// each request against Cognito's documented shape, including the PKCE proof.
//
// The API behind /v1/* is local mode's (real handlers, DynamoDB Local). The origin stands in for the console
// API's JWT authorizer, whose acceptance of Cognito tokens test/integration/api/console-tokens.test.ts covers:
// it passes a call on (with local mode's admin token) only when it carries an access token the double issued
// and has not expired, and answers API Gateway's 401 otherwise. A token's lifetime (`expires_in`) is set on
// the double, so a session near its end or past it is reached without waiting.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_SECURITY_HEADERS, consoleContentSecurityPolicy, type ConsoleAssets } from '../../console/build.js';
import { ADMIN_TOKEN, useApi } from '../support/api.js';
import { expectAccessible, useBrowser } from '../support/browser.js';

const CLIENT_ID = '4example0console0client0id';
const BROWSER_STORAGE = '({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly form?: Record<string, string>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * Test double of a Cognito domain's OAuth endpoints. The authorize endpoint "signs in" at once and redirects
 * back with a code (or, when told to, with a forged state); the token endpoint redeems a code once, only with
 * the verifier whose S256 challenge came with it; the logout endpoint redirects to the logout URI.
 */
class CognitoDouble {
  readonly requests: Recorded[] = [];
  /** A state to send back instead of the one the console sent (an answer to someone else's sign-in). */
  forgedState: string | undefined;
  /** The `expires_in` of the next tokens, in seconds (Cognito's are 1800 for the console's client). */
  expiresIn = 1800;
  /** The tokens of the latest exchange. */
  issued = CognitoDouble.tokens();
  /** Access tokens issued and not yet expired, as the JWT authorizer would judge them. */
  private readonly live = new Set<string>();
  private readonly codes = new Map<string, { challenge: string; redirectUri: string }>();
  private server: Server | undefined;
  url = '';

  private static tokens() {
    const random = () => base64url(randomBytes(24));
    return { access: `access.${random()}`, id: `id.${random()}`, refresh: `refresh.${random()}` };
  }

  /** Whether the authorizer would accept this access token now. */
  accepts(token: string): boolean {
    return this.live.has(token);
  }

  /** Ends the lifetime of every access token issued so far (the authorizer refuses them from now on). */
  expireAll(): void {
    this.live.clear();
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listen(this.server);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const query = Object.fromEntries(url.searchParams);
    const body = req.method === 'POST' ? await bodyOf(req) : '';
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : undefined;
    this.requests.push({ method: req.method!, path: url.pathname, query, headers: req.headers, ...(form ? { form } : {}) });

    if (req.method === 'GET' && url.pathname === '/oauth2/authorize') {
      const code = base64url(randomBytes(16));
      this.codes.set(code, { challenge: query.code_challenge!, redirectUri: query.redirect_uri! });
      const back = new URL(query.redirect_uri!);
      back.search = new URLSearchParams({ code, state: this.forgedState ?? query.state! }).toString();
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      // Cognito answers the token endpoint with Access-Control-Allow-Origin: * so that browsers may call it.
      const headers = { 'content-type': 'application/json', 'access-control-allow-origin': '*' };
      const grant = this.codes.get(form?.code ?? '');
      this.codes.delete(form?.code ?? '');
      const proof = form?.code_verifier ? base64url(createHash('sha256').update(form.code_verifier).digest()) : undefined;
      if (
        !grant ||
        form?.grant_type !== 'authorization_code' ||
        form.client_id !== CLIENT_ID ||
        form.redirect_uri !== grant.redirectUri ||
        proof !== grant.challenge
      ) {
        res.writeHead(400, headers).end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      this.issued = CognitoDouble.tokens();
      this.live.add(this.issued.access);
      res.writeHead(200, headers).end(
        JSON.stringify({
          access_token: this.issued.access,
          id_token: this.issued.id,
          refresh_token: this.issued.refresh,
          token_type: 'Bearer',
          expires_in: this.expiresIn,
        }),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/logout') {
      res.writeHead(302, { location: query.logout_uri! }).end();
      return;
    }
    res.writeHead(404).end();
  }
}

/**
 * The distribution's stand-in: the built console and config.json under the CSP CloudFront sends (its own
 * origin and the Cognito domain to connect to), and /v1/* passed to the API with the Authorization header.
 */
class ConsoleOrigin {
  readonly apiAuthorizations: string[] = [];
  /** Serve a config.json without the fields the console needs (a broken deployment). */
  brokenConfig = false;
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly assets: () => ConsoleAssets,
    private readonly apiUrl: () => string,
    private readonly cognito: CognitoDouble,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listen(this.server);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const headers = { ...CONSOLE_SECURITY_HEADERS, 'content-security-policy': consoleContentSecurityPolicy([this.cognito.url]) };
    if (url.pathname.startsWith('/v1/')) {
      const authorization = req.headers.authorization ?? '';
      this.apiAuthorizations.push(authorization);
      // The JWT authorizer: an unknown or expired token never reaches the function (API Gateway's own answer).
      if (!authorization.startsWith('Bearer ') || !this.cognito.accepts(authorization.slice('Bearer '.length))) {
        res.writeHead(401, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Unauthorized' }));
        return;
      }
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await bodyOf(req);
      const forwarded = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host' && e[0] !== 'content-length',
        ),
      );
      forwarded.authorization = `Bearer ${ADMIN_TOKEN}`;
      const answer = await fetch(`${this.apiUrl()}${url.pathname}${url.search}`, { method: req.method, headers: forwarded, body });
      res
        .writeHead(answer.status, { ...headers, 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    if (url.pathname === '/config.json') {
      const config = this.brokenConfig
        ? { apiBaseUrl: '', clientId: 5 }
        : { apiBaseUrl: '', cognitoDomain: this.cognito.url, clientId: CLIENT_ID, redirectUri: `${this.url}/` };
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(config));
      return;
    }
    const asset = this.assets().get(url.pathname);
    if (!asset) {
      res.writeHead(403, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': asset.contentType }).end(asset.body);
  }
}

const api = useApi();
const browser = useBrowser();
const cognito = new CognitoDouble();
let assets: ConsoleAssets;
const origin = new ConsoleOrigin(
  () => assets,
  () => api.url,
  cognito,
);

/** Checks the authorize request's query of an authorization code with PKCE; answers its state and challenge. */
function expectAuthorizeQuery(query: Record<string, string>): { state: string | undefined; challenge: string | undefined } {
  const { state, code_challenge: challenge, ...rest } = query;
  expect(rest).toEqual({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: `${origin.url}/`,
    scope: 'openid',
    code_challenge_method: 'S256',
  });
  return { state, challenge };
}

beforeAll(async () => {
  assets = await buildConsole();
  await cognito.start();
  await origin.start();
}, 60_000);

afterAll(async () => {
  await origin.stop();
  await cognito.stop();
});

beforeEach(() => {
  cognito.requests.length = 0;
  cognito.forgedState = undefined;
  cognito.expiresIn = 1800;
  origin.apiAuthorizations.length = 0;
  origin.brokenConfig = false;
});

/** Resolves once the sign-in window has closed itself (it may already have). */
async function closed(window: Page): Promise<void> {
  if (!window.isClosed()) await window.waitForEvent('close');
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${origin.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runtime policies' }).waitFor();
}

describe('the console signed in through Cognito (authorization code with PKCE)', () => {
  it('offers the sign-in page instead of the admin token form when config.json names a Cognito domain', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Admin token').count()).toBe(0);
    await expectAccessible(page, 'the Cognito sign-in page');
  });

  it('signs in: S256 challenge and state to the authorize endpoint, code and verifier to the token endpoint, the access token on API calls', async () => {
    const page = await browser.newPage();
    await signIn(page);

    const [authorize, token, ...others] = cognito.requests;
    expect(others).toEqual([]);
    expect(authorize).toMatchObject({ method: 'GET', path: '/oauth2/authorize' });
    const { state, challenge } = expectAuthorizeQuery(authorize!.query);
    expect(state).toMatch(/^[A-Za-z0-9_-]{22}$/);

    expect(token).toMatchObject({ method: 'POST', path: '/oauth2/token' });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token!.headers.authorization).toBeUndefined(); // a public client sends no secret
    const { code, code_verifier: verifier, ...form } = token!.form!;
    expect(form).toEqual({ grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: `${origin.url}/` });
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64url(createHash('sha256').update(verifier!).digest())).toBe(challenge);

    // The code left the address bar; every API call carried the access token, and only it is kept.
    expect(new URL(page.url()).search).toBe('');
    expect(origin.apiAuthorizations.length).toBeGreaterThan(0);
    expect(new Set(origin.apiAuthorizations)).toEqual(new Set([`Bearer ${cognito.issued.access}`]));
    // Only the access token is kept, with when it expires; the ID and refresh tokens are dropped.
    const storage = await page.evaluate<{ session: Record<string, string>; local: object; cookie: string }>(BROWSER_STORAGE);
    expect(storage.session).toEqual({
      'vigil.adminToken': cognito.issued.access,
      'vigil.sessionExpiresAt': expect.stringMatching(/^\d+$/),
    });
    expect(storage.local).toEqual({});
    expect(storage.cookie).toBe('');
    await expectAccessible(page, 'the policies view after a Cognito sign-in');
  });

  it('refuses an answer whose state is not the one this tab sent, without redeeming the code', async () => {
    cognito.forgedState = base64url(randomBytes(16));
    const page = await browser.newPage();
    await page.goto(`${origin.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('does not belong to a sign-in started in this tab');
    expect(cognito.requests.map((r) => r.path)).toEqual(['/oauth2/authorize']);
    expect(origin.apiAuthorizations).toEqual([]);
    expect(await page.evaluate(BROWSER_STORAGE)).toEqual({ session: {}, local: {}, cookie: '' });
    expect(new URL(page.url()).search).toBe('');
  });

  it('refuses a code that arrives without a sign-in started in this tab (a link someone else made)', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin.url}/?code=stolen-code&state=any-state`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('does not belong to a sign-in started in this tab');
    expect(cognito.requests).toEqual([]);
    expect(await page.evaluate(BROWSER_STORAGE)).toEqual({ session: {}, local: {}, cookie: '' });
  });

  it('says so when config.json lacks its settings, instead of a blank page or the admin token form', async () => {
    origin.brokenConfig = true;
    const page = await browser.newPage();
    await page.goto(`${origin.url}/`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The console could not read its settings (config.json)');
    expect(await page.getByLabel('Admin token').count()).toBe(0);
    expect(cognito.requests).toEqual([]);
  });

  it('comes back to the view it was opened at: the route travels in the state and is put back only from the state this tab sent', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin.url}/#/scopes/new`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'New application scope' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/scopes/new');
    const [authorize] = cognito.requests;
    const [random, route, ...more] = authorize!.query.state!.split('.');
    expect(random).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(route!, 'base64url').toString('utf8')).toBe('#/scopes/new');
    expect(more).toEqual([]);
    expect(cognito.requests.map((r) => r.path)).toEqual(['/oauth2/authorize', '/oauth2/token']);
  });

  it('warns before the token expires and stays signed in through a sign-in window, leaving the form as typed', async () => {
    // A lifetime shorter than the warning's lead: the warning shows as soon as the session starts.
    cognito.expiresIn = 240;
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('typed-before-renewal');
    const warning = page.getByRole('alert').filter({ hasText: 'Your session ends at' });
    await warning.waitFor();
    await expectAccessible(page, 'the session warning');
    const first = cognito.issued.access;
    cognito.requests.length = 0;
    origin.apiAuthorizations.length = 0;
    cognito.expiresIn = 1800;

    const signInWindow = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await closed(await signInWindow);
    await warning.waitFor({ state: 'detached' });

    // The window went through the same authorize request; this tab redeemed the code with its own verifier.
    const [authorize, token, ...others] = cognito.requests;
    expect(others).toEqual([]);
    const { state, challenge } = expectAuthorizeQuery(authorize!.query);
    expect(state).toMatch(/^again\.[A-Za-z0-9_-]{22}$/);
    const { code, code_verifier: verifier, ...form } = token!.form!;
    expect(form).toEqual({ grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: `${origin.url}/` });
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(base64url(createHash('sha256').update(verifier!).digest())).toBe(challenge);
    expect(token!.headers.origin).toBe(origin.url);

    // The form is as typed, the new token replaced the old one, and the save goes out with it.
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('typed-before-renewal');
    expect(cognito.issued.access).not.toBe(first);
    const storage = await page.evaluate<{ session: Record<string, string> }>(BROWSER_STORAGE);
    expect(storage.session['vigil.adminToken']).toBe(cognito.issued.access);
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Saved (version 1).').waitFor();
    expect(new Set(origin.apiAuthorizations)).toEqual(new Set([`Bearer ${cognito.issued.access}`]));
    expect((await api.call('GET', '/v1/policies/typed-before-renewal')).status).toBe(200);
  });

  it('keeps an unsaved form when the save answers 401, says why, and saves it after signing in again', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Application scopes' }).click();
    await page.getByRole('link', { name: 'New application scope' }).click();
    await page.getByLabel('Name', { exact: true }).fill('kept-across-sign-in');
    await page.getByLabel('Description').fill('Typed while the token expired');
    cognito.expireAll();

    await page.getByRole('button', { name: 'Create application scope' }).click();
    await page.getByText('Your session has ended, so this was not done.').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Your session has ended. This page and anything you entered stay' }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('kept-across-sign-in');
    expect(await page.getByLabel('Description').inputValue()).toBe('Typed while the token expired');
    expect(new URL(page.url()).hash).toBe('#/scopes/new');
    // The refused token is forgotten at once.
    expect((await page.evaluate<{ session: Record<string, string> }>(BROWSER_STORAGE)).session).toEqual({});
    expect((await api.call('GET', '/v1/application-scopes/kept-across-sign-in')).status).toBe(404);
    await expectAccessible(page, 'the scope editor after its session ended');

    cognito.requests.length = 0;
    const signInWindow = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await closed(await signInWindow);
    await page.getByRole('button', { name: 'Sign in again' }).waitFor({ state: 'detached' });
    expect(cognito.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /oauth2/authorize', 'POST /oauth2/token']);

    await page.getByRole('button', { name: 'Create application scope' }).click();
    await page.getByText('Saved (version 1).').waitFor();
    expect((await api.call('GET', '/v1/application-scopes/kept-across-sign-in')).body).toMatchObject({
      name: 'kept-across-sign-in',
      description: 'Typed while the token expired',
    });
  });

  it('offers the sign-in in this tab when the browser blocks the sign-in window, and comes back to the same view', async () => {
    cognito.expiresIn = 240;
    const page = await browser.newPage();
    // The browser's pop-up blocker, as it answers a page: window.open gives no window.
    await page.addInitScript('window.open = () => null');
    await signIn(page);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Clusters' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    cognito.requests.length = 0;
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.getByText('The browser blocked the sign-in window.').waitFor();
    expect(cognito.requests).toEqual([]);

    cognito.expiresIn = 1800;
    await page.getByRole('button', { name: 'Sign in in this tab' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Your session ends at' }).waitFor({ state: 'detached' });
    expect(new URL(page.url()).hash).toBe('#/clusters');
    const [authorize, token, ...others] = cognito.requests;
    expect(others).toEqual([]);
    expect(Buffer.from(authorize!.query.state!.split('.')[1]!, 'base64url').toString('utf8')).toBe('#/clusters');
    expect(token).toMatchObject({ method: 'POST', path: '/oauth2/token' });
  });

  it('ends the session when the clock passes the expiry, without waiting for a refused call', async () => {
    cognito.expiresIn = 240;
    const page = await browser.newPage();
    await page.clock.install();
    await signIn(page);
    await page.getByRole('alert').filter({ hasText: 'Your session ends at' }).waitFor();
    const callsBefore = origin.apiAuthorizations.length;
    await page.clock.fastForward('04:01');
    await page.getByRole('button', { name: 'Sign in again' }).waitFor();
    // The notice renders as the clock passes the expiry; the token is dropped by the effect that follows it.
    await expect.poll(async () => (await page.evaluate<{ session: Record<string, string> }>(BROWSER_STORAGE)).session).toEqual({});
    expect(origin.apiAuthorizations.length).toBe(callsBefore);
  });

  it("signs out through Cognito's logout endpoint and forgets the token", async () => {
    const page = await browser.newPage();
    await signIn(page);
    cognito.requests.length = 0;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(cognito.requests).toEqual([
      expect.objectContaining({ method: 'GET', path: '/logout', query: { client_id: CLIENT_ID, logout_uri: `${origin.url}/` } }),
    ]);
    expect(await page.evaluate(BROWSER_STORAGE)).toEqual({ session: {}, local: {}, cookie: '' });
    expect(page.url()).toBe(`${origin.url}/`);
  });
});
