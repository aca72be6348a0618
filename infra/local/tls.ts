// HTTPS for local mode (`npm start -- --tls`): a local certificate authority, made once per data dir,
// and a server certificate it signs. Clusters trust the CA through the `caBundle` of the manifest, so
// the CA is kept as long as it is valid; the server certificate is renewed freely underneath it.

import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { LocalModeError } from './errors.js';
import { isTlsHostname } from './settings.js';

/** The folder, inside the data dir, that holds the CA and the server certificate. */
export const TLS_DIR = 'tls';
export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const SERVER_CERT_FILE = 'server.crt';
export const SERVER_KEY_FILE = 'server.key';

/** Names every server certificate covers, whatever else is asked for. */
export const ALWAYS_COVERED = ['localhost', '127.0.0.1', '::1'] as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_MS = 3650 * DAY_MS;
const SERVER_VALIDITY_MS = 365 * DAY_MS;
/** A certificate that expires sooner than this is replaced at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Certificates start this much in the past, for a cluster VM whose clock runs a little behind. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface LocalTls {
  /** PEM private key of the server certificate. */
  readonly key: string;
  /** PEM server certificate, signed by the CA. */
  readonly cert: string;
  /** PEM certificate of the local CA: what clients trust. */
  readonly caPem: string;
  /** Base64 of `caPem`, the form a webhook configuration's `caBundle` takes. */
  readonly caBundle: string;
  /** Absolute path of the CA certificate file (for `curl --cacert` and the like). */
  readonly caFile: string;
  /** The CA was made by this call (manifests applied before carry another CA and must be applied again). */
  readonly caCreated: boolean;
  /** The server certificate was made by this call (first start, renewal, or new names). */
  readonly serverCreated: boolean;
}

