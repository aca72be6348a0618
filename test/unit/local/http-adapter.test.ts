import { request, type OutgoingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalModeError } from '../../../infra/local/errors.js';
import {
  apiGatewayTime,
  createLocalServer,
  parseQuery,
  redactPath,
  type LocalHandler,
  type LocalServer,
  type LocalServerLogger,
} from '../../../infra/local/http-adapter.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface SendOptions {
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  /** Send the body in chunks without Content-Length. */
  chunked?: boolean;
}

/** A raw HTTP request, so that repeated headers and exact bytes reach the server as written. */
function send(server: LocalServer, method: string, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // A server refusing an upload may close the connection while the client still writes.
    req.on('error', reject);
    if (options.body !== undefined && options.chunked) {
      const body = Buffer.from(options.body);
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

function json(reply: Reply): any {
  return JSON.parse(reply.body.toString('utf8'));
}

class CapturingLogger implements LocalServerLogger {
  readonly infos: string[] = [];
  readonly debugs: string[] = [];
  readonly errors: string[] = [];
  debug(line: string): void {
    this.debugs.push(line);
  }
  info(line: string): void {
    this.infos.push(line);
  }
  error(line: string): void {
    this.errors.push(line);
  }
}

interface Invocation {
  event: APIGatewayProxyEventV2;
  context: Context;
  remainingMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('createLocalServer', () => {
  const invocations: Invocation[] = [];
  const logger = new CapturingLogger();
  let respond: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  const echo: LocalHandler = async (event, context) => {
    invocations.push({ event, context, remainingMs: context.getRemainingTimeInMillis() });
    return respond(event);
  };
  const defaultRespond = (): Promise<APIGatewayProxyStructuredResultV2> =>
    Promise.resolve({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
  let server: LocalServer;

  beforeAll(async () => {
    server = await createLocalServer({
      host: '127.0.0.1',
      port: 0,
      handlers: { api: echo, admission: echo },
      logger,
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    invocations.length = 0;
    logger.infos.length = 0;
    logger.debugs.length = 0;
    logger.errors.length = 0;
    respond = defaultRespond;
  });
  respond = defaultRespond;

  const lastEvent = (): APIGatewayProxyEventV2 => {
    expect(invocations).toHaveLength(1);
    return invocations[0]!.event;
  };

  describe('the payload format 2.0 event', () => {
    it('carries the route key, raw path and query, decoded path parameters and joined query values', async () => {
      const reply = await send(server, 'GET', '/v1/policies/block%20exec%2Fsh?type=runtime&tag=a&tag=b%20c&empty=', {
        headers: { 'user-agent': 'vigil-test/1.0' },
      });
      expect(reply.status).toBe(200);
      const event = lastEvent();
      expect(event.version).toBe('2.0');
      expect(event.routeKey).toBe('GET /v1/policies/{name}');
      expect(event.rawPath).toBe('/v1/policies/block%20exec%2Fsh');
      expect(event.rawQueryString).toBe('type=runtime&tag=a&tag=b%20c&empty=');
      expect(event.queryStringParameters).toEqual({ type: 'runtime', tag: 'a,b c', empty: '' });
      expect(event.pathParameters).toEqual({ name: 'block exec/sh' });
      expect(event.isBase64Encoded).toBe(false);
      expect(event).not.toHaveProperty('body');
      expect(event).not.toHaveProperty('cookies');
      expect(Object.keys(event).sort()).toEqual([
        'headers',
        'isBase64Encoded',
        'pathParameters',
        'queryStringParameters',
        'rawPath',
        'rawQueryString',
        'requestContext',
        'routeKey',
        'version',
      ]);
    });

    it('fills requestContext the way API Gateway does', async () => {
      const before = Date.now();
      await send(server, 'GET', '/v1/policies/p1', { headers: { 'user-agent': 'vigil-test/1.0' } });
      const { requestContext } = lastEvent();
      expect(Object.keys(requestContext).sort()).toEqual([
        'accountId',
        'apiId',
        'domainName',
        'domainPrefix',
        'http',
        'requestId',
        'routeKey',
        'stage',
        'time',
        'timeEpoch',
      ]);
      expect(requestContext).toMatchObject({
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: 'GET', path: '/v1/policies/p1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vigil-test/1.0' },
        routeKey: 'GET /v1/policies/{name}',
        stage: '$default',
      });
      expect(requestContext.requestId).toMatch(UUID);
      expect(requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
      expect(requestContext.timeEpoch).toBeLessThanOrEqual(Date.now());
    });

    it('gives every request the time of its own timeEpoch, second by second', async () => {
      for (let i = 0; i < 3; i++) {
        await send(server, 'GET', '/v1/policies/p1');
        const { requestContext } = invocations.pop()!.event;
        expect(requestContext.time).toBe(apiGatewayTime(new Date(requestContext.timeEpoch)));
        // Into the next second, so that the following request must not reuse this one's text.
        await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
      }
    });

    it('lower-cases headers, joins repeated ones with commas, moves cookies out and adds x-forwarded-*', async () => {
      await send(server, 'GET', '/v1/policies', {
        headers: {
          'X-Custom-Header': 'Value',
          'X-Multi': ['one', 'two'],
          Cookie: 'session=abc; theme=dark',
          Authorization: 'Bearer t0ken',
        },
      });
      const event = lastEvent();
      expect(event.headers['x-custom-header']).toBe('Value');
      expect(event.headers['x-multi']).toBe('one,two');
      expect(event.headers.authorization).toBe('Bearer t0ken');
      expect(event.headers.host).toBe(`127.0.0.1:${server.port}`);
      expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(event.headers['x-forwarded-proto']).toBe('http');
      expect(event.headers['x-forwarded-port']).toBe(String(server.port));
      expect(event.headers).not.toHaveProperty('cookie');
      expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
      expect(event.cookies).toEqual(['session=abc', 'theme=dark']);
      // No path parameters and no query: the keys are absent, as in AWS.
      expect(event).not.toHaveProperty('pathParameters');
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event.rawQueryString).toBe('');
    });

    it('keeps headers named like members of Object.prototype as sent', async () => {
      await send(server, 'GET', '/v1/policies', { headers: { Constructor: 'one', toString: 'two' } });
      const event = lastEvent();
      expect(event.headers.constructor).toBe('one');
      expect(event.headers.tostring).toBe('two');
    });

    it('appends the source address to an x-forwarded-for sent by the client', async () => {
      await send(server, 'GET', '/v1/policies', { headers: { 'X-Forwarded-For': '203.0.113.7' } });
      expect(lastEvent().headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    });

    it('passes a JSON body as text', async () => {
      const body = JSON.stringify({ name: 'p1', description: 'émoji ✓' });
      await send(server, 'POST', '/v1/policies', { headers: { 'content-type': 'application/json; charset=utf-8' }, body });
      const event = lastEvent();
      expect(event.routeKey).toBe('POST /v1/policies');
      expect(event.body).toBe(body);
      expect(event.isBase64Encoded).toBe(false);
    });

    it('passes a body that arrives in several pieces whole, a character split across pieces included', async () => {
      const body = Buffer.from(JSON.stringify({ name: 'p1', description: 'déjà ✓ vu' }));
      const split = body.indexOf(Buffer.from('✓')) + 1;
      const socket = connect(server.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const answered = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text));
      });
      socket.write(
        `POST /v1/policies HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      socket.write(body.subarray(0, split));
      // The server reads the first piece before the rest is sent.
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.end(body.subarray(split));
      expect(await answered).toMatch(/^HTTP\/1\.1 200 /);
      expect(lastEvent().body).toBe(body.toString('utf8'));
    });

    it('passes a binary content type as base64', async () => {
      const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x41]);
      await send(server, 'POST', '/v1/import', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
      const event = lastEvent();
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    });

    it('passes invalid UTF-8 as base64 even under a text content type', async () => {
      const bytes = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]);
      await send(server, 'POST', '/v1/import', { headers: { 'content-type': 'application/json' }, body: bytes });
      const event = lastEvent();
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    });

    it('passes a compressed body as base64', async () => {
      await send(server, 'POST', '/v1/import', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' });
      expect(lastEvent().isBase64Encoded).toBe(true);
    });

    it('routes the admission webhook to its function with cluster and secret as path parameters', async () => {
      await send(server, 'POST', '/v1/admission/prod-eu/s3cr3t-value?timeout=5s', {
        headers: { 'content-type': 'application/json' },
        body: '{"kind":"AdmissionReview"}',
      });
      const { event, context } = invocations[0]!;
      expect(event.routeKey).toBe('POST /v1/admission/{cluster}/{secret}');
      expect(event.pathParameters).toEqual({ cluster: 'prod-eu', secret: 's3cr3t-value' });
      expect(event.queryStringParameters).toEqual({ timeout: '5s' });
      expect(context.functionName).toBe('vigil-admission');
    });
  });

  describe('the Lambda context', () => {
    it('names the function and gives a request id and a remaining time', async () => {
      await send(server, 'GET', '/v1/health');
      const { context, remainingMs } = invocations[0]!;
      expect(context.functionName).toBe('vigil-api');
      expect(context.functionVersion).toBe('$LATEST');
      expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:vigil-api');
      expect(context.logGroupName).toBe('/aws/lambda/vigil-api');
      expect(context.memoryLimitInMB).toBe('1024');
      expect(context.awsRequestId).toMatch(UUID);
      expect(context.awsRequestId).not.toBe(invocations[0]!.event.requestContext.requestId);
      expect(remainingMs).toBeGreaterThan(28_000);
      expect(remainingMs).toBeLessThanOrEqual(29_000);
    });
  });

  describe('answers of its own', () => {
    it('answers 404 not_found for a path no route has', async () => {
      const reply = await send(server, 'GET', '/v1/nope');
      expect(reply.status).toBe(404);
      expect(reply.headers['content-type']).toBe('application/json');
      expect(json(reply)).toEqual({ error: { code: 'not_found', message: expect.any(String), details: [] } });
      expect(invocations).toHaveLength(0);
    });

    it('answers 405 method_not_allowed with an Allow header for a path that exists with other methods', async () => {
      const reply = await send(server, 'DELETE', '/v1/policies');
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, POST');
      expect(json(reply)).toEqual({ error: { code: 'method_not_allowed', message: expect.any(String), details: [] } });
      expect(invocations).toHaveLength(0);
    });

    it('answers 413 payload_too_large for a body over the cap announced by Content-Length', async () => {
      const reply = await send(server, 'POST', '/v1/policies', {
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(64 * 1024 + 1, 0x20),
      });
      expect(reply.status).toBe(413);
      expect(json(reply)).toEqual({
        error: {
          code: 'payload_too_large',
          message: expect.any(String),
          details: [{ path: '(body)', message: 'must be at most 65536 bytes' }],
        },
      });
      expect(invocations).toHaveLength(0);
    });

    it('answers 413 for a chunked body once it passes the cap', async () => {
      const reply = await send(server, 'POST', '/v1/policies', {
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(512 * 1024, 0x20),
        chunked: true,
      });
      expect(reply.status).toBe(413);
      expect(json(reply).error.code).toBe('payload_too_large');
      expect(invocations).toHaveLength(0);
    });

    it('reads an over-sized upload still being sent to its end before answering 413, so the client gets the answer, not a reset', async () => {
      // 2 MiB in 32 KiB pieces, each written only once the previous one has left: the upload is still going
      // long after the cap is passed, as a slow client's would be.
      const piece = Buffer.alloc(32 * 1024, 0x20);
      const outcome = await new Promise<{ status: number; body: Buffer; written: number }>((resolve, reject) => {
        let written = 0;
        const req = request(
          `${server.url}/v1/policies`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 64 * piece.length }, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), written }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        const writeNext = (): void => {
          if (written === 64) {
            req.end();
            return;
          }
          written++;
          req.write(piece, () => setTimeout(writeNext, 2));
        };
        writeNext();
      });
      expect(outcome.written).toBe(64);
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.body.toString('utf8')).error).toEqual({
        code: 'payload_too_large',
        message: expect.any(String),
        details: [{ path: '(body)', message: 'must be at most 65536 bytes' }],
      });
      expect(invocations).toHaveLength(0);
    });

    it('accepts a body exactly at the cap', async () => {
      const reply = await send(server, 'POST', '/v1/policies', {
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(64 * 1024, 0x20),
      });
      expect(reply.status).toBe(200);
      expect(lastEvent().body).toHaveLength(64 * 1024);
    });

    it('answers 500 internal when the handler throws, logging the error but not the body or credentials', async () => {
      respond = () => Promise.reject(new Error('table vigil-config is missing'));
      const reply = await send(server, 'POST', '/v1/policies', {
        headers: { 'content-type': 'application/json', authorization: 'Bearer super-secret-token' },
        body: '{"name":"confidential-body"}',
      });
      expect(reply.status).toBe(500);
      expect(json(reply)).toEqual({ error: { code: 'internal', message: 'internal error', details: [] } });
      expect(reply.body.toString()).not.toContain('vigil-config');
      expect(logger.errors).toHaveLength(1);
      expect(logger.errors[0]).toContain('table vigil-config is missing');
      expect(logger.errors[0]).toContain('POST /v1/policies');
      const everything = [...logger.errors, ...logger.infos].join('\n');
      expect(everything).not.toContain('super-secret-token');
      expect(everything).not.toContain('confidential-body');
    });

    it('answers 501 not_implemented for a route whose function has no handler', async () => {
      const reply = await send(server, 'POST', '/v1/enforcers/heartbeat', { headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(reply.status).toBe(501);
      expect(json(reply)).toEqual({ error: { code: 'not_implemented', message: expect.stringContaining('enforcer'), details: [] } });
    });
  });

  describe('the request log', () => {
    it('writes one line per request with method, path, status and duration', async () => {
      await send(server, 'GET', '/v1/policies?limit=5');
      expect(logger.infos).toHaveLength(1);
      expect(logger.infos[0]).toMatch(/^GET \/v1\/policies 200 \d+ms$/);
    });

    it('logs answered polls of the audit list at debug level only (`vigil audit tail` polls it every few seconds)', async () => {
      await send(server, 'GET', '/v1/audit-events?since=2026-01-01T00:00:00Z');
      await send(server, 'GET', '/v1/audit-events/evt-1');
      respond = () => Promise.resolve({ statusCode: 503, body: '{}' });
      await send(server, 'GET', '/v1/audit-events');
      expect(logger.debugs).toHaveLength(1);
      expect(logger.debugs[0]).toMatch(/^GET \/v1\/audit-events 200 \d+ms$/);
      expect(logger.infos).toHaveLength(2);
      expect(logger.infos[0]).toMatch(/^GET \/v1\/audit-events\/evt-1 200 \d+ms$/);
      expect(logger.infos[1]).toMatch(/^GET \/v1\/audit-events 503 \d+ms$/);
    });

    it('never shows the secret segment of a webhook URL, whatever the answer', async () => {
      await send(server, 'POST', '/v1/admission/prod/s3cr3t-value?timeout=5s', { body: '{}' });
      await send(server, 'GET', '/v1/admission/prod/s3cr3t-value');
      await send(server, 'POST', '/v1/admission/prod/s3cr3t-value/extra', { body: '{}' });
      expect(logger.infos).toHaveLength(3);
      expect(logger.infos[0]).toMatch(/^POST \/v1\/admission\/prod\/\*\*\* 200 \d+ms$/);
      expect(logger.infos[1]).toMatch(/^GET \/v1\/admission\/prod\/\*\*\* 405 \d+ms$/);
      expect(logger.infos[2]).toMatch(/^POST \/v1\/admission\/prod\/\*\*\* 404 \d+ms$/);
      expect(logger.infos.join('\n')).not.toContain('s3cr3t');
    });

    it('redacts the secret in handler failure logs too', async () => {
      respond = () => Promise.reject(new Error('boom'));
      await send(server, 'POST', '/v1/admission/prod/s3cr3t-value', { body: '{}' });
      expect(logger.errors).toHaveLength(1);
      expect(logger.errors[0]).toContain('/v1/admission/prod/***');
      expect(logger.errors[0]).not.toContain('s3cr3t');
    });
  });

  describe('writing the handler result', () => {
    it('writes status, headers and each cookie as its own Set-Cookie', async () => {
      respond = () =>
        Promise.resolve({
          statusCode: 201,
          headers: { 'Content-Type': 'application/json', ETag: '"3"', 'x-count': 7, 'x-flag': true },
          cookies: ['a=1; Path=/; HttpOnly', 'b=2'],
          body: '{"created":true}',
        });
      const reply = await send(server, 'POST', '/v1/policies', { body: '{}' });
      expect(reply.status).toBe(201);
      expect(reply.headers['content-type']).toBe('application/json');
      expect(reply.headers.etag).toBe('"3"');
      expect(reply.headers['x-count']).toBe('7');
      expect(reply.headers['x-flag']).toBe('true');
      expect(reply.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2']);
      expect(json(reply)).toEqual({ created: true });
    });

    it('counts the bytes of a text body, not its characters, in Content-Length', async () => {
      const text = JSON.stringify({ message: 'exec of "sh" blocked ✓ — déjà vu' });
      respond = () => Promise.resolve({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: text });
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(text)));
      expect(reply.body.toString('utf8')).toBe(text);
    });

    it('decodes a base64 body', async () => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
      respond = () =>
        Promise.resolve({
          statusCode: 200,
          headers: { 'content-type': 'image/png' },
          isBase64Encoded: true,
          body: bytes.toString('base64'),
        });
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.body).toEqual(bytes);
      expect(reply.headers['content-length']).toBe(String(bytes.length));
    });

    it('writes no body for 204', async () => {
      respond = () => Promise.resolve({ statusCode: 204 });
      const reply = await send(server, 'DELETE', '/v1/policies/p1');
      expect(reply.status).toBe(204);
      expect(reply.body).toHaveLength(0);
    });

    it('treats a result without statusCode as a 200 JSON body, as API Gateway does', async () => {
      respond = () => Promise.resolve({ hello: 'world' } as APIGatewayProxyStructuredResultV2);
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/json');
      expect(json(reply)).toEqual({ hello: 'world' });
    });

    it('answers 500 for an invalid statusCode', async () => {
      respond = () => Promise.resolve({ statusCode: 42 });
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.status).toBe(500);
      expect(json(reply).error.code).toBe('internal');
      expect(logger.errors).toHaveLength(1);
    });

    it('answers 500 for a header value that cannot be sent', async () => {
      respond = () => Promise.resolve({ statusCode: 200, headers: { 'x-bad': 'line\nbreak' }, body: 'x' });
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.status).toBe(500);
      expect(json(reply).error.code).toBe('internal');
    });
  });
});

describe('createLocalServer lifecycle', () => {
  it('answers 503 until handlers are installed', async () => {
    const server = await createLocalServer({ host: '127.0.0.1', port: 0 });
    try {
      const before = await send(server, 'GET', '/v1/health');
      expect(before.status).toBe(503);
      expect(before.headers['retry-after']).toBe('1');
      expect(json(before).error.code).toBe('unavailable');
      server.setHandlers({ api: () => Promise.resolve({ statusCode: 200, body: 'up' }) });
      const after = await send(server, 'GET', '/v1/health');
      expect(after.status).toBe(200);
      expect(after.body.toString()).toBe('up');
    } finally {
      await server.close();
    }
  });

  it('refuses a body announced beyond what it drains (6 MiB cap + 8 MiB) before it is sent', async () => {
    const called: string[] = [];
    const server = await createLocalServer({
      host: '127.0.0.1',
      port: 0,
      handlers: { api: (e) => (called.push(e.rawPath), Promise.resolve({ statusCode: 200 })) },
    });
    try {
      // Only the head is written: the answer must come without waiting for (or buffering) the body.
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/policies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${14 * 1024 * 1024 + 1}\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes('}}')) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', reject);
      });
      expect(head).toMatch(/^HTTP\/1\.1 413 /);
      expect(head).toContain('"code":"payload_too_large"');
      expect(called).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('logs handler failures to stderr when no logger is given', async () => {
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    const server = await createLocalServer({ host: '127.0.0.1', port: 0, handlers: { api: () => Promise.reject(new Error('kaput')) } });
    try {
      const reply = await send(server, 'GET', '/v1/health');
      expect(reply.status).toBe(500);
    } finally {
      stderr.mockRestore();
      await server.close();
    }
    expect(written.join('')).toContain('kaput');
  });

  it('lets in-flight requests finish when closing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const server = await createLocalServer({
      host: '127.0.0.1',
      port: 0,
      handlers: {
        api: async () => {
          started();
          await gate;
          return { statusCode: 200, body: 'done' };
        },
      },
    });
    const pending = send(server, 'GET', '/v1/health');
    await inFlight;
    const closed = server.close();
    release();
    const reply = await pending;
    await closed;
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('done');
  });

  it('reports a port in use as a LocalModeError that says what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = createLocalServer({ host: '127.0.0.1', port, handlers: {} });
      await expect(attempt).rejects.toBeInstanceOf(LocalModeError);
      await expect(attempt).rejects.toThrow(`port ${port} is already in use: set PORT to another port`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('redactPath', () => {
  it.each([
    ['/v1/admission/prod/s3cr3t', '/v1/admission/prod/***'],
    ['/v1/admission/prod/s3cr3t/more', '/v1/admission/prod/***'],
    ['/v1/admission/prod', '/v1/admission/prod'],
    ['/v1/policies/p1', '/v1/policies/p1'],
  ])('%s → %s', (path, expected) => {
    expect(redactPath(path)).toBe(expected);
  });
});

describe('parseQuery', () => {
  /** What API Gateway does: form-decoding of each pair, repeated keys joined by commas. */
  function reference(query: string): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(query)) out[key] = Object.hasOwn(out, key) ? `${out[key]},${value}` : value;
    return Object.keys(out).length > 0 ? out : undefined;
  }

  it('decodes like URLSearchParams, with or without escapes', () => {
    const pieces = fc.constantFrom('a', 'b', 'timeout', '10s', '=', '&', '&&', '%20', '%2', '%C3%A9', '%zz', '+', 'é', ',', '');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const query = parts.join('');
        expect(parseQuery(query)).toEqual(reference(query));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['timeout=10s', { timeout: '10s' }],
    ['a=1&a=2&b', { a: '1,2', b: '' }],
    ['a=1=2&&', { a: '1=2' }],
    ['&', undefined],
    ['tag=b%20c&x=1+2', { tag: 'b c', x: '1 2' }],
    // Keys named like members of Object.prototype are parameters like any other, escaped or not.
    ['constructor=a&toString=b', { constructor: 'a', toString: 'b' }],
    ['constructor=a%20b&hasOwnProperty=c', { constructor: 'a b', hasOwnProperty: 'c' }],
  ])('%s', (query, expected) => {
    expect(parseQuery(query)).toEqual(expected);
  });
});

describe('apiGatewayTime', () => {
  it('formats like API Gateway: dd/MMM/yyyy:HH:mm:ss +0000 in UTC', () => {
    expect(apiGatewayTime(new Date(Date.UTC(2020, 2, 2, 9, 3, 58)))).toBe('02/Mar/2020:09:03:58 +0000');
  });
});
