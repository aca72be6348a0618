import type { AuditEvent, DecisionEvent, Violation, WorkloadAttributes } from '../core/index.js';
import { auditEvents, decide, guardViolations } from '../core/engine/index.js';
import { workloadAttributes } from '../core/scope/index.js';
import { loadBundle, type LoadedBundle } from './bundle.js';
import { accountOfArn, readProtectionConfig, type ProtectionConfig } from './config.js';
import { ControlPlaneClient, ControlPlaneError } from './ControlPlaneClient.js';
import { EventReporter } from './EventReporter.js';
import { interceptChildProcess, type GuardVerdict, type ProcessRequest } from './interceptors/childProcess.js';
import { Honeypot, type HoneypotPlan } from './interceptors/honeypot.js';
import { interceptNetwork } from './interceptors/network.js';
import { NativeGuard } from './nativeGuard.js';
import { resolveProgram, type ResolvedProgram } from './resolveProgram.js';
import { launchesOf, type ProgramLaunch } from './shellCommand.js';
import { describeTokenSource, fetchToken, storeEndpoint } from './tokenSource.js';

/** Layer version reported at registration. */
export const LAYER_VERSION = '0.1.0';

const INSTANCE = Symbol.for('vigil.protection.handler');
const ALLOW: GuardVerdict = { allowed: true };
/** Reads of one honeypot are reported at most once per this many milliseconds. */
const HONEYPOT_REPORT_INTERVAL_MS = 60_000;
/** Nothing applies: decided once per bundle and workload, so that unwatched calls cost a property read. */
const NOTHING_APPLIES = { process: false, network: false } as const;

// node:crypto and node:os are loaded when first needed (an event, a honeypot, the registration), not at
// init: the preload adds as little as it can to a cold start.
const crypto = () => process.getBuiltinModule('node:crypto');
const hostname = () => process.getBuiltinModule('node:os').hostname();

/**
 * A program about to start, as the engine judges it: what its resolution gave is read from `resolved` only if a
 * rule needs it, and the event remembers what was read (see KnownLaunch).
 */
class ProcessStart {
  readonly action = 'process';
  readonly command: readonly string[];
  readonly executable: string;
  /** Whether the decision read anything the program's resolution gives (its name, path, or times). */
  resolutionRead = false;
  resolvedPathRead = false;

  constructor(
    launch: ProgramLaunch,
    private readonly resolved: ResolvedProgram,
  ) {
    this.command = launch.command;
    this.executable = launch.program;
  }

  get resolvedName(): string | undefined {
    this.resolutionRead = true;
    return this.resolved.resolvedName;
  }

  get createdAfterStart(): boolean {
    this.resolutionRead = true;
    return this.resolved.createdAfterStart;
  }

  get resolvedPath(): string | undefined {
    this.resolutionRead = true;
    this.resolvedPathRead = true;
    return this.resolved.resolvedPath;
  }
}

/** A program resolved when first read: the first decision on a launch learns whether it needs the file at all. */
class ResolutionOnRead implements ResolvedProgram {
  private resolved: ResolvedProgram | undefined;

  constructor(
    private readonly program: string,
    private readonly lookup: ProgramLookup,
  ) {}

  private get now(): ResolvedProgram {
    return (this.resolved ??= resolveProgram(this.program, this.lookup));
  }

  get resolvedPath(): string | undefined {
    return this.now.resolvedPath;
  }

  get resolvedName(): string | undefined {
    return this.now.resolvedName;
  }

  get createdAfterStart(): boolean {
    return this.now.createdAfterStart;
  }
}

/** Where a program is looked up; the request's PATH is read only for a bare name (see ProcessRequest.path). */
class ProgramLookup {
  constructor(
    private readonly request: ProcessRequest,
    readonly startedAtMs: number,
  ) {}

  get cwd(): string | undefined {
    return this.request.cwd;
  }

  get path(): string | undefined {
    return this.request.path;
  }
}

type ProcessDecision = { readonly allowed: boolean; readonly violations: readonly Violation[] };

/** Calls kept per bundle and workload; a function starting more distinct command lines than this starts over. */
const CALLS_KEPT = 256;
/** Calls of one program kept (they are compared one by one); more distinct ones start that program's list over. */
const CALLS_KEPT_PER_PROGRAM = 16;
/** Resolutions kept per program of a call (a program's file changes rarely). */
const RESOLUTIONS_KEPT = 8;

