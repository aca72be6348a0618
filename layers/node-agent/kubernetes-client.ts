/**
 * A small typed client for the few Kubernetes API calls the bridge makes on Tetragon's two kinds:
 * server-side apply, list by label selector, delete. Credentials come from the pod's service account inside
 * a cluster, or from a kubeconfig outside one. TLS is always verified; answers are read up to a bound.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

/** No answer the bridge needs comes near this; a larger one is refused instead of filling memory. */
export const MAX_KUBERNETES_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Objects asked for per list page. */
const LIST_PAGE_SIZE = 250;
const REQUEST_TIMEOUT_MS = 30_000;

export const IN_CLUSTER_PATHS = {
  token: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  ca: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
} as const;

/** Where and how to reach the API server. */
export interface KubernetesConnection {
  readonly server: URL;
  /** PEM certificates trusted for the server; the system's trust store when absent. */
  readonly ca?: string | undefined;
  readonly clientCert?: string | undefined;
  readonly clientKey?: string | undefined;
  /** A bearer token, asked for on every request (a service account token is rotated on disk). */
  readonly token?: (() => Promise<string>) | undefined;
  /** Where the connection came from, for messages. */
  readonly source: string;
}

export class KubernetesApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/** A configuration that cannot be used: names the file and the field. */
export class KubernetesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesConfigError';
  }
}

/**
 * The pod's service account: the API server from KUBERNETES_SERVICE_HOST/PORT, the cluster CA, and the
 * projected token, read again on every request because the kubelet rotates it.
 */
export async function inClusterConnection(
  env: NodeJS.ProcessEnv = process.env,
  paths: { readonly token: string; readonly ca: string } = IN_CLUSTER_PATHS,
): Promise<KubernetesConnection> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new KubernetesConfigError(
      'not inside a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (use --kubeconfig outside a cluster)',
    );
  const ca = await readFile(paths.ca, 'utf8').catch((error: Error) => {
    throw new KubernetesConfigError(`cannot read the service account CA ${paths.ca}: ${error.message}`);
  });
  await readFile(paths.token, 'utf8').catch((error: Error) => {
    throw new KubernetesConfigError(`cannot read the service account token ${paths.token}: ${error.message}`);
  });
  return {
    server: new URL(`https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`),
    ca,
    token: async () => (await readFile(paths.token, 'utf8')).trim(),
    source: 'the in-cluster service account',
  };
}

interface KubeconfigEntry<T> {
  readonly name?: unknown;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}

const base64 = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/**
 * A kubeconfig's context (the current one unless named): server, CA, and a token, token file, client
 * certificate or exec credential plugin (as `aws eks update-kubeconfig` writes). TLS verification cannot be
 * turned off: `insecure-skip-tls-verify` is refused. Plain `http://` is accepted only for a loopback server
 * (such as `kubectl proxy`).
 */
