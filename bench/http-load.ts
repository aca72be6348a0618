/**
 * A small closed-loop HTTP load generator for the admission benchmark. It runs as a child process
 * (forked with an IPC channel) so that the server's event loop is not also the client's: `concurrency`
 * connections each send one POST at a time, keep-alive, for `durationMs`, rotating through the prepared
 * requests. Only loopback addresses are accepted.
 *
 * It shares the machine's cores with the server and DynamoDB Local, so it does as little as it can per
 * request: each request is one prepared HTTP/1.1 message copied into a fresh buffer with a new uid written in
 * place, sent on a plain TCP socket, and the answer is read as bytes (status line, Content-Length, whether the
 * body holds a verdict) without a request object, header maps or a string per answer. With node:http's client
 * the generator spent 40 to 50 % as much CPU per request as the server did on a dry-run review, and an answer
 * that arrived while it was busy or collecting garbage counted as server latency (bench/README.md).
 *
 * Protocol: the parent sends a `LoadJob`, the child answers with a `LoadResult`; `{ type: 'exit' }`
 * ends the child.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';

/** Replaced in every request body by a fresh uid, as each review the API server sends has its own. */
export const UID_PLACEHOLDER = '00000000-0000-4000-8000-00000000beef';

export interface LoadRequest {
  /** Path and query, e.g. `/v1/admission/<cluster>/<secret>?timeout=10s`. */
  readonly path: string;
  /** JSON; every occurrence of UID_PLACEHOLDER is replaced by a fresh uid per request. */
  readonly body: string;
}

export interface LoadJob {
  readonly type: 'run';
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly requests: readonly LoadRequest[];
  readonly concurrency: number;
  readonly durationMs: number;
}