/** A decision made on a program, and the facts of its resolution it was made on. */
interface KnownDecision {
  readonly createdAfterStart: boolean;
  readonly resolvedName: string | undefined;
  /** Whether the decision read the resolved path; only then is it compared (it costs a realpath). */
  readonly pathRead: boolean;
  readonly resolvedPath: string | undefined;
  readonly decision: ProcessDecision;
}

/**
 * A program a call starts, with the decisions made on it so far, by what its resolution gave.
 *
 * The program is resolved (an lstat, and a PATH lookup for a bare name) on every call whose decision depends on
 * the file: a rule that matches the resolved name or path, or drift. When the first decision on a launch read
 * nothing of the resolution, no rule in force can tell one file from another here (e.g. an allow-list matching
 * the name as called), so the same decision holds whatever the file is now or becomes, and it is not resolved
 * again until the bundle or workload changes (which starts the decisions over).
 */
class KnownLaunch {
  private readonly decisions: KnownDecision[] = [];
  /** The decision when it read nothing of the program's resolution. */
  private independent: ProcessDecision | undefined;

  constructor(readonly launch: ProgramLaunch) {}

  /**
   * The decision on this program, resolved where `lookup` says. The launch fixes the executable and the
   * command; the rest of what the engine reads (resolved name, created after start, and the resolved path when
   * it was read) is compared field by field: no key is built, since between two forks every string made and
   * hashed costs.
   */
  decide(lookup: ProgramLookup, decideNow: (event: ProcessStart) => ProcessDecision | undefined): ProcessDecision | undefined {
    if (this.independent !== undefined) return this.independent;
    if (this.decisions.length === 0) return this.decideFirst(lookup, decideNow);
    const resolved = resolveProgram(this.launch.program, lookup);
    const createdAfterStart = resolved.createdAfterStart;
    const resolvedName = resolved.resolvedName;
    let same = -1;
    for (let i = 0; i < this.decisions.length; i++) {
      const known = this.decisions[i]!;
      if (known.createdAfterStart !== createdAfterStart || known.resolvedName !== resolvedName) continue;
      if (!known.pathRead || known.resolvedPath === resolved.resolvedPath) return known.decision;
      same = i;
    }
    const event = new ProcessStart(this.launch, resolved);
    const decision = decideNow(event);
    if (decision === undefined) return undefined;
    const pathRead = event.resolvedPathRead;
    const known = { createdAfterStart, resolvedName, pathRead, resolvedPath: pathRead ? resolved.resolvedPath : undefined, decision };
    if (same !== -1) this.decisions[same] = known;
    else {
      if (this.decisions.length >= RESOLUTIONS_KEPT) this.decisions.length = 0;
      this.decisions.push(known);
    }
    return decision;
  }

  /** The first decision: the program is resolved only if a rule reads what that gives. */
  private decideFirst(lookup: ProgramLookup, decideNow: (event: ProcessStart) => ProcessDecision | undefined): ProcessDecision | undefined {
    const resolved = new ResolutionOnRead(this.launch.program, lookup);
    const event = new ProcessStart(this.launch, resolved);
    const decision = decideNow(event);
    if (decision === undefined) return undefined;
    if (!event.resolutionRead) this.independent = decision;
    else {
      const pathRead = event.resolvedPathRead;
      this.decisions.push({
        createdAfterStart: resolved.createdAfterStart,
        resolvedName: resolved.resolvedName,
        pathRead,
        resolvedPath: pathRead ? resolved.resolvedPath : undefined,
        decision,
      });
    }
    return decision;
  }
}

/** A command line seen before (its program, arguments and whether a shell runs it), and the programs it starts. */
class KnownCall {
  constructor(
    private readonly shell: boolean,
    private readonly args: readonly string[],
    readonly launches: readonly KnownLaunch[],
  ) {}

  /** Whether the request is this command line, compared argument by argument (the program is the caller's key). */
  is(request: ProcessRequest): boolean {
    const args = request.args;
    if (request.shell !== this.shell || args.length !== this.args.length) return false;
    for (let i = 0; i < args.length; i++) if (args[i] !== this.args[i]) return false;
    return true;
  }
}

