import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ensureLocalTls } from '../../infra/local/tls.js';

// Test double of the Kubernetes API server (unreachable here: no cluster), for the two Tetragon kinds only.
// HTTPS with a certificate of a CA of its own, so that clients must verify TLS against that CA; a bearer
// token it checks; server-side apply (PATCH application/apply-patch+yaml), list by label selector with
// pages, and delete. Every request is recorded with its exact shape for the tests to assert.

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: any;
}

export interface StoredObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly [key: string]: unknown;
}

const PLURALS: Record<string, string> = { tracingpolicies: 'TracingPolicy', tracingpoliciesnamespaced: 'TracingPolicyNamespaced' };
const PREFIX = '/apis/cilium.io/v1alpha1';

export class KubernetesApiDouble {
  readonly requests: RecordedRequest[] = [];
  /** Objects by `<plural>/<namespace or "">/<name>`. */
  readonly objects = new Map<string, StoredObject>();
  /** Namespaces that do not exist: an apply into one is answered 404, as the API server does. */
  readonly missingNamespaces = new Set<string>();
  readonly token = 'k8s-double-token';
  /** List pages of this many items, to exercise `continue`. */
  pageSize = 2;
  private server: Server | undefined;
  private dir: string | undefined;
  private caPem = '';

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'vigil-k8s-double-'));
    const tls = await ensureLocalTls(this.dir, ['127.0.0.1']);
    this.caPem = tls.caPem;
    this.server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get ca(): string {
    return this.caPem;
  }

  /** Writes a kubeconfig naming this server, its CA (as data) and its token; answers its path. */
  async writeKubeconfig(): Promise<string> {
    const path = join(this.dir!, 'kubeconfig');
    await writeFile(
      path,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'double',
        clusters: [
          { name: 'double', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') } },
        ],
        users: [{ name: 'bridge', user: { token: this.token } }],
        contexts: [{ name: 'double', context: { cluster: 'double', user: 'bridge' } }],
      }),
    );
    return path;
  }

  /** Puts an object in place as if someone had created it. */
  seed(object: StoredObject): void {
    const plural = object.kind === 'TracingPolicy' ? 'tracingpolicies' : 'tracingpoliciesnamespaced';
    this.objects.set(`${plural}/${object.metadata.namespace ?? ''}/${object.metadata.name}`, structuredClone(object));
  }

  /** The stored objects' `<kind> <namespace/>name`, sorted. */
  names(): string[] {
    return [...this.objects.values()]
      .map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)
      .sort();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'https://double');
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.requests.push(recorded);
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) =>
      answer(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
    if (recorded.authorization !== `Bearer ${this.token}`) return status(401, 'Unauthorized', 'Unauthorized');

    const match =
      /^\/apis\/cilium\.io\/v1alpha1(?:\/namespaces\/([^/]+))?\/(tracingpolicies|tracingpoliciesnamespaced)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    if (!match) return status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    const [, namespace, plural, name] = match as unknown as [string, string | undefined, string, string | undefined];
    const key = `${plural}/${namespace ?? ''}/${name}`;
    if (request.method === 'PATCH' && name !== undefined) {
      if (recorded.contentType !== 'application/apply-patch+yaml') return status(415, 'UnsupportedMediaType', 'not an apply patch');
      if (namespace !== undefined && this.missingNamespaces.has(namespace))
        return status(404, 'NotFound', `namespaces "${namespace}" not found`);
      const existed = this.objects.has(key);
      this.objects.set(key, recorded.body as StoredObject);
      return answer(existed ? 200 : 201, recorded.body);
    }
    if (request.method === 'DELETE' && name !== undefined) {
      if (!this.objects.delete(key)) return status(404, 'NotFound', `${plural} "${name}" not found`);
      return answer(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    if (request.method === 'GET' && name === undefined) {
      const [labelKey, labelValue] = (recorded.query.labelSelector ?? '').split('=');
      const items = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(`${plural}/${namespace ?? ''}`))
        .map(([, o]) => o)
        .filter((o) => labelKey === '' || o.metadata.labels?.[labelKey!] === labelValue)
        .filter((o) => PLURALS[plural] === o.kind);
      const from = Number(recorded.query.continue ?? 0);
      const limit = Math.min(Number(recorded.query.limit ?? Infinity), this.pageSize);
      const page = items.slice(from, from + limit);
      const next = from + limit < items.length ? String(from + limit) : undefined;
      return answer(200, {
        apiVersion: 'cilium.io/v1alpha1',
        kind: `${PLURALS[plural]}List`,
        metadata: next ? { continue: next } : {},
        items: page,
      });
    }
    return status(405, 'MethodNotAllowed', `${request.method} is not served by the double`);
  }
}

export { PREFIX as TETRAGON_API_PREFIX };