export async function kubeconfigConnection(file: string, contextName?: string): Promise<KubernetesConnection> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new KubernetesConfigError(`cannot read the kubeconfig ${file}: ${error.message}`);
  });
  let document: Record<string, unknown>;
  try {
    document = (YAML.parse(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new KubernetesConfigError(`the kubeconfig ${file} is not YAML: ${(error as Error).message}`);
  }
  const fail = (field: string, message: string) => new KubernetesConfigError(`kubeconfig ${file}: ${field}: ${message}`);
  const pick = <T>(list: unknown, name: unknown, field: string): T => {
    const found = Array.isArray(list) ? (list as KubeconfigEntry<T>[]).find((entry) => entry?.name === name) : undefined;
    const value = found?.cluster ?? found?.user ?? found?.context;
    if (value === undefined) throw fail(field, `no entry named ${JSON.stringify(name)}`);
    return value;
  };
  const wanted = contextName ?? document['current-context'];
  if (typeof wanted !== 'string' || wanted === '') throw fail('current-context', 'not set; name a context with --context');
  const context = pick<Record<string, unknown>>(document.contexts, wanted, 'contexts');
  const cluster = pick<Record<string, unknown>>(document.clusters, context.cluster, 'clusters');
  const user = context.user === undefined ? {} : pick<Record<string, unknown>>(document.users, context.user, 'users');
  const relative = (path: unknown) => resolve(dirname(file), String(path));

  if (cluster['insecure-skip-tls-verify'] === true)
    throw fail('insecure-skip-tls-verify', 'TLS verification cannot be turned off; give the cluster CA instead');
  if (typeof cluster.server !== 'string') throw fail('clusters[].cluster.server', 'missing');
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw fail('clusters[].cluster.server', `not a URL: ${JSON.stringify(cluster.server)}`);
  }
  if (server.protocol === 'http:' && !isLoopback(server.hostname))
    throw fail('clusters[].cluster.server', 'plain http is accepted only for a loopback address; use https');
  if (server.protocol !== 'http:' && server.protocol !== 'https:') throw fail('clusters[].cluster.server', 'must be https');

  const ca =
    typeof cluster['certificate-authority-data'] === 'string'
      ? base64(cluster['certificate-authority-data'])
      : typeof cluster['certificate-authority'] === 'string'
        ? await readFile(relative(cluster['certificate-authority']), 'utf8')
        : undefined;
  const clientCert =
    typeof user['client-certificate-data'] === 'string'
      ? base64(user['client-certificate-data'])
      : typeof user['client-certificate'] === 'string'
        ? await readFile(relative(user['client-certificate']), 'utf8')
        : undefined;
  const clientKey =
    typeof user['client-key-data'] === 'string'
      ? base64(user['client-key-data'])
      : typeof user['client-key'] === 'string'
        ? await readFile(relative(user['client-key']), 'utf8')
        : undefined;
  let token: (() => Promise<string>) | undefined;
  if (typeof user.token === 'string') {
    const fixed = user.token;
    token = () => Promise.resolve(fixed);
  } else if (typeof user.tokenFile === 'string') {
    const path = relative(user.tokenFile);
    token = async () => (await readFile(path, 'utf8')).trim();
  } else if (user.exec !== undefined) {
    token = execCredential(user.exec as Record<string, unknown>, fail);
  }
  return { server, ca, clientCert, clientKey, token, source: `kubeconfig ${file}, context ${wanted}` };
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A kubeconfig `exec` credential plugin (client.authentication.k8s.io): the command is run without a shell and
 * its ExecCredential's token is kept until shortly before it expires.
 */
function execCredential(exec: Record<string, unknown>, fail: (field: string, message: string) => Error): () => Promise<string> {
  if (typeof exec.command !== 'string') throw fail('users[].user.exec.command', 'missing');
  const command = exec.command;
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env: Record<string, string> = {};
  if (Array.isArray(exec.env))
    for (const entry of exec.env as Array<{ name?: unknown; value?: unknown }>)
      if (typeof entry?.name === 'string') env[entry.name] = typeof entry.value === 'string' ? entry.value : '';
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.token;
    const { stdout } = await promisify(execFile)(command, args, {
      env: { ...process.env, ...env },
      timeout: REQUEST_TIMEOUT_MS,
      maxBuffer: 1024 * 1024,
    });
    const status = (JSON.parse(stdout) as { status?: { token?: unknown; expirationTimestamp?: unknown } }).status;
    if (typeof status?.token !== 'string') throw fail('users[].user.exec', `${command} printed no status.token`);
    const expires = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : NaN;
    // A minute of margin; without an expiry the plugin is asked again after five minutes.
    cached = { token: status.token, until: Number.isNaN(expires) ? Date.now() + 300_000 : expires - 60_000 };
    return status.token;
  };
}

/** Where one Tetragon object lives in the API. */
export interface TetragonResource {
  readonly kind: 'TracingPolicy' | 'TracingPolicyNamespaced';
  readonly name: string;
  readonly namespace?: string | undefined;
}

export const TETRAGON_GROUP_VERSION = 'cilium.io/v1alpha1';
const PLURALS = { TracingPolicy: 'tracingpolicies', TracingPolicyNamespaced: 'tracingpoliciesnamespaced' } as const;

