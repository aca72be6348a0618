// Trusting one more certificate authority: local mode's (`npm start -- --tls` keeps it in <data dir>/tls/ca.crt)
// or a company's. Node's fetch takes no CA option, and NODE_EXTRA_CA_CERTS is read only when Node starts, so the
// requests of such a target go through node:https with the system's roots plus that CA.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { CliError } from './errors.js';
import { fileProblem } from './files.js';
import { isLocalHost, type Target } from './target.js';

/** Local mode's data dir when VIGIL_DATA_DIR is not set (relative to where `npm start` runs: the checkout). */
const LOCAL_MODE_DATA_DIR = '.vigil';
const LOCAL_MODE_CA = join('tls', 'ca.crt');
/** A CA file is a few kilobytes; a bundle of a few hundred certificates stays well under this. */
const MAX_CA_BYTES = 1024 * 1024;

export interface TrustedCa {
  readonly file: string;
  readonly pem: string;
  /** Found by itself (local mode's CA for a local https endpoint), not named by --ca or VIGIL_CA. */
  readonly automatic: boolean;
}

function readCa(file: string, automatic: boolean): TrustedCa {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--ca ${file}: cannot read it: ${fileProblem(error)}`);
  }
  if (pem.length > MAX_CA_BYTES) throw new CliError(`--ca ${file}: larger than 1 MiB; expected PEM certificates`);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca ${file}: not a PEM certificate (no BEGIN CERTIFICATE line)`);
  return { file, pem, automatic };
}

/**
 * The CA to trust for a target: `--ca`, else `VIGIL_CA`, else, for an https endpoint on this machine, local
 * mode's CA in `$VIGIL_DATA_DIR/tls/ca.crt` (default `.vigil/tls/ca.crt` under the working directory) when it
 * exists. Nothing otherwise: the system's roots decide, as for any https request.
 */
export function trustedCa(
  target: Target,
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): TrustedCa | undefined {
  const named = flag?.trim() || env.VIGIL_CA?.trim();
  if (named) return readCa(resolve(cwd, named), false);
  if (target.endpoint.protocol !== 'https:' || !isLocalHost(target.endpoint.hostname)) return undefined;
  const localCa = resolve(cwd, env.VIGIL_DATA_DIR?.trim() || LOCAL_MODE_DATA_DIR, LOCAL_MODE_CA);
  return existsSync(localCa) ? readCa(localCa, true) : undefined;
}

const bodiless = new Set([204, 205, 304]);

/** A fetch for the CLI's requests (string bodies, JSON or text answers) that trusts `caPem` besides the system's roots. */
export function fetchTrusting(caPem: string): typeof fetch {
  const ca = [...rootCertificates, caPem];
  return (input, init = {}) =>
    new Promise<Response>((resolvePromise, reject) => {
      const url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = request(url, { method: init.method ?? 'GET', headers, ca, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) answerHeaders.append(name, one);
          }
          const status = res.statusCode ?? 0;
          resolvePromise(new Response(bodiless.has(status) ? null : Buffer.concat(chunks), { status, headers: answerHeaders }));
        });
      });
      // Errors keep fetch's shape (a TypeError whose cause is the reason), which the client reports as unreachable.
      req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      if (typeof init.body === 'string') req.write(init.body);
      req.end();
    });
}
