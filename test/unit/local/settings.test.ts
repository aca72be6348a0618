import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_FILE, resolveAdminToken } from '../../../infra/local/admin-token.js';
import { javaMajorVersion } from '../../../infra/local/dynamodb-local.js';
import { LocalModeError } from '../../../infra/local/errors.js';
import { SettingsError, settingsFromEnv } from '../../../infra/local/settings.js';

describe('settingsFromEnv', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(settingsFromEnv({})).toEqual({ port: 8787, host: '127.0.0.1', dataDir: '.vigil' });
  });

  it('treats empty variables as unset', () => {
    expect(settingsFromEnv({ PORT: '', HOST: '', VIGIL_DATA_DIR: '', VIGIL_ADMIN_TOKEN: '', VIGIL_DYNAMODB_ENDPOINT: '' })).toEqual({
      port: 8787,
      host: '127.0.0.1',
      dataDir: '.vigil',
    });
  });

  it('reads every setting', () => {
    const env = {
      PORT: '9000',
      HOST: '0.0.0.0',
      VIGIL_DATA_DIR: '/var/lib/vigil',
      VIGIL_ADMIN_TOKEN: 'a-long-enough-admin-token',
      VIGIL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    };
    expect(settingsFromEnv(env)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/var/lib/vigil',
      adminToken: 'a-long-enough-admin-token',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
    });
  });

  it('accepts port 0 (a free port)', () => {
    expect(settingsFromEnv({ PORT: '0' }).port).toBe(0);
  });

  it.each(['abc', '-1', '65536', '80.5', '8787x'])('refuses PORT=%s', (port) => {
    expect(() => settingsFromEnv({ PORT: port })).toThrow(SettingsError);
    expect(() => settingsFromEnv({ PORT: port })).toThrow(/PORT: must be/);
  });

  it('refuses a short admin token without echoing it', () => {
    const attempt = (): unknown => settingsFromEnv({ VIGIL_ADMIN_TOKEN: 'tooshort' });
    expect(attempt).toThrow(/VIGIL_ADMIN_TOKEN: must be at least 16 characters/);
    expect(attempt).not.toThrow(/tooshort/);
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => settingsFromEnv({ VIGIL_DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(/VIGIL_DYNAMODB_ENDPOINT/);
  });

  it('reads VIGIL_PUBLIC_URL as a base URL without a trailing slash', () => {
    expect(settingsFromEnv({ VIGIL_PUBLIC_URL: 'https://host.docker.internal:8787/' }).publicUrl).toBe('https://host.docker.internal:8787');
    expect(settingsFromEnv({ VIGIL_PUBLIC_URL: 'https://vigil.example/prefix/' }).publicUrl).toBe('https://vigil.example/prefix');
  });

  it.each([
    'host.docker.internal:8787',
    'ftp://vigil.example',
    'https://vigil.example/?a=1',
    'https://vigil.example/#x',
    'https://user:pw@vigil.example',
  ])('refuses VIGIL_PUBLIC_URL=%s', (url) => {
    expect(() => settingsFromEnv({ VIGIL_PUBLIC_URL: url })).toThrow(/VIGIL_PUBLIC_URL: must be/);
  });

  it('reads VIGIL_TLS_HOSTNAMES as a comma-separated list, ignoring blanks', () => {
    expect(settingsFromEnv({ VIGIL_TLS_HOSTNAMES: ' host.docker.internal, 192.168.1.20,,fd00::1 ' }).tlsHostnames).toEqual([
      'host.docker.internal',
      '192.168.1.20',
      'fd00::1',
    ]);
    expect(settingsFromEnv({ VIGIL_TLS_HOSTNAMES: ' , ' })).not.toHaveProperty('tlsHostnames');
  });

  it.each(['two words', 'https://vigil.example', '*.vigil.example', 'a..b'])('refuses %j in VIGIL_TLS_HOSTNAMES', (name) => {
    expect(() => settingsFromEnv({ VIGIL_TLS_HOSTNAMES: `localhost,${name}` })).toThrow(
      /VIGIL_TLS_HOSTNAMES: must be host names or IP addresses/,
    );
  });

  it('lists every bad setting at once', () => {
    try {
      settingsFromEnv({ PORT: 'x', VIGIL_DYNAMODB_ENDPOINT: 'nope' });
      expect.unreachable();
    } catch (error) {
      expect((error as SettingsError).problems).toHaveLength(2);
    }
  });
});

describe('resolveAdminToken', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-token-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates a prefixed 32-byte token, stores it with mode 0600 and nothing else', async () => {
    const token = await resolveAdminToken(dataDir, undefined);
    expect(token.source).toBe('generated');
    expect(token.value).toMatch(/^vigil_admin_[A-Za-z0-9_-]{43}$/);
    const file = join(dataDir, ADMIN_TOKEN_FILE);
    expect((await readFile(file, 'utf8')).trim()).toBe(token.value);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([ADMIN_TOKEN_FILE]);
  });

  it('reuses the stored token on the next start', async () => {
    const first = await resolveAdminToken(dataDir, undefined);
    const second = await resolveAdminToken(dataDir, undefined);
    expect(second).toEqual({ value: first.value, source: 'data-dir' });
  });

  it('prefers the token from the settings and writes nothing', async () => {
    const token = await resolveAdminToken(dataDir, 'an-admin-token-from-env');
    expect(token).toEqual({ value: 'an-admin-token-from-env', source: 'environment' });
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses a stored token that is not valid, saying how to recover', async () => {
    await writeFile(join(dataDir, ADMIN_TOKEN_FILE), 'x\n');
    await expect(resolveAdminToken(dataDir, undefined)).rejects.toThrow(LocalModeError);
    await expect(resolveAdminToken(dataDir, undefined)).rejects.toThrow(/delete the file to generate a new one/);
  });

  it('refuses a weak token passed in the settings', async () => {
    await expect(resolveAdminToken(dataDir, 'short')).rejects.toThrow(/at least 16 characters/);
  });
});

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['something else', undefined],
  ])('%s → %s', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });
});
