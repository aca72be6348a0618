import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientEventSchema } from '../../../functions/shared/enforcer/schemas.js';
import { buildProtectionLayer } from '../../../layers/protection/build.js';

const here = dirname(fileURLToPath(import.meta.url));
export const fixtures = resolve(here, '../../fixtures/protection');
export const wrapperScript = resolve(here, '../../../layers/protection/wrapper/vigil-wrapper');
/** Where the Lambda runtime's AWS SDK is found in tests: NODE_PATH points here, as Lambda points it at /var/runtime/node_modules. */
export const sdkModules = resolve(here, '../../../node_modules');

/** Builds the layer once per test file, into a fresh temporary directory. */
export async function buildLayer(): Promise<string> {
  return buildProtectionLayer(mkdtempSync(join(tmpdir(), 'vigil-layer-')));
}

/** The built exec guard for this machine's architecture (named as `uname -m` names it). */
export function guardLibrary(layerDir: string): string {
  return join(layerDir, 'guard', arch() === 'arm64' ? 'aarch64' : 'x86_64', 'vigil-guard.so');
}

/** A function policy as the bundle carries it. */
export function functionPolicy(
  name: string,
  enforcementMode: 'audit' | 'enforce',
  controls: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name,
    type: 'function',
    enabled: true,
    enforcementMode,
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls,
    version: 3,
  };
}

/** The fixture bundle with these policies. */
export function bundleWith(policies: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(fixtures, 'bundle.json'), 'utf8')) as Record<string, unknown>;
  return { ...base, policies, ...overrides };
}

/** What one simulated function process did. */
export interface RunResult {
  readonly results: any[];
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/**
 * Runs a fixture function in the runtime-loop simulator in a child Node process, activated as in Lambda:
 * through the exec wrapper script, which adds the preload to NODE_OPTIONS.
 */
export function runFunction(options: {
  layerDir: string;
  module: string;
  events: unknown[];
  env: Record<string, string>;
  preload?: boolean;
  /** Load the native exec guard of the built layer (for this machine's architecture), as vigil-wrapper does in Lambda. */
  guard?: boolean;
  /** Called with every line the function prints on stdout, as it arrives. */
  onLine?: (line: string) => void;
}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-run-'));
  const eventsPath = join(dir, 'events.json');
  writeFileSync(eventsPath, JSON.stringify(options.events));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    AWS_REGION: 'eu-west-1',
    VIGIL_PRELOAD: join(options.layerDir, 'preload.cjs'),
    VIGIL_LAYER_DIR: options.layerDir,
    VIGIL_HONEYPOT_FILE: join(dir, '.aws', 'credentials'),
    ...(options.guard
      ? { VIGIL_GUARD_LIBRARY: guardLibrary(options.layerDir), VIGIL_GUARD_DIR: join(dir, 'guard') }
      : { VIGIL_NATIVE_GUARD: 'off' }),
    ...options.env,
  };
  const node = [process.execPath, join(fixtures, 'runtime-loop.mjs'), join(fixtures, options.module), eventsPath];
  const [command, ...args] = options.preload === false ? node : ['/bin/sh', wrapperScript, ...node];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onLine?.(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const results = stdout
        .split('\n')
        .filter((line) => line.startsWith('RESULT '))
        .map((line) => JSON.parse(line.slice('RESULT '.length)));
      resolvePromise({ results, stdout, stderr, code });
    });
  });
}

/**
 * A test double of the enforcer API at the network boundary: register, bundle (ETag/304), events (validated
 * with the enforcer API's own event schema, all or nothing) and heartbeat.
 */
export class FakeEnforcerApi {
  readonly server: Server;
  /** Every authenticated request, `METHOD /path`, in arrival order. */
  readonly requests: string[] = [];
  readonly registrations: any[] = [];
  readonly eventPosts: Array<{ status: number; ids: string[] }> = [];
  readonly stored = new Map<string, any>();
  /** The X-Enforcer-Id of every heartbeat. */
  readonly heartbeats: Array<string | undefined> = [];
  bundleRequests = 0;
  notModified = 0;
  /** Status codes to answer the next event posts with, before answering normally. */
  failEventPosts: number[] = [];
  /** Statuses to answer the next request of a route (`METHOD /path`) with, once each. */
  readonly answerNext = new Map<string, number>();
  /** While true, heartbeats are received but not answered until releaseHeartbeats(). */
  holdHeartbeats = false;
  private readonly heldHeartbeats: Array<() => void> = [];
  /** Heartbeats received and neither answered nor abandoned by the client. */
  openHeartbeats = 0;

