// `vigil simulate`: send the AdmissionReview the Kubernetes API server would send for a kubectl action to a
// registered cluster's webhook, and print the verdict. A first run shows Detect and Block without a cluster.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context } from '../context.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { fileProblem } from '../files.js';
import { toJson, toYaml } from '../output.js';

export const simulatedOperations = ['exec', 'attach', 'port-forward', 'debug', 'create'] as const;
export type SimulatedOperation = (typeof simulatedOperations)[number];

export interface SimulateOptions {
  readonly webhookUrl?: string;
  readonly manifestFile?: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  readonly label: readonly string[];
  readonly user: string;
  readonly group: readonly string[];
  readonly command: readonly string[];
  readonly output: 'text' | 'json' | 'yaml';
}

type Json = Record<string, unknown>;

/** `app=web` → ['app', 'web']; the key may not be empty. */
export function parseLabels(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--label must be key=value (got "${entry}")`);
    labels[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return labels;
}

const core = (kind: string) => ({ group: '', version: 'v1', kind });
const podsResource = { group: '', version: 'v1', resource: 'pods' };

function pod(options: SimulateOptions, labels: Record<string, string>, extra: Json = {}): Json {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: options.pod, namespace: options.namespace, labels },
    spec: { containers: [{ name: options.container, image: options.image }], ...extra },
  };
}

/** The AdmissionReview the API server sends for the operation (as in the webhook's own test fixtures). */
export function admissionReview(operation: SimulatedOperation, options: SimulateOptions): Json {
  const labels = parseLabels(options.label);
  const base = (kind: string, apiOperation: string, subResource?: string) => ({
    uid: randomUUID(),
    kind: core(kind),
    resource: podsResource,
    requestKind: core(kind),
    requestResource: podsResource,
    ...(subResource === undefined ? {} : { subResource, requestSubResource: subResource }),
    name: options.pod,
    namespace: options.namespace,
    operation: apiOperation,
    userInfo: { username: options.user, groups: [...options.group] },
    dryRun: false,
  });
  const review = (request: Json) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
  const io = { stdin: true, stdout: true, tty: true, container: options.container };
  switch (operation) {
    case 'exec':
      return review({
        ...base('PodExecOptions', 'CONNECT', 'exec'),
        object: { kind: 'PodExecOptions', apiVersion: 'v1', ...io, command: [...options.command] },
      });
    case 'attach':
      return review({ ...base('PodAttachOptions', 'CONNECT', 'attach'), object: { kind: 'PodAttachOptions', apiVersion: 'v1', ...io } });
    case 'port-forward':
      return review({
        ...base('PodPortForwardOptions', 'CONNECT', 'portforward'),
        object: { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: [8080] },
      });
    case 'debug':
      return review({
        ...base('Pod', 'UPDATE', 'ephemeralcontainers'),
        object: pod(options, labels, {
          ephemeralContainers: [
            { name: 'debugger', image: 'busybox:1.36', targetContainerName: options.container, stdin: true, tty: true },
          ],
        }),
        oldObject: pod(options, labels),
      });
    case 'create':
      return review({ ...base('Pod', 'CREATE'), object: pod(options, labels), oldObject: null });
  }
}

/** The webhook URL: --webhook-url, else $VIGIL_WEBHOOK_URL, else the `url` of a manifest `clusters register` wrote. */
async function webhookUrl(ctx: Context, options: SimulateOptions): Promise<URL> {
  let text = options.webhookUrl ?? ctx.io.env.VIGIL_WEBHOOK_URL;
  if (text === undefined && options.manifestFile !== undefined) {
    const manifest = await readFile(options.manifestFile, 'utf8').catch((error: unknown) => {
      throw new CliError(`${options.manifestFile}: cannot read it: ${fileProblem(error)}`);
    });
    text = /^\s*url:\s*["']?([^"'\s]+)/m.exec(manifest)?.[1];
    if (text === undefined)
      throw new CliError(`${options.manifestFile}: no webhook url in it (is it a manifest of vigil clusters register?)`);
  }
  if (text === undefined)
    throw new UsageError(
      'simulate needs the webhook URL that `vigil clusters register` printed: --webhook-url, $VIGIL_WEBHOOK_URL or --manifest-file',
    );
  try {
    return new URL(text);
  } catch {
    throw new UsageError(`--webhook-url is not a URL (got "${text.slice(0, 40)}…")`);
  }
}

async function send(ctx: Context, url: URL, review: Json): Promise<Json> {
  let response: Response;
  try {
    // Local mode with --tls: its webhook is served with a certificate of its local CA, trusted like the API's.
    response = await ctx.fetchFor(url)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(`cannot reach the webhook at ${url.origin}: ${cause}`);
  }
  const text = await response.text();
  if (!response.ok) throw new CliError(`the webhook answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { response?: Json };
  return body.response ?? {};
}

/** Sends the review (after a pod CREATE that lets the webhook learn the pod's labels and image) and prints the verdict. */
export async function simulateCommand(ctx: Context, operation: SimulatedOperation, options: SimulateOptions): Promise<number> {
  const url = await webhookUrl(ctx, options);
  // The webhook learns a pod's labels and image from its CREATE, as in a cluster; exec, attach and port-forward
  // requests carry neither. Telling it about the pod first makes scopes on labels and images match.
  if (operation === 'exec' || operation === 'attach' || operation === 'port-forward')
    await send(
      ctx,
      url,
      admissionReview('create', { ...options, user: 'system:serviceaccount:kube-system:replicaset-controller', group: [] }),
    );
  const answer = await send(ctx, url, admissionReview(operation, options));
  if (options.output !== 'text') {
    ctx.print(options.output === 'json' ? toJson(answer) : toYaml(answer));
    return ExitCode.ok;
  }
  const annotations = (answer.auditAnnotations ?? {}) as Record<string, string>;
  const status = (answer.status ?? {}) as { message?: string };
  const what = `${operation} ${options.namespace}/${options.pod}`;
  if (answer.allowed === false) ctx.print(ctx.paint('red', `Block: ${what}: ${status.message ?? 'refused'}`));
  else if (annotations.status === 'Detect')
    ctx.print(
      ctx.paint(
        'yellow',
        `Detect: ${what} is allowed and recorded (policy ${annotations.policy ?? '?'}, audit mode or an audit-only group)`,
      ),
    );
  else ctx.print(ctx.paint('green', `Allow: ${what}: no policy objects`));
  for (const warning of (answer.warnings ?? []) as string[]) ctx.note(`kubectl would print: Warning: ${warning}`);
  return ExitCode.ok;
}
