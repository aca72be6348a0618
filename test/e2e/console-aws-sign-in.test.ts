// The console's AWS sign-in in headless Chromium: the built console with a config.json, served the way the
// CloudFront distribution serves it (same CSP, the API under /v1/* on the same origin), and a test double of
// Cognito's OAuth endpoints (/oauth2/authorize, /oauth2/token, /logout) on another origin. The double checks
// each request against Cognito's documented shape, including the PKCE proof.
//
// The API behind /v1/* is local mode's (real handlers, DynamoDB Local). It stands in for the console API and its
// JWT authorizer, whose acceptance of Cognito tokens test/integration/api/console-tokens.test.ts covers: here the
// double issues local mode's admin token as the access token, so the console's calls succeed only if it sends
// exactly the token it was issued.
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
  readonly issued = { access: ADMIN_TOKEN, id: `id.${base64url(randomBytes(24))}`, refresh: `refresh.${base64url(randomBytes(24))}` };
  private readonly codes = new Map<string, { challenge: string; redirectUri: string }>();
  private server: Server | undefined;
  url = '';

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
      res.writeHead(200, headers).end(
        JSON.stringify({
          access_token: this.issued.access,
          id_token: this.issued.id,
          refresh_token: this.issued.refresh,
          token_type: 'Bearer',
          expires_in: 1800,
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
    private readonly cognitoUrl: () => string,
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
    const headers = { ...CONSOLE_SECURITY_HEADERS, 'content-security-policy': consoleContentSecurityPolicy([this.cognitoUrl()]) };
    if (url.pathname.startsWith('/v1/')) {
      this.apiAuthorizations.push(req.headers.authorization ?? '');
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await bodyOf(req);
      const forwarded = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host' && e[0] !== 'content-length',
        ),
      );
      const answer = await fetch(`${this.apiUrl()}${url.pathname}${url.search}`, { method: req.method, headers: forwarded, body });
      res
        .writeHead(answer.status, { ...headers, 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    if (url.pathname === '/config.json') {
      const config = this.brokenConfig
        ? { apiBaseUrl: '', clientId: 5 }
        : { apiBaseUrl: '', cognitoDomain: this.cognitoUrl(), clientId: CLIENT_ID, redirectUri: `${this.url}/` };
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
  () => cognito.url,
);

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
  origin.apiAuthorizations.length = 0;
  origin.brokenConfig = false;
});

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
    const { state, code_challenge: challenge, ...rest } = authorize!.query;
    expect(rest).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${origin.url}/`,
      scope: 'openid',
      code_challenge_method: 'S256',
    });
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
    const storage = await page.evaluate<{ session: Record<string, string>; local: object; cookie: string }>(BROWSER_STORAGE);
    expect(Object.values(storage.session)).toEqual([cognito.issued.access]);
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