  constructor(
    public bundle: Record<string, unknown>,
    readonly token = 'group-token',
  ) {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body, headers }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.releaseHeartbeats();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Answers the heartbeats held so far. */
  releaseHeartbeats(): void {
    for (const answer of this.heldHeartbeats.splice(0)) answer();
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return { status: 401, body: { error: { code: 'unauthorized', message: 'unauthorized' } } };
    const route = `${req.method} ${req.url}`;
    this.requests.push(route);
    const forced = this.answerNext.get(route);
    if (forced !== undefined) {
      this.answerNext.delete(route);
      return {
        status: forced,
        body: { error: { code: 'not_found', message: 'this enforcer is not registered in the group of the token; register it first' } },
      };
    }
    if (req.method === 'POST' && req.url === '/v1/enforcers/heartbeat') {
      this.heartbeats.push(req.headers['x-enforcer-id'] as string | undefined);
      if (this.holdHeartbeats) {
        this.openHeartbeats++;
        let open = true;
        const settle = () => {
          if (open) this.openHeartbeats--;
          open = false;
        };
        req.socket.once('close', settle);
        await new Promise<void>((answer) => this.heldHeartbeats.push(answer));
        settle();
      }
      return { status: 200, body: { status: 'connected', pollIntervalSeconds: 60 } };
    }
    if (req.method === 'POST' && req.url === '/v1/enforcers/register') {
      this.registrations.push(body);
      return { status: 200, body: { enforcerId: 'enf-1', group: 'lambda-prod', pollIntervalSeconds: 60 } };
    }
    if (req.method === 'GET' && req.url === '/v1/enforcers/bundle') {
      this.bundleRequests++;
      const etag = `"${String(this.bundle.revision)}"`;
      if (req.headers['if-none-match'] === etag) {
        this.notModified++;
        return { status: 304 };
      }
      return { status: 200, body: this.bundle, headers: { etag } };
    }
    if (req.method === 'POST' && req.url === '/v1/enforcers/events') {
      const ids = (body.events as any[]).map((e) => e.id as string);
      const invalid = (body.events as unknown[]).map((e) => clientEventSchema.safeParse(e)).find((result) => !result.success);
      if (invalid) {
        this.eventPosts.push({ status: 400, ids });
        return { status: 400, body: { error: { code: 'validation_failed', message: invalid.error.message } } };
      }
      const failure = this.failEventPosts.shift();
      if (failure !== undefined) {
        this.eventPosts.push({ status: failure, ids });
        return { status: failure, body: { error: { code: 'internal', message: 'internal' } } };
      }
      let accepted = 0;
      let duplicates = 0;
      for (const event of body.events as any[]) {
        if (this.stored.has(event.id)) duplicates++;
        else {
          accepted++;
          this.stored.set(event.id, event);
        }
      }
      this.eventPosts.push({ status: 200, ids });
      return { status: 200, body: { accepted, duplicates } };
    }
    return { status: 404, body: { error: { code: 'not_found', message: 'not found' } } };
  }
}

/** A TCP port with nothing listening (to make the control plane unreachable). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** One request an AWS JSON-protocol service double received. */
export interface AwsJsonRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/**
 * A test double of an AWS service speaking the JSON protocol (SSM, Secrets Manager) at the network
 * boundary: the SDK in the function process reaches it through AWS_ENDPOINT_URL_<SERVICE>.
 */
export class FakeAwsJsonService {
  readonly server: Server;
  readonly requests: AwsJsonRequest[] = [];

  constructor(answer: (target: string, body: any) => { status: number; body: unknown }) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text === '' ? undefined : JSON.parse(text);
        this.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        const reply = answer(String(req.headers['x-amz-target']), body);
        res.writeHead(reply.status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': `request-${this.requests.length}`,
        });
        res.end(JSON.stringify(reply.body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