/**
 * What the hooks learnt about the calls made under the bundle and workload in force (the owner clears it when
 * either changes, a mode change included: it arrives as a new bundle): the programs each command line starts
 * and the decisions on them. A function tends to make the same few calls again and again, and between two
 * forks every piece of code the check runs costs several times what it costs in a loop. Only the parsing and
 * the decision are reused: each program is resolved again on every call (its lstat, its PATH lookup), so a
 * file replaced, created or changed since (drift) is decided anew.
 */
class ProcessDecisions {
  /** By program as called: its string usually comes from the caller's code, with its hash already computed. */
  private readonly calls = new Map<string, KnownCall[]>();
  private kept = 0;

  launchesOf(request: ProcessRequest): readonly KnownLaunch[] {
    let sameProgram = this.calls.get(request.file);
    if (sameProgram !== undefined) for (const call of sameProgram) if (call.is(request)) return call.launches;
    if (this.kept >= CALLS_KEPT) this.clear();
    if (sameProgram === undefined || sameProgram.length >= CALLS_KEPT_PER_PROGRAM) {
      this.kept -= sameProgram?.length ?? 0;
      sameProgram = [];
      this.calls.set(request.file, sameProgram);
    }
    const launches = launchesOf(request.file, request.args, request.shell).map((launch) => new KnownLaunch(launch));
    // request.args is the hook's own copy of the caller's arguments, so the caller cannot change it later.
    sameProgram.push(new KnownCall(request.shell, request.args, launches));
    this.kept++;
    return launches;
  }

