import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { auditEvents, decide, workloadAttributes, type AuditEvent, type DecisionEvent, type Violation, type WorkloadAttributes } from '../core/index.js';
import { loadBundle, type LoadedBundle } from './bundle.js';
import { accountOfArn, readProtectionConfig, type ProtectionConfig } from './config.js';
import { ControlPlaneClient } from './ControlPlaneClient.js';
import { EventReporter } from './EventReporter.js';
import { interceptChildProcess, type GuardVerdict, type ProcessRequest } from './interceptors/childProcess.js';
import { Honeypot, type HoneypotPlan } from './interceptors/honeypot.js';
import { interceptNetwork } from './interceptors/network.js';
import { resolveProgram } from './resolveProgram.js';
import { launchesOf } from './shellCommand.js';

/** Layer version reported at registration. */
export const LAYER_VERSION = '0.1.0';

const INSTANCE = Symbol.for('vigil.protection.handler');
const ALLOW: GuardVerdict = { allowed: true };
/** Reads of one honeypot are reported at most once per this many milliseconds. */
const HONEYPOT_REPORT_INTERVAL_MS = 60_000;

/** The part of the Lambda context the layer uses. */
export interface InvocationContext {
  readonly invokedFunctionArn?: string | undefined;
}

function log(message: string): void {
  process.stderr.write(`vigil: ${message}\n`);
}

/**
 * The protection layer's one core: holds the compiled bundle, decides every intercepted call synchronously
 * with the shared engine, and queues audit events. The preload, `protect()` and the middy middleware are
 * thin entries around the one instance per process.
 */
export class ProtectionHandler {
  /** The process's handler, created and installed on first use (a preload and a wrapper share it). */
  static shared(env: Readonly<Record<string, string | undefined>> = process.env): ProtectionHandler {
    const holder = globalThis as { [INSTANCE]?: ProtectionHandler };
    return (holder[INSTANCE] ??= new ProtectionHandler(readProtectionConfig(env)).install());
  }

  private bundle: LoadedBundle | undefined;
  private etag: string | undefined;
  private enforcerId: string | undefined;
  private account: string | undefined;
  private workload: WorkloadAttributes | undefined;
  private readonly client: ControlPlaneClient | undefined;
  private readonly reporter: EventReporter;
  private readonly honeypot: Honeypot;
  private readonly startedAtMs = Date.now() - process.uptime() * 1000;
  private readonly exempt: Array<{ host: string; port: number }> = [];
  private readonly lastHoneypotReport = new Map<string, number>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private installed = false;
  private exitFlushes = 0;
  /** Settles when the first fetch of the bundle finished (successfully or not). */
  ready: Promise<void> = Promise.resolve();

  constructor(readonly config: ProtectionConfig) {
    for (const problem of config.problems) log(problem);
    this.account = config.fn.account;
    this.client = config.endpoint !== undefined ? new ControlPlaneClient(config.endpoint, config.token) : undefined;
    if (this.client) this.exempt.push(this.client.address);
    const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
    if (runtimeApi !== undefined) {
      const colon = runtimeApi.lastIndexOf(':');
      this.exempt.push({ host: runtimeApi.slice(0, colon), port: Number(runtimeApi.slice(colon + 1)) });
    }
    const client = this.client;
    // Events made before registration finished get the enforcer id when they are sent.
    const withId = (events: readonly AuditEvent[]) => events.map((e) => (e.enforcer.id === null && this.enforcerId !== undefined ? { ...e, enforcer: { ...e.enforcer, id: this.enforcerId } } : e));
    // Sending waits for the first registration attempt so that events carry the enforcer id.
    this.reporter = new EventReporter(
      client
        ? async (events) => {
            await this.ready;
            return client.events(withId(events), this.enforcerId);
          }
        : undefined,
    );
    this.honeypot = new Honeypot((source, detail) => this.honeypotRead(source, detail));
    if (config.embeddedBundle !== undefined) {
      try {
        this.apply(loadBundle(config.embeddedBundle));
      } catch (error) {
        log(`the embedded bundle is invalid: ${(error as Error).message}`);
      }
    }
  }

