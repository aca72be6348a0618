import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PythonInterpreter } from '../../../layers/protection/python-interpreters.js';
import { fixtures, guardLibrary, wrapperScript } from './harness.js';

/** The machine's Python interpreter, by its real path (not a shim script), as Lambda starts /var/lang/bin/python3.x. */
export const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
export const pythonFixtures = join(fixtures, 'python');

/** One invocation as the Runtime API test double saw it end. */
export interface Invocation {
  readonly requestId: string;
  readonly kind: 'response' | 'error';
  readonly body: any;
  readonly headers: IncomingMessage['headers'];
}

/**
 * A test double of the Lambda Runtime API (2018-06-01): `GET /runtime/invocation/next` hands out the queued
 * events with the headers Lambda sends (request id, deadline, invoked ARN, trace id), and
 * `POST /runtime/invocation/{id}/response|error` and `POST /runtime/init/error` are recorded with their exact
 * shape. When no event is left, /next answers 410 so that the runtime stand-in exits (Lambda would block).
 */
export class RuntimeApiDouble {
  readonly server: Server;
  readonly invocations: Invocation[] = [];
  readonly initErrors: any[] = [];
  /** Every request as `METHOD path`, in order. */
  readonly requests: string[] = [];
  private next = 0;

  constructor(
    private readonly events: readonly unknown[],
    /** Awaited before event `index` (from 1) is handed out: lets a test look at what the invocations before it left behind. */
    private readonly gate: (index: number) => Promise<void> = () => Promise.resolve(),
    private readonly arn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-py',
  ) {
    this.server = createServer(
      (req, res) => void this.handle(req).then(([status, headers, body]) => res.writeHead(status, headers).end(body)),
    );
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<[number, Record<string, string>, string]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.requests.push(`${req.method} ${req.url}`);
    const json = { 'content-type': 'application/json' };
    if (req.method === 'GET' && req.url === '/2018-06-01/runtime/invocation/next') {
      if (this.next >= this.events.length) return [410, json, '{"errorMessage":"no more invocations (test double)"}'];
      const index = this.next++;
      if (index > 0) await this.gate(index);
      return [
        200,
        {
          ...json,
          'lambda-runtime-aws-request-id': `req-${index}`,
          'lambda-runtime-deadline-ms': String(Date.now() + 300_000),
          'lambda-runtime-invoked-function-arn': this.arn,
          'lambda-runtime-trace-id': `Root=1-00000000-${String(index).padStart(24, '0')}`,
        },
        JSON.stringify(this.events[index]),
      ];
    }
    const done = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(req.url ?? '');
    if (req.method === 'POST' && done) {
      this.invocations.push({ requestId: done[1]!, kind: done[2] as 'response' | 'error', body: JSON.parse(text), headers: req.headers });
      return [202, json, '{"status":"OK"}'];
    }
    if (req.method === 'POST' && req.url === '/2018-06-01/runtime/init/error') {
      this.initErrors.push({ body: JSON.parse(text), headers: req.headers });
      return [202, json, '{"status":"OK"}'];
    }
    return [404, json, '{"errorMessage":"not a Runtime API route"}'];
  }
}

export interface PythonRun {
  readonly invocations: readonly Invocation[];
  readonly initErrors: readonly any[];
  readonly stderr: string;
  readonly code: number | null;
  /** The results of the invocations, in order (error bodies for failed ones). */
  readonly results: any[];
  readonly workDir: string;
}

/**
 * Starts a Python function as the managed runtime does: Lambda's environment (handler setting, task root,
 * execution environment, Runtime API address), the runtime's command line through `vigil-wrapper` (which
 * rewrites the handler setting and loads the native guard), the interpreter running the runtime stand-in,
 * which runs the invoke loop against the Runtime API test double.
 */
export async function runPythonFunction(options: {
  layerDir: string;
  events: readonly unknown[];
  env: Record<string, string>;
  guard?: boolean;
  wrapper?: boolean;
  handler?: string;
  gate?: (index: number) => Promise<void>;
  /** Another interpreter than the machine's python3 (3.11), for the runtime of its version. */
  interpreter?: PythonInterpreter;
}): Promise<PythonRun> {
  const runtimeApi = new RuntimeApiDouble(options.events, options.gate);
  const address = await runtimeApi.listen();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-py-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    AWS_LAMBDA_RUNTIME_API: address,
    AWS_LAMBDA_FUNCTION_NAME: 'orders-py',
    AWS_EXECUTION_ENV: `AWS_Lambda_python${options.interpreter?.version ?? '3.11'}`,
    AWS_REGION: 'eu-west-1',
    LAMBDA_TASK_ROOT: pythonFixtures,
    _HANDLER: options.handler ?? 'app.handler',
    VIGIL_PYTHON_PATH: join(options.layerDir, '..', 'python'),
    VIGIL_HONEYPOT_FILE: join(dir, '.aws', 'credentials'),
    VIGIL_FLUSH_INTERVAL_MS: '60000',
    ...(options.guard === false
      ? { VIGIL_NATIVE_GUARD: 'off' }
      : { VIGIL_GUARD_LIBRARY: guardLibrary(options.layerDir), VIGIL_GUARD_DIR: join(dir, 'guard') }),
    ...options.env,
  };
  const runtime = [options.interpreter?.executable ?? python, join(pythonFixtures, 'runtime_stand_in.py')];
  const [command, ...args] = options.wrapper === false ? runtime : ['/bin/sh', wrapperScript, ...runtime];
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(command!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stderr: err }));
    });
    return {
      invocations: runtimeApi.invocations,
      initErrors: runtimeApi.initErrors,
      stderr,
      code,
      results: runtimeApi.invocations.map((i) => i.body),
      workDir: dir,
    };
  } finally {
    await runtimeApi.close();
  }
}

/**
 * A test double of the enforcer API that holds the rule table request: register and heartbeat are answered
 * at once, `GET /v1/enforcers/rules` only after `release()`, with the table given. It shows what a function
 * does while its first table is on the way (an embedded table decides; nothing waits for the answer).
 */
export class HeldRulesDouble {
  readonly server: Server;
  /** Every request as `METHOD path`, in order, with its authorization and enforcer id headers. */
  readonly requests: Array<{ route: string; authorization: string | undefined; enforcerId: string | undefined }> = [];
  private answer: (() => void) | undefined;
  private readonly released: Promise<void>;

  constructor(private readonly table: Record<string, unknown>) {
    this.released = new Promise((resolve) => (this.answer = resolve));
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the held rule table requests, and every later one at once. */
  release(): void {
    this.answer?.();
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    for await (const chunk of req) void chunk;
    const route = `${req.method} ${req.url}`;
    this.requests.push({ route, authorization: req.headers.authorization, enforcerId: req.headers['x-enforcer-id'] as string | undefined });
    if (route === 'POST /v1/enforcers/register') return [200, { enforcerId: 'enf-held', group: 'py-held', pollIntervalSeconds: 60 }];
    if (route === 'POST /v1/enforcers/heartbeat') return [200, { status: 'connected', pollIntervalSeconds: 60 }];
    if (req.method === 'GET' && req.url?.startsWith('/v1/enforcers/rules?')) {
      await this.released;
      return [200, this.table];
    }
    return [404, { error: { code: 'not_found', message: 'not a route of this test double' } }];
  }
}