  clear(): void {
    this.calls.clear();
    this.kept = 0;
  }
}

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
  /** Whether any policy of the bundle in force applies to this function's processes and connections. */
  private applies: { readonly process: boolean; readonly network: boolean } = NOTHING_APPLIES;
  /** The enforcer-group token once known (read from SSM or Secrets Manager at init when configured). */
  private token: string | undefined;
  private readonly client: ControlPlaneClient | undefined;
  private readonly reporter: EventReporter;
  private readonly honeypot: Honeypot;
  /**
   * The native exec guard when vigil-wrapper loaded it into this process. It judges every program that
   * actually starts, in this process's children and all their descendants, and reports what it allows
   * with a violation; the child_process hooks then report only what they refuse (which never starts).
   */
  private readonly guard: NativeGuard | undefined;
  private readonly startedAtMs = Date.now() - process.uptime() * 1000;
  private readonly exempt: Array<{ host: string; port: number }> = [];
  private readonly lastHoneypotReport = new Map<string, number>();
  /** Decisions on programs started, for the bundle and workload in force (cleared when either changes). */
  private readonly processDecisions = new ProcessDecisions();
  private refreshTimer: NodeJS.Timeout | undefined;
  private installed = false;
  private exitFlushes = 0;
  /** Settles when the first fetch of the bundle finished (successfully or not). */
  ready: Promise<void> = Promise.resolve();

  constructor(readonly config: ProtectionConfig) {
    for (const problem of config.problems) log(problem);
    this.account = config.fn.account;
    if (config.token?.kind === 'value') this.token = config.token.token;
    if (config.endpoint === undefined && config.token !== undefined && config.token.kind !== 'value')
      log(`${describeTokenSource(config.token)} is not read: VIGIL_ENDPOINT is not set`);
    this.client = config.endpoint !== undefined ? new ControlPlaneClient(config.endpoint, () => this.token) : undefined;
    if (this.client) this.exempt.push(this.client.address);
    const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
    if (runtimeApi !== undefined) {
      const colon = runtimeApi.lastIndexOf(':');
      this.exempt.push({ host: runtimeApi.slice(0, colon), port: Number(runtimeApi.slice(colon + 1)) });
    }
    const client = this.client;
    // Events made before registration finished get the enforcer id when they are sent.
    const withId = (events: readonly AuditEvent[]) =>
      events.map((e) =>
        e.enforcer.id === null && this.enforcerId !== undefined ? { ...e, enforcer: { ...e.enforcer, id: this.enforcerId } } : e,
      );
    // Sending waits for the first registration attempt so that events carry the enforcer id. Without a
    // registration (or when the API says it is gone), events stay queued until a refresh registers again.
    this.reporter = new EventReporter(
      client
        ? async (events) => {
            await this.ready;
            const enforcerId = this.enforcerId;
            if (enforcerId === undefined) throw new ControlPlaneError('events wait for a registration', true);
            try {
              return await client.events(withId(events), enforcerId);
            } catch (error) {
              if (!(error instanceof ControlPlaneError) || (error.status !== 401 && error.status !== 404)) throw error;
              this.forgetOn(error);
              throw new ControlPlaneError(error.message, true, error.status);
            }
          }
        : undefined,
    );
    this.honeypot = new Honeypot((source, detail) => this.honeypotRead(source, detail));
    this.guard = ProtectionHandler.attachGuard();
    if (config.embeddedBundle !== undefined) {
      try {
        this.apply(loadBundle(config.embeddedBundle));
      } catch (error) {
        log(`the embedded bundle is invalid: ${(error as Error).message}`);
      }
    }
    // Without a bundle the table says so, and the guard follows the fail mode.
    if (!this.bundle) this.writeGuardRules();
  }

  private static attachGuard(): NativeGuard | undefined {
    try {
      return NativeGuard.attach(process.env);
    } catch (error) {
      // The guard then reads no table and follows the fail mode; the log says why.
      log(`the exec guard's directory could not be prepared: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Writes the guard's rule table for the bundle and workload in force (when this process owns the guard's directory). */
  private writeGuardRules(): void {
    const guard = this.guard;
    if (!guard?.owner) return;
    const bundle = this.bundle;
    try {
      const table = guard.write({
        startedAtMs: this.startedAtMs,
        failMode: this.config.failMode,
        bundle: bundle && { revision: bundle.revision, snapshot: bundle.compiled, group: bundle.group },
        workload: bundle && this.currentWorkload(bundle),
      });
      if (table?.state === 'oversize')
        log(`the bundle's process rules exceed the exec guard's bounds: descendants follow the fail mode ${this.config.failMode}`);
    } catch (error) {
      log(`the exec guard's rule table could not be written: ${(error as Error).message}`);
    }
  }

  /** Queues the events of what the guard decided since the last look. */
  private collectGuardEvents(): void {
    if (!this.guard?.owner) return;
    try {
      for (const decision of this.guard.collect()) {
        const violations = guardViolations(decision.table, decision.ruleIds, decision.seen);
        if (violations.length > 0) this.report(violations, decision.seen.command);
      }
    } catch (error) {
      log(`the exec guard's events could not be read: ${(error as Error).message}`);
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

  /**
   * Patches child_process, net and (when a policy asks) the environment. The first token read, registration
   * and bundle fetch start on the next turn of the event loop, after the function's code has loaded: the
   * embedded snapshot (if any) is in force meanwhile.
   */
  install(): this {
    if (this.installed) return this;
    this.installed = true;
    interceptChildProcess({
      watching: () => (this.bundle ? this.applies.process : this.config.failMode === 'closed'),
      checkProcess: (request) => this.checkProcess(request),
      quietly: (run) => this.honeypot.quietly(run),
    });
    interceptNetwork({ checkConnection: (host, port) => this.checkConnection(host, port) });
    if (this.client) {
      this.ready = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.fetchBundle(true));
      // The heartbeat follows the first fetch without delaying it (nor any invocation waiting for it).
      void this.ready.then(() => this.sendHeartbeat()).finally(() => this.scheduleRefresh());
      const flushTimer = setInterval(() => {
        this.collectGuardEvents();
        if (this.reporter.pending > 0) void this.reporter.flush();
      }, this.config.flushIntervalMs);
      flushTimer.unref();
    }
    // A last chance for queued events when the process ends on its own (not when Lambda freezes or kills it).
    process.on('beforeExit', () => {
      this.collectGuardEvents();
      if (this.reporter.pending > 0 && this.exitFlushes++ < 5) void this.reporter.flush(2000);
    });
    return this;
  }

  /** Called before each invocation by the wrapper and the middleware; never waits on the network unless nothing is known yet. */
  async beforeInvocation(context?: InvocationContext): Promise<void> {
    const account = accountOfArn(context?.invokedFunctionArn);
    if (account !== undefined && account !== this.account) {
      this.account = account;
      // Recomputes the workload (and which policies apply to it) as well.
      this.workload = undefined;
      this.applyHoneypot();
      this.writeGuardRules();
    }
    if (!this.bundle) await this.ready;
  }

  /** Called after each invocation: sends queued events, waiting at most `deadlineMs`. */
  async afterInvocation(deadlineMs = 300): Promise<void> {
    this.collectGuardEvents();
    if (this.reporter.pending > 0) await this.reporter.flush(deadlineMs);
  }

  /** Sends every queued event (tests, shutdown). */
  flush(): Promise<void> {
    this.collectGuardEvents();
    return this.reporter.flush();
  }

  /** The token, read once from its store when it is kept in one; false (logged) when it cannot be read now. */
  private async resolveToken(): Promise<boolean> {
    const source = this.config.token;
    if (this.token !== undefined || source === undefined || source.kind === 'value') return true;
    // The layer's own read of the store is neither an egress violation nor refused by a closed fail mode.
    const endpoint = storeEndpoint(source, process.env);
    if (endpoint) this.exempt.push(endpoint);
    try {
      this.token = await fetchToken(source);
      return true;
    } catch (error) {
      log(
        `the enforcer-group token could not be read from ${describeTokenSource(source)}: ${(error as Error).message}; ${this.bundle ? `keeping revision ${this.bundle.revision}` : `fail mode ${this.config.failMode}`} until it can`,
      );
      return false;
    } finally {
      if (endpoint) this.exempt.splice(this.exempt.indexOf(endpoint), 1);
    }
  }

  /** Reacts to an answer that says the registration or the token is no longer valid. */
  private forgetOn(error: unknown): void {
    if (!(error instanceof ControlPlaneError)) return;
    // Unknown enforcer (the record was removed): register again on the next refresh.
    if (error.status === 404) this.enforcerId = undefined;
    // A token read from a store may have been rotated: read it again on the next refresh.
    if (error.status === 401 && this.config.token?.kind !== 'value') this.token = undefined;
  }

  /** Token, registration and bundle (ETag / If-None-Match); failures are logged and keep what is in force. */
  private async fetchBundle(first: boolean): Promise<void> {
    const client = this.client!;
    try {
      if (!(await this.resolveToken())) return;
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
      this.forgetOn(error);
      log(
        `${first ? 'the first' : 'a'} bundle fetch failed: ${(error as Error).message}${this.bundle ? ` (keeping revision ${this.bundle.revision})` : ''}`,
      );
    }
  }

  /** Marks this enforcer connected; sent after registration and then once per refresh, never during an invocation's work. */
  private async sendHeartbeat(): Promise<void> {
    if (this.enforcerId === undefined) return;
    try {
      await this.client!.heartbeat(this.enforcerId);
    } catch (error) {
      this.forgetOn(error);
      log(`a heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** The next refresh (bundle and heartbeat) after the TTL: VIGIL_BUNDLE_TTL_SECONDS, else the server's poll interval. */
  private scheduleRefresh(): void {
    const ttl = this.config.bundleTtlSeconds ?? this.bundle?.pollIntervalSeconds ?? 60;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      void this.fetchBundle(false)
        .then(() => this.sendHeartbeat())
        .finally(() => this.scheduleRefresh());
    }, ttl * 1000);
    this.refreshTimer.unref();
  }

  private apply(bundle: LoadedBundle): void {
    for (const problem of bundle.compiled.problems) log(problem);
    this.bundle = bundle;
    this.workload = undefined;
    this.currentWorkload(bundle);
    this.applyHoneypot();
    this.writeGuardRules();
  }

  private currentWorkload(bundle: LoadedBundle): WorkloadAttributes {
    if (this.workload) return this.workload;
    const { fn } = this.config;
    const workload = workloadAttributes(
      {
        'function.name': fn.name,
        'function.runtime': fn.runtime,
        'cloud.region': fn.region,
        'cloud.awsaccount': this.account,
        'enforcer.group': bundle.group.name,
      },
      { 'function.tag': fn.tags },
    );
    this.workload = workload;
    this.processDecisions.clear();
    this.applies = bundle.compiled.bypassed(workload)
      ? NOTHING_APPLIES
      : {
          process: ProtectionHandler.anyInScope(bundle, 'process', workload),
          network: ProtectionHandler.anyInScope(bundle, 'network', workload),
        };
    return workload;
  }

  private static anyInScope(bundle: LoadedBundle, action: 'process' | 'network', workload: WorkloadAttributes): boolean {
    let found = false;
    bundle.compiled.forEachCandidate('function', action, workload, (candidate) => {
      if (!found && candidate.inScope(workload)) found = true;
    });
    return found;
  }

  private applyHoneypot(): void {
    const bundle = this.bundle;
    if (!bundle) return;
    const workload = this.currentWorkload(bundle);
    let plan: HoneypotPlan | undefined;
    if (!bundle.compiled.bypassed(workload)) {
      bundle.compiled.forEachCandidate('function', 'honeypot', workload, (candidate) => {
        if (plan || !candidate.inScope(workload)) return;
        const settings = (
          candidate.policy.controls as Record<
            string,
            { enabled?: boolean; accessKeyId?: unknown; secretAccessKey?: unknown; applyOn?: unknown } | undefined
          >
        ).honeypot;
        if (!settings?.enabled) return;
        const applyOn: unknown[] = Array.isArray(settings.applyOn) ? settings.applyOn : ['environment'];
        plan = {
          accessKeyId:
            typeof settings.accessKeyId === 'string'
              ? settings.accessKeyId
              : `AKIA${crypto().randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
          secretAccessKey:
            typeof settings.secretAccessKey === 'string'
              ? settings.secretAccessKey
              : crypto().randomBytes(30).toString('base64').slice(0, 40),
          environment: applyOn.includes('environment'),
          file: applyOn.includes('file') ? this.config.honeypotFile : undefined,
        };
      });
    }
    this.honeypot.apply(plan);
  }

  /** Decides one event and queues its audit events; undefined when there is no bundle to decide with. */
  private decide(
    event: DecisionEvent,
    command: readonly string[] | undefined,
    report = true,
  ): { allowed: boolean; violations: readonly Violation[] } | undefined {
    const bundle = this.bundle;
    if (!bundle) return undefined;
    const decision = decide(bundle.compiled, {
      policyType: 'function',
      group: bundle.group,
      workload: this.currentWorkload(bundle),
      event,
    });
    if (report && decision.violations.length > 0) this.report(decision.violations, command);
    return decision;
  }

  /** Queues one audit event per violation. */
  private report(violations: readonly Violation[], command: readonly string[] | undefined): void {
    const bundle = this.bundle;
    if (!bundle) return;
    const events: AuditEvent[] = auditEvents(
      violations,
      {
        workload: { function: this.config.fn.name ?? null },
        // auditEvents cuts a long command line to the bounds of the events API (with a marker, keeping its end).
        command,
        enforcer: { group: bundle.group.name, type: 'nano_enforcer', id: this.enforcerId ?? null },
      },
      new Date().toISOString(),
      () => crypto().randomUUID(),
    );
    this.reporter.enqueue(events);
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
    if (!this.applies.process) return ALLOW;
    // With the guard loaded, what is allowed here is reported by the guard when the program really starts.
    const reportNow = this.guard === undefined;
    // Made only when a program has a violation: an allowed call allocates nothing here.
    let violations: Violation[] | undefined;
    let held: Array<{ violations: readonly Violation[]; command: readonly string[] }> | undefined;
    let allowed = true;
    const launches = this.processDecisions.launchesOf(request);
    for (let i = 0; i < launches.length; i++) {
      const known = launches[i]!;
      const { launch } = known;
      const decision = known.decide(new ProgramLookup(request, this.startedAtMs), (event) => this.decide(event, launch.command, false));
      if (decision === undefined) continue;
      if (decision.violations.length > 0) {
        if (reportNow) this.report(decision.violations, launch.command);
        (held ??= []).push({ violations: decision.violations, command: launch.command });
      }
      if (!decision.allowed) {
        allowed = false;
        (violations ??= []).push(...decision.violations);
      }
    }
    if (allowed) return ALLOW;
    // A refused call never starts, so the guard never sees it: it is reported here, whole.
    if (!reportNow && held !== undefined) for (const entry of held) this.report(entry.violations, entry.command);
    return ProtectionHandler.refusal(violations ?? []);
  }

  /** The verdict on an outbound connection; the control plane and the Lambda runtime API are always reachable. */
  checkConnection(host: string, port: number): GuardVerdict {
    if (this.exempt.some((e) => e.host === host && e.port === port)) return ALLOW;
    if (!this.bundle) return this.failClosed(`connecting to ${host}:${port}`);
    if (!this.applies.network) return ALLOW;
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