export interface LoadResult {
  readonly type: 'result';
  readonly requests: number;
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
  /** Nearest-rank percentiles over every answered request, in milliseconds. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Requests without a 200 answer carrying a verdict (`response.allowed`), network failures included. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly statuses: Readonly<Record<string, number>>;
  /** Answers with `allowed: false`. */
  readonly denied: number;
  readonly connections: number;
  /** CPU time of the load generator per request: what it takes from the cores the server runs on. */
  readonly clientCpuUsPerRequest: number;
  /** The load generator's own garbage collections during the run: while one pauses it, every answer waits to be read. */
  readonly clientGc: { readonly count: number; readonly pauseMs: number; readonly longestPauseMs: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** One request as bytes, with where its uids go. */
interface PreparedRequest {
  readonly message: Buffer;
  readonly uidOffsets: readonly number[];
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\ncontent-length:');
const VERDICT = Buffer.from('"allowed":');
const DENIED = Buffer.from('"allowed":false');

/** The whole HTTP/1.1 message (head and body); a uid has the placeholder's length, so Content-Length holds for every request. */
function prepare(host: string, request: LoadRequest): PreparedRequest {
  const body = Buffer.from(request.body, 'utf8');
  const head = Buffer.from(
    `POST ${request.path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );
  const placeholder = Buffer.from(UID_PLACEHOLDER, 'latin1');
  const uidOffsets: number[] = [];
  for (let at = body.indexOf(placeholder); at !== -1; at = body.indexOf(placeholder, at + placeholder.length))
    uidOffsets.push(head.length + at);
  return { message: Buffer.concat([head, body]), uidOffsets };
}

/** The answer's status and Content-Length once its head is complete in `bytes`, or undefined while it is not. */
function readHead(bytes: Buffer): { readonly status: number; readonly bodyStart: number; readonly bodyLength: number } | undefined {
  const end = bytes.indexOf(HEADER_END);
  if (end === -1) return undefined;
  // `HTTP/1.1 200 OK`: the status is the three digits after the first space.
  const status = Number(bytes.toString('latin1', 9, 12));
  const head = bytes.toString('latin1', 0, end + 2).toLowerCase();
  const at = head.indexOf(CONTENT_LENGTH.toString('latin1'));
  if (at === -1) throw new Error(`HTTP ${status}: an answer without Content-Length (the generator reads only those)`);
  const bodyLength = Number.parseInt(head.slice(at + CONTENT_LENGTH.length), 10);
  return { status, bodyStart: end + HEADER_END.length, bodyLength };
}

/** Runs one job in this process (exported for reuse; the child calls it on each message). */
export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.baseUrl);
  if (url.protocol !== 'http:') throw new Error(`refusing to load ${url.protocol}: plain HTTP only`);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`refusing to load ${url.hostname}: loopback only`);
  if (job.requests.length === 0) throw new Error('no requests to send');
  const port = Number(url.port || 80);
  const prepared = job.requests.map((request) => prepare(url.host, request));
  // Latencies in a growing typed array: no boxed number per answer.
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let denied = 0;
  let next = 0;
  let connections = 0;
  const noteError = (sample: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(sample);
  };

  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((entry) => entry.duration)));
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + job.durationMs;

  /** One closed loop on one keep-alive connection: send, read the whole answer, send the next, until the time is up. */
  const loop = () =>
    new Promise<void>((resolve) => {
      let socket: Socket;
      let pending: Buffer | undefined;
      let sent = 0;
      let inFlight = false;
      const send = () => {
        if (performance.now() >= end) {
          socket.end();
          resolve();
          return;
        }
        const { message, uidOffsets } = prepared[next++ % prepared.length]!;
        const bytes = Buffer.allocUnsafe(message.length);
        message.copy(bytes);
        const uid = randomUUID();
        for (const offset of uidOffsets) bytes.write(uid, offset, 'latin1');
        inFlight = true;
        sent = performance.now();
        socket.write(bytes);
      };
      const open = () => {
        socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port, noDelay: true });
        connections++;
        pending = undefined;
        socket.once('connect', send);
        socket.on('data', (chunk: Buffer) => {
          pending = pending ? Buffer.concat([pending, chunk]) : chunk;
          let head;
          try {
            head = readHead(pending);
          } catch (error) {
            // Counted once here: the close that follows finds no request in flight.
            inFlight = false;
            statuses.unreadable = (statuses.unreadable ?? 0) + 1;
            noteError(error instanceof Error ? error.message : String(error));
            socket.destroy();
            return;
          }
          if (!head || pending.length < head.bodyStart + head.bodyLength) return;
          const body = pending.subarray(head.bodyStart, head.bodyStart + head.bodyLength);
          if (answered === latencies.length) {
            const grown = new Float64Array(latencies.length * 2);
            grown.set(latencies);
            latencies = grown;
          }
          latencies[answered++] = performance.now() - sent;
          inFlight = false;
          statuses[head.status] = (statuses[head.status] ?? 0) + 1;
          if (head.status !== 200 || body.indexOf(VERDICT) === -1) noteError(`HTTP ${head.status}: ${body.toString('utf8', 0, 200)}`);
          else if (body.indexOf(DENIED) !== -1) denied++;
          // One request at a time per connection: anything past this answer is a protocol error.
          pending = pending.length > head.bodyStart + head.bodyLength ? pending.subarray(head.bodyStart + head.bodyLength) : undefined;
          send();
        });
        socket.on('error', (error) => {
          if (inFlight) {
            statuses.network = (statuses.network ?? 0) + 1;
            noteError(error.message);
            inFlight = false;
          }
        });
        socket.on('close', () => {
          if (inFlight) {
            statuses.network = (statuses.network ?? 0) + 1;
            noteError('the server closed the connection before answering');
            inFlight = false;
          }
          // A connection lost before the time is up is replaced, as a keep-alive agent would.
          if (performance.now() < end) open();
          else resolve();
        });
      };
      open();
    });
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  gcPauses.push(...gcObserver.takeRecords().map((entry) => entry.duration));
  gcObserver.disconnect();

  const sorted = latencies.subarray(0, answered).sort();
  const requests = answered + (statuses.network ?? 0);
  let sum = 0;
  for (const latency of sorted) sum += latency;
  return {
    type: 'result',
    requests,
    elapsedMs: Math.round(elapsedMs),
    requestsPerSecond: Math.round(requests / (elapsedMs / 1000)),
    latencyMs: {
      p50: round3(percentile(sorted, 0.5)),
      p90: round3(percentile(sorted, 0.9)),
      p99: round3(percentile(sorted, 0.99)),
      max: round3(sorted[sorted.length - 1] ?? 0),
      mean: round3(sum / Math.max(1, sorted.length)),
    },
    errors,
    errorSamples,
    statuses,
    denied,
    connections,
    clientCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, requests)),
    clientGc: {
      count: gcPauses.length,
      pauseMs: round3(gcPauses.reduce((total, pause) => total + pause, 0)),
      longestPauseMs: round3(Math.max(0, ...gcPauses)),
    },
  };
}

// As a forked child: serve jobs from the parent until told to exit.
if (process.send && process.argv.includes('--child')) {
  process.on('message', (message: LoadJob | { readonly type: 'exit' }) => {
    if (message.type === 'exit') {
      process.disconnect();
      return;
    }
    runLoad(message).then(
      (result) => process.send!(result),
      (error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
}