  /** Revision of the bundle in force, if any. */
  get revision(): number | undefined {
    return this.bundle?.revision;
  }

  /** Events waiting to be sent, delivered and dropped (for tests and diagnostics). */
  get reporting(): { readonly pending: number; readonly delivered: number; readonly dropped: number } {
    return { pending: this.reporter.pending, delivered: this.reporter.delivered, dropped: this.reporter.dropped };
  }

  /** Patches child_process, net and (when a policy asks) the environment; starts the first fetch in the background. */
  install(): this {
    if (this.installed) return this;
    this.installed = true;
    interceptChildProcess({ checkProcess: (request) => this.checkProcess(request), quietly: (run) => this.honeypot.quietly(run) });
    interceptNetwork({ checkConnection: (host, port) => this.checkConnection(host, port) });
    if (this.client) {
      this.ready = this.refresh(true);
      const flushTimer = setInterval(() => {
        if (this.reporter.pending > 0) void this.reporter.flush();
      }, this.config.flushIntervalMs);
      flushTimer.unref();
    }
    // A last chance for queued events when the process ends on its own (not when Lambda freezes or kills it).
    process.on('beforeExit', () => {
      if (this.reporter.pending > 0 && this.exitFlushes++ < 5) void this.reporter.flush(2000);
    });
    return this;
  }

  /** Called before each invocation by the wrapper and the middleware; never waits on the network unless nothing is known yet. */
  async beforeInvocation(context?: InvocationContext): Promise<void> {
    const account = accountOfArn(context?.invokedFunctionArn);
    if (account !== undefined && account !== this.account) {
      this.account = account;
      this.workload = undefined;
      this.applyHoneypot();
    }
    if (!this.bundle) await this.ready;
  }

  /** Called after each invocation: sends queued events, waiting at most `deadlineMs`. */
  async afterInvocation(deadlineMs = 300): Promise<void> {
    if (this.reporter.pending > 0) await this.reporter.flush(deadlineMs);
  }

  /** Sends every queued event (tests, shutdown). */
  flush(): Promise<void> {
    return this.reporter.flush();
  }