/** The path of an object (or, without a name, of its collection) of Tetragon's kinds. */
export function tetragonPath(kind: TetragonResource['kind'], namespace?: string, name?: string): string {
  const namespaced = kind === 'TracingPolicyNamespaced' && namespace !== undefined;
  return (
    `/apis/${TETRAGON_GROUP_VERSION}` +
    (namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : '') +
    `/${PLURALS[kind]}` +
    (name === undefined ? '' : `/${encodeURIComponent(name)}`)
  );
}

export const FIELD_MANAGER = 'vigil';

export interface KubernetesClientOptions {
  readonly maxResponseBytes?: number;
}

export class KubernetesClient {
  private readonly maxResponseBytes: number;

  constructor(
    private readonly connection: KubernetesConnection,
    options: KubernetesClientOptions = {},
  ) {
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_KUBERNETES_RESPONSE_BYTES;
  }

  /**
   * Server-side apply: creates the object or makes Vigil's field manager own exactly the fields it sends.
   * `force` takes over fields someone else changed: the control plane is the source of truth for these objects.
   */
  async apply(object: {
    readonly kind: TetragonResource['kind'];
    readonly metadata: { readonly name: string; readonly namespace?: string | undefined };
  }): Promise<void> {
    const path = tetragonPath(object.kind, object.metadata.namespace, object.metadata.name);
    await this.request(
      'PATCH',
      path,
      { fieldManager: FIELD_MANAGER, force: 'true' },
      JSON.stringify(object),
      'application/apply-patch+yaml',
    );
  }

  /** Every object of a kind carrying the label selector, in every namespace, page by page. */
  async list(kind: TetragonResource['kind'], labelSelector: string): Promise<TetragonResource[]> {
    const found: TetragonResource[] = [];
    let next: string | undefined;
    do {
      const query: Record<string, string> = { labelSelector, limit: String(LIST_PAGE_SIZE) };
      if (next) query.continue = next;
      const page = (await this.request('GET', tetragonPath(kind), query)) as {
        items?: Array<{ metadata?: { name?: unknown; namespace?: unknown } }>;
        metadata?: { continue?: unknown };
      };
      if (!Array.isArray(page?.items)) throw new KubernetesApiError(`GET ${tetragonPath(kind)}: the answer has no items`, 200);
      for (const item of page.items) {
        if (typeof item?.metadata?.name !== 'string') continue;
        found.push({
          kind,
          name: item.metadata.name,
          ...(typeof item.metadata.namespace === 'string' ? { namespace: item.metadata.namespace } : {}),
        });
      }
      next = typeof page.metadata?.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (next);
    return found;
  }

  /** Deletes an object; one already gone counts as deleted. */
  async delete(resource: TetragonResource): Promise<void> {
    try {
      await this.request('DELETE', tetragonPath(resource.kind, resource.namespace, resource.name));
    } catch (error) {
      if (!(error instanceof KubernetesApiError) || error.status !== 404) throw error;
    }
  }

  private async request(
    method: string,
    path: string,
    query: Record<string, string> = {},
    body?: string,
    contentType?: string,
  ): Promise<unknown> {
    const { server, ca, clientCert, clientKey, token } = this.connection;
    const url = new URL(server.href.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${await token()}`;
    if (body !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const response = await new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
          ...(url.protocol === 'https:' ? { ca, cert: clientCert, key: clientKey, rejectUnauthorized: true } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              res.destroy();
              reject(new KubernetesApiError(`${method} ${path}: the answer exceeds ${this.maxResponseBytes} bytes`, res.statusCode));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (error) => reject(new KubernetesApiError(`${method} ${path}: ${error.message}`, undefined)));
      req.end(body);
    });
    if (response.status >= 400) {
      let message = response.text.slice(0, 300);
      try {
        const status = JSON.parse(response.text) as { message?: unknown };
        if (typeof status.message === 'string') message = status.message;
      } catch {
        // Not a Status object: the raw start of the answer says enough.
      }
      throw new KubernetesApiError(`${method} ${path} answered ${response.status}: ${message}`, response.status);
    }
    if (response.text === '') return undefined;
    try {
      return JSON.parse(response.text) as unknown;
    } catch {
      throw new KubernetesApiError(`${method} ${path}: the answer is not JSON`, response.status);
    }
  }
}
