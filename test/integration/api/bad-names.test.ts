import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../../support/api.js';
import { useEnforcerApi } from '../enforcer/harness.js';

// Names and keys that cannot be stored are refused at the boundary with a 400 naming the bad field; before,
// they reached DynamoDB, whose ValidationException (a key over 1024 bytes, a map taken for a class
// instance) answered "503 storage is unavailable".

const api = useEnforcerApi();
const longName = 'a'.repeat(1100);

const collections = ['/v1/policies', '/v1/application-scopes', '/v1/enforcer-groups', '/v1/clusters'] as const;

describe('resource names in the path', () => {
  it.each(collections)('%s/{name}: a name over the limit is a 400 naming the path parameter, on every method', async (collection) => {
    const methods = collection === '/v1/clusters' ? ['GET', 'DELETE'] : ['GET', 'PUT', 'DELETE'];
    for (const method of methods) {
      const answer = await api.call(method, `${collection}/${longName}`, method === 'PUT' ? { body: { name: longName } } : {});
      expect(answer.status, method).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
      expect(answer.body.error.details).toEqual([{ path: '(path).name', message: 'must be at most 128 characters' }]);
    }
  });

  it.each(['/v1/enforcer-groups/{name}/token', '/v1/clusters/{name}/secret', '/v1/clusters/{name}/node-agent-token'])(
    '%s: a name over the limit is a 400',
    async (route) => {
      const answer = await api.call('POST', route.replace('{name}', longName));
      expect(answer.status).toBe(400);
      expect(answer.body.error.details[0].path).toBe('(path).name');
    },
  );

  it.each(['%2E', '%2E%2E'])('refuses the name %s in a path (400)', async (encoded) => {
    // The path as written: URL parsers (fetch's too) resolve `%2E` segments away.
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const { hostname, port } = new URL(api.url);
      const options = { hostname, port, path: `/v1/policies/${encoded}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
      const req = request(options, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: '(path).name', message: expect.stringContaining('must not be "." or ".."') }]);
  });

  it('refuses an audit event id over 256 characters (400)', async () => {
    const answer = await api.call('GET', `/v1/audit-events/${'e'.repeat(1100)}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: '(path).id', message: 'must be 1 to 256 characters long' }]);
  });
});

describe('resource names in the body', () => {
  const bodies: Record<(typeof collections)[number], (name: string) => Record<string, unknown>> = {
    '/v1/policies': (name) => ({ name, type: 'container' }),
    '/v1/application-scopes': (name) => ({ name }),
    '/v1/enforcer-groups': (name) => ({ name, type: 'nano_enforcer' }),
    '/v1/clusters': (name) => ({ name }),
  };
  for (const collection of collections) {
    it.each(['.', '..'])(`${collection}: refuses to create "%s" (400 naming the field)`, async (name) => {
      const answer = await api.call('POST', collection, { body: bodies[collection](name) });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
      expect(answer.body.error.details).toContainEqual(
        expect.objectContaining({ path: 'name', message: 'must not be "." or ".." (they cannot be addressed in a URL)' }),
      );
    });
    it(`${collection}: refuses a name over the limit (400 naming the field)`, async () => {
      const answer = await api.call('POST', collection, { body: bodies[collection](longName) });
      expect(answer.status).toBe(400);
      expect(answer.body.error.details).toContainEqual(expect.objectContaining({ path: 'name' }));
    });
  }
});

describe('enforcer metadata keys', () => {
  it.each(['constructor', 'prototype', '__proto__'])('refuses the metadata key %s (400 naming it), and stores nothing', async (key) => {
    const token = await api.createGroup(`meta-${key.replaceAll('_', 'u')}`, 'nano_enforcer');
    const answer = await api.call('POST', '/v1/enforcers/register', {
      token,
      body: JSON.parse(`{"name": "fn-meta", "type": "nano_enforcer", "metadata": {"runtime": "nodejs24.x", "${key}": "x"}}`),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toContainEqual(expect.objectContaining({ path: `metadata.${key}` }));
    const listed = await api.call('GET', `/v1/enforcers?group=meta-${key.replaceAll('_', 'u')}`);
    expect(listed.body.items).toEqual([]);
  });

  it('still registers ordinary metadata', async () => {
    const token = await api.createGroup('meta-ok', 'nano_enforcer');
    const answer = await api.call('POST', '/v1/enforcers/register', {
      token,
      body: { name: 'fn-ok', type: 'nano_enforcer', metadata: { runtime: 'nodejs24.x', 'aws.region': 'eu-west-1' } },
    });
    expect(answer.status).toBe(200);
  });
});
