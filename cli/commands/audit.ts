// `vigil audit list|get|tail`: the audit log with the API's filters; tail follows new events until interrupted.
import { segment, type Query } from '../client.js';
import type { Context } from '../context.js';
import { ApiError, CliError, ExitCode } from '../errors.js';
import { auditColumns, workloadText, type Json } from '../kinds.js';
import { fixed, toYaml, type OutputFormat } from '../output.js';
import { parseInstant } from '../time.js';

export interface AuditFilters {
  readonly status?: string;
  readonly policy?: string;
  readonly cluster?: string;
  readonly namespace?: string;
  readonly type?: string;
  readonly since?: string;
  readonly until?: string;
}

export function auditQuery(filters: AuditFilters, now: Date = new Date()): Query {
  return {
    status: filters.status,
    policy: filters.policy,
    cluster: filters.cluster,
    namespace: filters.namespace,
    type: filters.type,
    since: filters.since === undefined ? undefined : parseInstant(filters.since, '--since', now),
    until: filters.until === undefined ? undefined : parseInstant(filters.until, '--until', now),
  };
}

const PATH = '/v1/audit-events';

export async function auditListCommand(ctx: Context, options: AuditFilters & { output: OutputFormat; limit: number }): Promise<number> {
  const items = await ctx.client().listAll<Json>(PATH, auditQuery(options), options.limit);
  ctx.output(items, options.output, auditColumns);
  return ExitCode.ok;
}

export async function auditGetCommand(ctx: Context, id: string, options: { output: OutputFormat }): Promise<number> {
  ctx.output(await ctx.client().get<Json>(`${PATH}/${segment(id)}`), options.output, auditColumns);
  return ExitCode.ok;
}

/**
 * Column widths of followed events: fixed, because events arrive one by one and cannot be measured together.
 * The time fits an ISO instant with milliseconds; longer cells are cut with an ellipsis, the message (last) never.
 */
const TAIL_WIDTHS = { time: 24, status: 6, rule: 40, action: 10, workload: 40 } as const;

/** One event on one line, for following, its columns aligned with those of the lines before. */
export function eventLine(event: Json): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
  return [
    fixed(text(event.time), TAIL_WIDTHS.time),
    fixed(text(event.status), TAIL_WIDTHS.status),
    fixed(`${text(event.policy)}/${text(event.control)}`, TAIL_WIDTHS.rule),
    fixed(text(event.action), TAIL_WIDTHS.action),
    fixed(text(workloadText(event.workload)), TAIL_WIDTHS.workload),
    text(event.message).replace(/\s*\n\s*/g, ' '),
  ]
    .join('  ')
    .trimEnd();
}

function byTime(a: Json, b: Json): number {
  const ta = String(a.time);
  const tb = String(b.time);
  return ta < tb ? -1 : ta > tb ? 1 : String(a.id) < String(b.id) ? -1 : 1;
}

export interface TailOptions extends AuditFilters {
  readonly output: OutputFormat;
  readonly intervalMs: number;
  /** Events to show first, from the newest back. */
  readonly lines: number;
}

/** How far back each poll looks again: events may be recorded with a time a little before the newest one seen. */
const OVERLAP_MS = 60_000;

/**
 * Prints the newest events, then polls every interval for events not seen yet and prints them oldest first. Stops
 * on SIGINT or SIGTERM with exit code 0 (or when `signal` aborts, for tests). Transient failures (network, 5xx)
 * are reported and retried; anything else ends the command.
 */
export async function auditTailCommand(ctx: Context, options: TailOptions, signal?: AbortSignal): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });

  const format = (event: Json): string => {
    if (options.output === 'json') return JSON.stringify(event);
    if (options.output === 'yaml') return `---\n${toYaml(event).replace(/\n$/, '')}`;
    const line = eventLine(event);
    return event.status === 'Block' ? ctx.paint('red', line) : line;
  };
  // Ids already printed (or deliberately skipped), with their times; and the newest time seen, in the server's clock.
  const seen = new Map<string, string>();
  let newest: string | undefined;
  const remember = (event: Json) => {
    const time = String(event.time);
    seen.set(String(event.id), time);
    if (newest === undefined || time > newest) newest = time;
  };
  const show = (events: Json[]) => {
    for (const event of [...events].sort(byTime)) {
      if (seen.has(String(event.id))) continue;
      remember(event);
      ctx.print(format(event));
    }
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      stop.signal.addEventListener('abort', wake, { once: true });
    });

  try {
    const filters = auditQuery(options);
    // The newest events: the last `lines` are shown, the rest of the page only marked as seen.
    const first = await ctx.client().listAll<Json>(PATH, filters, Math.max(options.lines, 100));
    for (const event of first.slice(options.lines)) remember(event);
    show(first.slice(0, options.lines));

    while (!stop.signal.aborted) {
      await sleep(options.intervalMs);
      if (stop.signal.aborted) break;
      // Polls look back a little before the newest event seen: events may be recorded slightly out of order.
      const lookBack = newest === undefined ? undefined : new Date(Date.parse(newest) - OVERLAP_MS).toISOString();
      const since = lookBack === undefined || (typeof filters.since === 'string' && filters.since > lookBack) ? filters.since : lookBack;
      try {
        show(await ctx.client().listAll<Json>(PATH, { ...filters, since }, 2000));
      } catch (error) {
        const transient =
          (error instanceof ApiError && (error.status >= 500 || error.status === 429)) ||
          (error instanceof CliError && !(error instanceof ApiError));
        if (!transient) throw error;
        ctx.warn(`${error.message} (retrying)`);
      }
      if (lookBack !== undefined) for (const [id, time] of seen) if (time < lookBack) seen.delete(id);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return ExitCode.ok;
}
