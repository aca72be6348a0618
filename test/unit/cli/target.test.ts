import { describe, expect, it } from 'vitest';
import { VigilClient } from '../../../cli/client.js';
import { ApiError, CliError, UsageError } from '../../../cli/errors.js';
import { colorsFor, painter, renderTable } from '../../../cli/output.js';
import { isLocalHost, regionFromHost, resolveTarget } from '../../../cli/target.js';
import { durationMs, parseInstant } from '../../../cli/time.js';

describe('resolveTarget', () => {
  it('needs an endpoint, from the flag or VIGIL_ENDPOINT (flag first)', () => {
    expect(() => resolveTarget({}, {})).toThrow(UsageError);
    expect(resolveTarget({}, { VIGIL_ENDPOINT: 'http://127.0.0.1:8787/', VIGIL_TOKEN: 't' }).endpoint.href).toBe('http://127.0.0.1:8787/');
    expect(resolveTarget({ endpoint: 'http://localhost:9000' }, { VIGIL_ENDPOINT: 'http://127.0.0.1:8787' }).endpoint.port).toBe('9000');
    expect(() => resolveTarget({ endpoint: 'ftp://x' }, {})).toThrow(/http or https/);
    expect(() => resolveTarget({ endpoint: 'not a url' }, {})).toThrow(/not a URL/);
  });

  it('uses Bearer whenever a token is given', () => {
    expect(
      resolveTarget({ token: 'flag' }, { VIGIL_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com', VIGIL_TOKEN: 'env' }).auth,
    ).toEqual({ kind: 'bearer', token: 'flag' });
    expect(resolveTarget({}, { VIGIL_ENDPOINT: 'http://127.0.0.1:8787', VIGIL_TOKEN: 'env' }).auth).toEqual({
      kind: 'bearer',
      token: 'env',
    });
  });

  it('signs https endpoints on other hosts with SigV4, region from the flag, the host name, then the environment', () => {
    const aws = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
    expect(resolveTarget({ endpoint: aws }, { AWS_REGION: 'us-east-1' }).auth).toEqual({ kind: 'sigv4', region: 'eu-west-1' });
    expect(resolveTarget({ endpoint: aws, region: 'eu-central-1', profile: 'sec' }, {}).auth).toEqual({
      kind: 'sigv4',
      region: 'eu-central-1',
      profile: 'sec',
    });
    expect(resolveTarget({ endpoint: 'https://vigil.example.com/prod' }, { AWS_DEFAULT_REGION: 'eu-north-1' }).auth).toEqual({
      kind: 'sigv4',
      region: 'eu-north-1',
    });
    expect(() => resolveTarget({ endpoint: 'https://vigil.example.com' }, {})).toThrow(/--region/);
  });

  it('sends no credentials to local hosts without a token', () => {
    expect(resolveTarget({ endpoint: 'https://localhost:8787' }, {}).auth).toEqual({ kind: 'none' });
    expect(resolveTarget({ endpoint: 'http://vigil.internal' }, {}).auth).toEqual({ kind: 'none' });
  });

  it('recognises local hosts and execute-api regions', () => {
    expect(['localhost', 'a.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'].every(isLocalHost)).toBe(true);
    expect(['example.com', '10.0.0.1', '128.0.0.1'].some(isLocalHost)).toBe(false);
    expect(regionFromHost('abc.execute-api.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2');
    expect(regionFromHost('abc.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionFromHost('example.com')).toBeUndefined();
  });
});

describe('VigilClient', () => {
  const target = { endpoint: new URL('http://127.0.0.1:8787/base'), auth: { kind: 'bearer', token: 'tok' } } as const;
  const answering = (status: number, body: unknown, calls: Array<{ url: string; init?: RequestInit }> = []) =>
    ((input: string | URL, init?: RequestInit) => {
      calls.push({ url: input.toString(), ...(init ? { init } : {}) });
      return Promise.resolve(new Response(body === undefined ? null : JSON.stringify(body), { status }));
    }) as typeof fetch;

  it('sends the bearer token below the endpoint base path and encodes names', async () => {
    const calls: Array<{ url: string; init?: RequestInit }> = [];
    await new VigilClient(target, { fetch: answering(200, {}, calls) }).get('/v1/policies/my%20policy', {
      type: 'container',
      enabled: undefined,
    });
    expect(calls[0]?.url).toBe('http://127.0.0.1:8787/base/v1/policies/my%20policy?type=container');
    expect(new Headers(calls[0]?.init?.headers).get('authorization')).toBe('Bearer tok');
  });

  it('turns error bodies into ApiError with code, message, details and a hint for 401', async () => {
    const error = await new VigilClient(target, {
      fetch: answering(400, { error: { code: 'validation_failed', message: 'bad', details: [{ path: 'name', message: 'too long' }] } }),
    })
      .get('/v1/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'bad',
      details: [{ path: 'name', message: 'too long' }],
    });
    const unauthorized = await new VigilClient(target, {
      fetch: answering(401, { error: { code: 'unauthorized', message: 'missing or invalid credentials' } }),
    })
      .get('/v1/x')
      .catch((e: unknown) => e);
    expect((unauthorized as ApiError).hint).toContain('VIGIL_TOKEN');
  });

  it('reports unreachable endpoints as errors, not crashes', async () => {
    const failing = (() =>
      Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8787') }))) as typeof fetch;
    const error = await new VigilClient(target, { fetch: failing }).get('/v1/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe('cannot reach http://127.0.0.1:8787: connect ECONNREFUSED 127.0.0.1:8787');
  });

  it('follows cursors and stops at the limit', async () => {
    const pages = [{ items: [1, 2], nextCursor: 'c1' }, { items: [3, 4], nextCursor: 'c2' }, { items: [5] }];
    const urls: string[] = [];
    const fakeFetch = ((input: string | URL) => {
      urls.push(input.toString());
      return Promise.resolve(new Response(JSON.stringify(pages[urls.length - 1]), { status: 200 }));
    }) as typeof fetch;
    expect(await new VigilClient(target, { fetch: fakeFetch }).listAll('/v1/things')).toEqual([1, 2, 3, 4, 5]);
    expect(urls[1]).toContain('cursor=c1');
    urls.length = 0;
    expect(await new VigilClient(target, { fetch: fakeFetch }).listAll('/v1/things', {}, 3)).toEqual([1, 2, 3, 4]);
    expect(urls[0]).toContain('limit=3');
  });
});

describe('output', () => {
  it('pads table columns and flattens lists and multi-line text', () => {
    const text = renderTable(
      [
        { a: 'x', b: ['p', 'q'] },
        { a: 'longer', b: 'two\nlines' },
      ],
      [
        { header: 'A', value: (r) => r.a },
        { header: 'B', value: (r) => r.b },
      ],
    );
    expect(text).toBe('A       B\nx       p,q\nlonger  two lines\n');
  });

  it('fits a table into the given width by cutting its widest column with an ellipsis', () => {
    const rows = [
      { name: 'web', description: 'blocks shells in every container of the web tier', mode: 'enforce' },
      { name: 'batch', description: 'short', mode: 'detect' },
    ];
    const columns = [
      { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
      { header: 'DESCRIPTION', value: (r: (typeof rows)[number]) => r.description },
      { header: 'MODE', value: (r: (typeof rows)[number]) => r.mode },
    ];
    const text = renderTable(rows, columns, undefined, 32);
    expect(text).toBe(
      ['NAME   DESCRIPTION       MODE', 'web    blocks shells i…  enforce', 'batch  short             detect', ''].join('\n'),
    );
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(32);
    expect(renderTable(rows, columns, undefined, 200)).toContain('blocks shells in every container of the web tier');
  });

  it('colours only a terminal, never with NO_COLOR, TERM=dumb or --no-color', () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true };
    expect(colorsFor(tty, {}, true)).toBe(true);
    expect(colorsFor(pipe, {}, true)).toBe(false);
    expect(colorsFor(tty, { NO_COLOR: '1' }, true)).toBe(false);
    expect(colorsFor(tty, { TERM: 'dumb' }, true)).toBe(false);
    expect(colorsFor(tty, {}, false)).toBe(false);
    expect(painter(false)('red', 'x')).toBe('x');
    expect(painter(true)('red', 'x')).toBe('\u001b[31mx\u001b[0m');
  });
});

describe('durations and instants', () => {
  it('reads durations with units, bare numbers as seconds', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('2s')).toBe(2000);
    expect(durationMs('3')).toBe(3000);
    expect(durationMs('1.5m')).toBe(90_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('soon')).toBeUndefined();
  });

  it('reads instants as ISO 8601 or as a duration ago', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(parseInstant('2h', '--since', now)).toBe('2026-11-28T10:00:00.000Z');
    expect(parseInstant('2026-11-01T00:00:00+01:00', '--since', now)).toBe('2026-10-31T23:00:00.000Z');
    expect(parseInstant('2026-11-01', '--since', now)).toBe('2026-11-01T00:00:00.000Z');
    expect(() => parseInstant('yesterday', '--since', now)).toThrow(UsageError);
  });
});