  private async refresh(first: boolean): Promise<void> {
    const client = this.client!;
    try {
      if (this.enforcerId === undefined) {
        const { fn } = this.config;
        const registration = await client.register({
          name: fn.name ?? hostname(),
          type: 'nano_enforcer',
          version: LAYER_VERSION,
          hostname: hostname(),
          metadata: { functionName: fn.name, runtime: fn.runtime, region: fn.region },
        });
        this.enforcerId = registration.enforcerId;
      }
      const answer = await client.bundle(this.enforcerId, this.etag);
      if (answer) {
        this.apply(loadBundle(answer.body));
        this.etag = answer.etag;
      }
    } catch (error) {
      log(`${first ? 'the first' : 'a'} bundle fetch failed: ${(error as Error).message}${this.bundle ? ` (keeping revision ${this.bundle.revision})` : ''}`);
    }
    const ttl = this.config.bundleTtlSeconds ?? this.bundle?.pollIntervalSeconds ?? 60;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(false), ttl * 1000);
    this.refreshTimer.unref();
  }

  private apply(bundle: LoadedBundle): void {
    for (const problem of bundle.compiled.problems) log(problem);
    this.bundle = bundle;
    this.workload = undefined;
    this.applyHoneypot();
  }

  private currentWorkload(bundle: LoadedBundle): WorkloadAttributes {
    const { fn } = this.config;
    return (this.workload ??= workloadAttributes(
      { 'function.name': fn.name, 'function.runtime': fn.runtime, 'cloud.region': fn.region, 'cloud.awsaccount': this.account, 'enforcer.group': bundle.group.name },
      { 'function.tag': fn.tags },
    ));
  }

  private applyHoneypot(): void {
    const bundle = this.bundle;
    if (!bundle) return;
    const workload = this.currentWorkload(bundle);
    let plan: HoneypotPlan | undefined;
    if (!bundle.compiled.bypassed(workload)) {
      bundle.compiled.forEachCandidate('function', 'honeypot', workload, (candidate) => {
        if (plan || !candidate.inScope(workload)) return;
        const settings = (candidate.policy.controls as Record<string, { enabled?: boolean; accessKeyId?: string; secretAccessKey?: string; applyOn?: string[] } | undefined>).honeypot;
        if (!settings?.enabled) return;
        const applyOn = settings.applyOn ?? ['environment'];
        plan = {
          accessKeyId: settings.accessKeyId ?? `AKIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
          secretAccessKey: settings.secretAccessKey ?? randomBytes(30).toString('base64').slice(0, 40),
          environment: applyOn.includes('environment'),
          file: applyOn.includes('file') ? this.config.honeypotFile : undefined,
        };
      });
    }
    this.honeypot.apply(plan);
  }

  /** Decides one event and queues its audit events; undefined when there is no bundle to decide with. */
  private decide(event: DecisionEvent, command: readonly string[] | undefined): { allowed: boolean; violations: readonly Violation[] } | undefined {
    const bundle = this.bundle;
    if (!bundle) return undefined;
    const decision = decide(bundle.compiled, { policyType: 'function', group: bundle.group, workload: this.currentWorkload(bundle), event });
    if (decision.violations.length > 0) {
      const events: AuditEvent[] = auditEvents(
        decision.violations,
        { workload: { function: this.config.fn.name ?? null }, command, enforcer: { group: bundle.group.name, type: 'nano_enforcer', id: this.enforcerId ?? null } },
        new Date().toISOString(),
        randomUUID,
      );
      this.reporter.enqueue(events);
    }
    return decision;
  }

  private failClosed(what: string): GuardVerdict {
    if (this.config.failMode === 'open') return ALLOW;
    log(`${what} refused: no policy bundle is available and the fail mode is closed`);
    return { allowed: false, message: 'no policy bundle is available and the fail mode is closed' };
  }

  private static refusal(violations: readonly Violation[]): GuardVerdict {
    const block = violations.find((v) => v.status === 'Block') ?? violations[0];
    return { allowed: false, message: block ? `blocked by policy "${block.policy}" (${block.controlName}): ${block.message}` : 'blocked' };
  }

  /** The verdict on starting a child process; every program a shell command would start is checked. */
  checkProcess(request: ProcessRequest): GuardVerdict {
    if (!this.bundle) return this.failClosed(`starting ${request.file}`);
    const violations: Violation[] = [];
    let allowed = true;
    for (const launch of launchesOf(request.file, request.args, request.shell)) {
      const resolved = resolveProgram(launch.program, { cwd: request.cwd, path: request.path, startedAtMs: this.startedAtMs });
      const decision = this.decide(
        { action: 'process', command: launch.command, executable: launch.program, resolvedPath: resolved.resolvedPath, createdAfterStart: resolved.createdAfterStart },
        launch.command,
      );
      if (decision && !decision.allowed) {
        allowed = false;
        violations.push(...decision.violations);
      }
    }
    return allowed ? ALLOW : ProtectionHandler.refusal(violations);
  }

  /** The verdict on an outbound connection; the control plane and the Lambda runtime API are always reachable. */
  checkConnection(host: string, port: number): GuardVerdict {
    if (this.exempt.some((e) => e.host === host && e.port === port)) return ALLOW;
    if (!this.bundle) return this.failClosed(`connecting to ${host}:${port}`);
    const decision = this.decide({ action: 'network', direction: 'outbound', host, port }, undefined);
    return !decision || decision.allowed ? ALLOW : ProtectionHandler.refusal(decision.violations);
  }

  private honeypotRead(source: 'environment' | 'file', detail: string): void {
    const key = `${source}:${detail}`;
    const now = Date.now();
    const last = this.lastHoneypotReport.get(key);
    if (last !== undefined && now - last < HONEYPOT_REPORT_INTERVAL_MS) return;
    this.lastHoneypotReport.set(key, now);
    // A read cannot be undone: the fake value is returned whatever the verdict; the event is the point.
    this.honeypot.quietly(() => this.decide({ action: 'honeypot', source, detail }, undefined));
  }
}
