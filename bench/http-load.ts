/**
 * A small closed-loop HTTP load generator for the admission benchmark. It runs as a child process
 * (forked with an IPC channel) so that the server's event loop is not also the client's: `concurrency`
 * loops each send one POST at a time over keep-alive connections, for `durationMs`, rotating through
 * the prepared requests. Only loopback addresses are accepted.
 *
 * Protocol: the parent sends a `LoadJob`, the child answers with a `LoadResult`; `{ type: 'exit' }`
 * ends the child.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

function post(agent: Agent, url: URL, path: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs one job in this process (exported for reuse; the child calls it on each message). */
export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`refusing to load ${url.hostname}: loopback only`);
  if (job.requests.length === 0) throw new Error('no requests to send');
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, maxFreeSockets: job.concurrency });
  const bodies = job.requests.map((r) => ({ path: r.path, parts: r.body.split(UID_PLACEHOLDER) }));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let denied = 0;
  let next = 0;
  const sockets = new Set<unknown>();
  agent.on('free', (socket) => sockets.add(socket));

  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((entry) => entry.duration)));
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + job.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const { path, parts } = bodies[next++ % bodies.length]!;
      const body = Buffer.from(parts.join(randomUUID()), 'utf8');
      const sent = performance.now();
      try {
        const { status, text } = await post(agent, url, path, body);
        latencies.push(performance.now() - sent);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200 || !text.includes('"allowed":')) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`HTTP ${status}: ${text.slice(0, 200)}`);
        } else if (text.includes('"allowed":false')) denied++;
      } catch (error) {
        errors++;
        statuses.network = (statuses.network ?? 0) + 1;
        if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  gcPauses.push(...gcObserver.takeRecords().map((entry) => entry.duration));
  gcObserver.disconnect();
  agent.destroy();

  const sorted = latencies.sort((a, b) => a - b);
  const answered = statuses.network === undefined ? latencies.length : latencies.length + statuses.network;
  return {
    type: 'result',
    requests: answered,
    elapsedMs: Math.round(elapsedMs),
    requestsPerSecond: Math.round(answered / (elapsedMs / 1000)),
    latencyMs: {
      p50: round3(percentile(sorted, 0.5)),
      p90: round3(percentile(sorted, 0.9)),
      p99: round3(percentile(sorted, 0.99)),
      max: round3(sorted[sorted.length - 1] ?? 0),
      mean: round3(sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)),
    },
    errors,
    errorSamples,
    statuses,
    denied,
    connections: sockets.size,
    clientCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, answered)),
    clientGc: {
      count: gcPauses.length,
      pauseMs: round3(gcPauses.reduce((sum, pause) => sum + pause, 0)),
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
