import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats DynamoDB traffic: `pass` forwards both ways; `stall` accepts connections and
 * requests but never forwards or answers them (a DynamoDB that hangs); `lose-answers` forwards requests,
 * so that writes are applied, and drops every answer (a network that fails after the write).
 */
export type FaultMode = 'pass' | 'stall' | 'lose-answers';

/** A TCP proxy in front of DynamoDB Local whose behaviour a test switches between requests. */
export interface FaultyDynamoDb {
  readonly endpoint: string;
  mode: FaultMode;
  /** Connections opened since the proxy started: a stalled call is visible as one that never got an answer. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Starts the proxy on a free port of 127.0.0.1. A connection keeps the mode it was opened in, as a real
 * stall or a broken path would: the SDK only gets through again on a new connection.
 */
export async function startFaultyDynamoDb(upstream: string): Promise<FaultyDynamoDb> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let connections = 0;
  const proxy: { mode: FaultMode } = { mode: 'pass' };
  const server: Server = createServer((client) => {
    connections++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const mode = proxy.mode;
    if (mode === 'stall') {
      // Read and hold everything: the client sees an open connection that never answers.
      client.on('data', () => undefined);
      return;
    }
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
