import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats DynamoDB traffic: `pass` forwards both ways; `stall` accepts connections and
 * requests but never forwards or answers them (a DynamoDB that hangs); `lose-answers` forwards requests,
 * so that writes are applied, and drops every answer (a network that fails after the write).
 */
export type FaultMode = 'pass' | 'stall' | 'lose-answers';

/** One HTTP request the SDK sent through the proxy, as the proxy saw it arrive. */
export interface ProxiedRequest {
  /** The operation, from `x-amz-target` (e.g. `DynamoDB_20120810.PutItem`). */
  readonly target: string;
  /** The SDK's id of the call (`amz-sdk-invocation-id`), the same on every attempt of one call. */
  readonly invocationId: string;
  /** Which attempt of the call this is (from `amz-sdk-request: attempt=N; max=M`). */
  readonly attempt: number;
  /** The proxy's mode when the request's connection opened. */
  readonly mode: FaultMode;
  /**
   * Whether the request's connection is still open. In `stall` mode a connection carries one request that is
   * never answered, so an open one is a request the SDK is still waiting for.
   */
  readonly open: boolean;
}

/** A TCP proxy in front of DynamoDB Local whose behaviour a test switches between requests. */
export interface FaultyDynamoDb {
  readonly endpoint: string;
  mode: FaultMode;
  /** Connections opened since the proxy started: a stalled call is visible as one that never got an answer. */
  readonly connections: number;
  /** Every request the SDK sent since the proxy started, in the order they arrived. */
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Reads the HTTP/1.1 requests of one connection as its bytes arrive, and reports each request's head. The
 * SDK sends every DynamoDB request with a `content-length`, which is how one request's body ends.
 */
function requestReader(onHead: (headers: ReadonlyMap<string, string>) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let bodyLeft = 0;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (bodyLeft > 0) {
        const skipped = Math.min(bodyLeft, pending.length);
        bodyLeft -= skipped;
        pending = pending.subarray(skipped);
        if (bodyLeft > 0) return;
      }
      const end = pending.indexOf(HEAD_END);
      if (end < 0) return;
      const headers = new Map<string, string>();
      for (const line of pending.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      pending = pending.subarray(end + HEAD_END.length);
      bodyLeft = Number(headers.get('content-length') ?? 0);
      onHead(headers);
    }
  };
}

/**
 * Starts the proxy on a free port of 127.0.0.1. A connection keeps the mode it was opened in, as a real
 * stall or a broken path would: the SDK only gets through again on a new connection.
 */
export async function startFaultyDynamoDb(upstream: string): Promise<FaultyDynamoDb> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const requests: ProxiedRequest[] = [];
  let connections = 0;
  const proxy: { mode: FaultMode } = { mode: 'pass' };
  const server: Server = createServer((client) => {
    connections++;
    sockets.add(client);
    const mode = proxy.mode;
    const connection = { open: true };
    client.on('close', () => {
      connection.open = false;
      sockets.delete(client);
    });
    client.on('error', () => undefined);
    client.on(
      'data',
      requestReader((headers) =>
        requests.push({
          target: headers.get('x-amz-target') ?? '',
          invocationId: headers.get('amz-sdk-invocation-id') ?? '',
          attempt: Number(/attempt=(\d+)/.exec(headers.get('amz-sdk-request') ?? '')?.[1] ?? 0),
          mode,
          get open() {
            return connection.open;
          },
        }),
      ),
    );
    // In stall mode the reader above holds everything: the client sees an open connection that never answers.
    if (mode === 'stall') return;
    const server = connect(Number(target.port), target.hostname);
    sockets.add(server);
    server.on('close', () => {
      sockets.delete(server);
      client.destroy();
    });
    server.on('error', () => client.destroy());
    client.on('close', () => server.destroy());
    client.pipe(server);
    if (mode === 'pass') server.pipe(client);
    else server.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    get mode() {
      return proxy.mode;
    },
    set mode(next: FaultMode) {
      proxy.mode = next;
      // Pooled keep-alive connections would carry the old behaviour into the new mode.
      for (const socket of sockets) socket.destroy();
    },
    get connections() {
      return connections;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
