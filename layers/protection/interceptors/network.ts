import net from 'node:net';
import type { GuardVerdict } from './childProcess.js';

/** What the network interceptor asks for every outbound TCP connection. */
export interface ConnectionGuard {
  checkConnection(host: string, port: number): GuardVerdict;
}

const PATCHED = Symbol.for('vigil.protection.network');

function target(args: unknown[]): { host: string; port: number } | undefined {
  // net.connect and http agents pass one normalised array; user code may call socket.connect directly.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof options.path === 'string' && options.port === undefined) return undefined; // IPC
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: Number(options.port) };
  }
  if (typeof first === 'number' || (typeof first === 'string' && first.trim() !== '' && !Number.isNaN(Number(first)))) {
    const host = Array.isArray(args[0]) ? undefined : args[1];
    return { host: typeof host === 'string' ? host : 'localhost', port: Number(first) };
  }
  return undefined; // a path: IPC, not egress
}

/**
 * Patches net.Socket.prototype.connect, which net.connect, tls.connect and http(s).request all end in.
 * The host is checked as the caller named it (before DNS): an allow-list of names does not depend on
 * what the names resolve to.
 */
export function interceptNetwork(guard: ConnectionGuard): void {
  const proto = net.Socket.prototype as net.Socket & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: re-applied below with each socket as `this`
  const original = proto.connect as (...args: unknown[]) => net.Socket;
  proto.connect = function (this: net.Socket, ...args: unknown[]) {
    const peer = target(args);
    if (peer) {
      const verdict = guard.checkConnection(peer.host, peer.port);
      if (!verdict.allowed) {
        const error: NodeJS.ErrnoException = new Error(`connect EACCES ${peer.host}:${peer.port}: ${verdict.message}`);
        error.code = 'EACCES';
        error.errno = -13;
        error.syscall = 'connect';
        // As for a failed connect: the error arrives asynchronously, after the caller attached its listeners.
        process.nextTick(() => this.destroy(error));
        return this;
      }
    }
    return original.apply(this, args);
  };
}
