import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalModeError } from '../../../infra/local/errors.js';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
  TLS_DIR,
  ensureLocalTls,
  tlsHostnames,
} from '../../../infra/local/tls.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('ensureLocalTls', () => {
  let dataDir: string;
  let tlsDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-tls-'));
    tlsDir = join(dataDir, TLS_DIR);
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes a CA and a server certificate it signed, for the names asked plus the local ones', async () => {
    const tls = await ensureLocalTls(dataDir, ['vigil.test', '192.0.2.7']);
    const ca = new X509Certificate(tls.caPem);
    const server = new X509Certificate(tls.cert);

    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkPrivateKey(createPrivateKey(tls.key))).toBe(true);
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);

    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('vigil.test')).toBe('vigil.test');
    expect(server.checkHost('other.test')).toBeUndefined();
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkIP('192.0.2.7')).toBe('192.0.2.7');

    const validTo = Date.parse(server.validTo);
    expect(validTo).toBeGreaterThan(Date.now() + 360 * DAY_MS);
    expect(validTo).toBeLessThan(Date.now() + 367 * DAY_MS);
    expect(Date.parse(ca.validTo)).toBeGreaterThan(Date.now() + 9 * 365 * DAY_MS);

    expect(tls.caBundle).toBe(Buffer.from(tls.caPem).toString('base64'));
    expect(tls.caFile).toBe(join(tlsDir, CA_CERT_FILE));
    expect(tls.caCreated).toBe(true);
    expect(tls.serverCreated).toBe(true);
  });

  it('stores the files, private keys with mode 0600, and leaves no temporary files', async () => {
    const tls = await ensureLocalTls(dataDir, []);
    expect((await readdir(tlsDir)).sort()).toEqual([CA_CERT_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE].sort());
    expect((await stat(join(tlsDir, CA_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(join(tlsDir, SERVER_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(tlsDir)).mode & 0o077).toBe(0);
    expect(await readFile(join(tlsDir, CA_CERT_FILE), 'utf8')).toBe(tls.caPem);
    expect(await readFile(join(tlsDir, SERVER_CERT_FILE), 'utf8')).toBe(tls.cert);
    expect(await readFile(join(tlsDir, SERVER_KEY_FILE), 'utf8')).toBe(tls.key);
    expect(new X509Certificate(tls.caPem).checkPrivateKey(createPrivateKey(await readFile(join(tlsDir, CA_KEY_FILE), 'utf8')))).toBe(true);
  });

  it('reuses both certificates on the next start', async () => {
    const first = await ensureLocalTls(dataDir, ['vigil.test']);
    const second = await ensureLocalTls(dataDir, ['VIGIL.test.']);
    expect(new X509Certificate(second.cert).fingerprint256).toBe(new X509Certificate(first.cert).fingerprint256);
    expect(new X509Certificate(second.caPem).fingerprint256).toBe(new X509Certificate(first.caPem).fingerprint256);
    expect(second.key).toBe(first.key);
    expect(second.caCreated).toBe(false);
    expect(second.serverCreated).toBe(false);
  });

  it('makes a new server certificate under the same CA for a name it does not cover', async () => {
    const first = await ensureLocalTls(dataDir, []);
    const second = await ensureLocalTls(dataDir, ['host.docker.internal']);
    const server = new X509Certificate(second.cert);
    expect(server.fingerprint256).not.toBe(new X509Certificate(first.cert).fingerprint256);
    expect(second.key).not.toBe(first.key);
    expect(server.checkHost('host.docker.internal')).toBe('host.docker.internal');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(second.caPem).toBe(first.caPem);
    expect(server.verify(new X509Certificate(first.caPem).publicKey)).toBe(true);
    expect(second.caCreated).toBe(false);
    expect(second.serverCreated).toBe(true);
    expect(await readFile(join(tlsDir, SERVER_CERT_FILE), 'utf8')).toBe(second.cert);
  });

  it('renews the server certificate within 30 days of its expiry, keeping the CA', async () => {
    const start = Date.now();
    const first = await ensureLocalTls(dataDir, []);
    const stillGood = await ensureLocalTls(dataDir, [], { clock: () => new Date(start + 300 * DAY_MS) });
    expect(stillGood.cert).toBe(first.cert);
    const renewed = await ensureLocalTls(dataDir, [], { clock: () => new Date(start + 340 * DAY_MS) });
    expect(renewed.cert).not.toBe(first.cert);
    expect(renewed.caPem).toBe(first.caPem);
    expect(Date.parse(new X509Certificate(renewed.cert).validTo)).toBeGreaterThan(start + 700 * DAY_MS);
  });

  it('makes a new CA (and server certificate) within 30 days of the CA expiring', async () => {
    const start = Date.now();
    const first = await ensureLocalTls(dataDir, []);
    const later = await ensureLocalTls(dataDir, [], { clock: () => new Date(start + 3640 * DAY_MS) });
    expect(later.caPem).not.toBe(first.caPem);
    expect(later.caCreated).toBe(true);
    expect(new X509Certificate(later.cert).verify(new X509Certificate(later.caPem).publicKey)).toBe(true);
  });

  it('replaces a damaged server certificate', async () => {
    const first = await ensureLocalTls(dataDir, []);
    await writeFile(join(tlsDir, SERVER_CERT_FILE), 'not a certificate');
    const second = await ensureLocalTls(dataDir, []);
    expect(second.serverCreated).toBe(true);
    expect(second.caPem).toBe(first.caPem);
    expect(
      new X509Certificate(await readFile(join(tlsDir, SERVER_CERT_FILE), 'utf8')).verify(new X509Certificate(first.caPem).publicKey),
    ).toBe(true);
  });

  it('refuses to replace a CA whose key is missing or does not match, naming the folder to delete', async () => {
    await ensureLocalTls(dataDir, []);
    await writeFile(join(tlsDir, CA_KEY_FILE), await readFile(join(tlsDir, SERVER_KEY_FILE), 'utf8'));
    await expect(ensureLocalTls(dataDir, [])).rejects.toThrow(LocalModeError);
    await expect(ensureLocalTls(dataDir, [])).rejects.toThrow(`delete ${tlsDir}`);
    await rm(join(tlsDir, CA_KEY_FILE));
    await expect(ensureLocalTls(dataDir, [])).rejects.toThrow(/has no key/);
  });

  it('makes a new CA when only a key was left behind', async () => {
    await ensureLocalTls(dataDir, []);
    await rm(join(tlsDir, CA_CERT_FILE));
    const tls = await ensureLocalTls(dataDir, []);
    expect(tls.caCreated).toBe(true);
    expect(new X509Certificate(tls.caPem).checkPrivateKey(createPrivateKey(await readFile(join(tlsDir, CA_KEY_FILE), 'utf8')))).toBe(true);
  });

  it.each(['bad name', 'https://vigil.test', '*.vigil.test', '[::1]'])('refuses %j as a certificate name', async (name) => {
    await expect(ensureLocalTls(dataDir, [name])).rejects.toThrow(LocalModeError);
  });
});

describe('tlsHostnames', () => {
  it('always has the local names, adds HOST unless it is a wildcard address', () => {
    expect(tlsHostnames('127.0.0.1')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(tlsHostnames('0.0.0.0')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(tlsHostnames('::')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(tlsHostnames('192.168.1.20')).toEqual(['localhost', '127.0.0.1', '::1', '192.168.1.20']);
    expect(tlsHostnames('My-Laptop.local')).toEqual(['localhost', '127.0.0.1', '::1', 'my-laptop.local']);
  });

  it('adds the extra names and the host of an https public URL', () => {
    expect(tlsHostnames('0.0.0.0', ['host.docker.internal', '10.0.0.5'], 'https://vigil.example:8787')).toEqual([
      'localhost',
      '127.0.0.1',
      '::1',
      'vigil.example',
      'host.docker.internal',
      '10.0.0.5',
    ]);
    expect(tlsHostnames('0.0.0.0', [], 'https://[fd00::5]:8787')).toEqual(['localhost', '127.0.0.1', '::1', 'fd00::5']);
    expect(tlsHostnames('0.0.0.0', [], 'http://plain.example')).toEqual(['localhost', '127.0.0.1', '::1']);
  });
});