export interface EnsureLocalTlsOptions {
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * The names the server certificate of local mode must cover: the ones always covered, the listen
 * address unless it is a wildcard (0.0.0.0, ::), the host of the public URL, and the extra names.
 */
export function tlsHostnames(host: string, extra: readonly string[] = [], publicUrl?: string): string[] {
  const names: string[] = [...ALWAYS_COVERED];
  if (!isWildcard(host)) names.push(host);
  if (publicUrl !== undefined) {
    const url = new URL(publicUrl);
    if (url.protocol === 'https:') names.push(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  }
  names.push(...extra);
  return normalizeNames(names);
}

/**
 * Makes, or reuses, the CA and the server certificate under `<dataDir>/tls/`. The server
 * certificate is made again when it is missing or unreadable, expires within 30 days, was not signed
 * by the current CA, or does not cover every name asked for (plus `localhost`, `127.0.0.1`, `::1`);
 * the CA only when it is missing or expires within 30 days. Private keys are written with mode 0600,
 * each file aside first and renamed into place.
 */
export async function ensureLocalTls(
  dataDir: string,
  hostnames: readonly string[],
  options: EnsureLocalTlsOptions = {},
): Promise<LocalTls> {
  const now = (options.clock ?? (() => new Date()))();
  const names = normalizeNames([...ALWAYS_COVERED, ...hostnames]);
  const dir = resolve(dataDir, TLS_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    throw new LocalModeError(`cannot create ${dir}: ${error.message}`, { cause: error });
  });
  const files = {
    caCert: join(dir, CA_CERT_FILE),
    caKey: join(dir, CA_KEY_FILE),
    serverCert: join(dir, SERVER_CERT_FILE),
    serverKey: join(dir, SERVER_KEY_FILE),
  };

  let ca = await loadCa(files.caCert, files.caKey, now);
  const caCreated = ca === undefined;
  if (ca === undefined) {
    ca = await makeCa(now);
    // The key goes first: a CA certificate on disk always has its key next to it.
    await writeAtomically(files.caKey, ca.key, 0o600);
    await writeAtomically(files.caCert, ca.cert, 0o644);
  }

  let server = caCreated ? undefined : await loadServer(files.serverCert, files.serverKey, ca.x509, names, now);
  const serverCreated = server === undefined;
  if (server === undefined) {
    server = await makeServer(ca, names, now);
    await writeAtomically(files.serverKey, server.key, 0o600);
    await writeAtomically(files.serverCert, server.cert, 0o644);
  }

  return {
    key: server.key,
    cert: server.cert,
    caPem: ca.cert,
    caBundle: Buffer.from(ca.cert, 'utf8').toString('base64'),
    caFile: files.caCert,
    caCreated,
    serverCreated,
  };
}

interface KeyAndCert {
  readonly key: string;
  readonly cert: string;
  readonly x509: X509Certificate;
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Lower-cased, trimmed, without a DNS name's final dot, deduplicated; refuses what is neither a DNS name nor an IP. */
function normalizeNames(names: readonly string[]): string[] {
  const result: string[] = [];
  for (const raw of names) {
    let name = raw.trim().toLowerCase();
    if (isIP(name) === 0) name = name.replace(/\.$/, '');
    if (!isTlsHostname(name)) {
      throw new LocalModeError(`cannot put ${JSON.stringify(raw)} into the TLS certificate: it is neither a host name nor an IP address`);
    }
    if (isIP(name) !== 0 && isWildcard(name)) continue;
    if (!result.includes(name)) result.push(name);
  }
  return result;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalModeError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function expiresSoon(cert: X509Certificate, now: Date): boolean {
  const validTo = Date.parse(cert.validTo);
  return !Number.isFinite(validTo) || validTo - now.getTime() < RENEW_BEFORE_MS;
}

/** The stored CA; undefined when there is none yet or it expires soon. A damaged CA is an error, not replaced silently. */
async function loadCa(certFile: string, keyFile: string, now: Date): Promise<KeyAndCert | undefined> {
  const cert = await readOptional(certFile);
  // Without its certificate, a key is a leftover of an interrupted first start.
  if (cert === undefined) return undefined;
  const key = await readOptional(keyFile);
  const damaged = (why: string): LocalModeError =>
    new LocalModeError(
      `the local CA in ${certFile} ${why}: delete ${dirname(certFile)} to generate a new one (manifests applied to clusters must then be fetched and applied again)`,
    );
  if (key === undefined) throw damaged(`has no key (${keyFile} is missing)`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
    if (!x509.ca) throw damaged('is not a CA certificate');
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw damaged(`does not match its key in ${keyFile}`);
  } catch (error) {
    if (error instanceof LocalModeError) throw error;
    throw damaged(`cannot be read (${(error as Error).message})`);
  }
  if (expiresSoon(x509, now)) return undefined;
  return { key, cert, x509 };
}

/** The stored server certificate when it is sound, signed by `ca`, long enough valid and covers `names`. */
async function loadServer(
  certFile: string,
  keyFile: string,
  ca: X509Certificate,
  names: readonly string[],
  now: Date,
): Promise<KeyAndCert | undefined> {
  const [cert, key] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (cert === undefined || key === undefined) return undefined;
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    if (!x509.checkIssued(ca) || !x509.verify(ca.publicKey)) return undefined;
    if (expiresSoon(x509, now)) return undefined;
    if (!names.every((name) => covers(x509, name))) return undefined;
    return { key, cert, x509 };
  } catch {
    // Unreadable files are replaced: the server certificate is ours to remake at any time.
    return undefined;
  }
}

function covers(cert: X509Certificate, name: string): boolean {
  if (isIP(name) !== 0) return cert.checkIP(name) !== undefined;
  return cert.checkHost(name, { subject: 'never', wildcards: false }) !== undefined;
}

async function makeCa(now: Date): Promise<KeyAndCert> {
  // A random suffix tells the CAs of different machines and data dirs apart in trust stores.
  const generated = await generate(
    [
      { name: 'commonName', value: `Vigil local CA ${randomBytes(4).toString('hex')}` },
      { name: 'organizationName', value: 'Vigil local mode' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - BACKDATE_MS),
      notAfterDate: new Date(now.getTime() + CA_VALIDITY_MS),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    },
  );
  return { key: generated.private, cert: generated.cert, x509: new X509Certificate(generated.cert) };
}

async function makeServer(ca: KeyAndCert, names: readonly string[], now: Date): Promise<KeyAndCert> {
  // Never valid past the CA, which would make the chain fail before the renewal check notices.
  const notAfter = Math.min(now.getTime() + SERVER_VALIDITY_MS, Date.parse(ca.x509.validTo));
  const generated = await generate([{ name: 'commonName', value: 'Vigil local mode' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - BACKDATE_MS),
    notAfterDate: new Date(notAfter),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) => (isIP(name) !== 0 ? { type: 7 as const, ip: name } : { type: 2 as const, value: name })),
      },
    ],
  });
  return { key: generated.private, cert: generated.cert, x509: new X509Certificate(generated.cert) };
}

/** Writes aside and renames into place, so a crash never leaves a half-written file behind. */
async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new LocalModeError(`cannot store ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
