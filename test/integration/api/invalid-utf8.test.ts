import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../../support/api.js';
import { clientEvent, useEnforcerApi } from '../enforcer/harness.js';

// A JSON body whose bytes are not UTF-8 is refused with a 400 that says so, instead of being decoded with U+FFFD
// in place of the bad bytes and stored. Sent over real HTTP to local mode, which hands such a body to the
// handlers base64-encoded, as API Gateway does.

const api = useEnforcerApi();

/** The document as JSON, with the marker `@@` (inside one string value) replaced by 0xC3 0x28: not UTF-8. */
function withInvalidUtf8(document: unknown): Buffer {
  const parts = JSON.stringify(document).split('@@');
  expect(parts).toHaveLength(2);
  return Buffer.concat([Buffer.from(parts[0]!), Buffer.from([0xc3, 0x28]), Buffer.from(parts[1]!)]);
}

async function send(method: string, path: string, body: Buffer, token: string, extraHeaders: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extraHeaders },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
}

const refusal = { code: 'bad_request', message: 'the body is not valid UTF-8: the bytes from offset 18 are not a UTF-8 character' };

describe('bodies that are not UTF-8', () => {
  it('admin API: refuses the create and stores nothing', async () => {
    const body = withInvalidUtf8({ name: 'utf8-scope', description: 'caf@@', expression: '' });
    const answer = await send('POST', '/v1/application-scopes', body, ADMIN_TOKEN);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('not valid UTF-8') });
    expect(await api.tables.configStore.get('applicationScope', 'utf8-scope')).toBeUndefined();
  });

  it('admin API: names the offset of the first bad byte', async () => {
    const answer = await send('PUT', '/v1/settings/enforcer', withInvalidUtf8({ bypassScopes: ['@@'] }), ADMIN_TOKEN);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject(refusal);
  });

  it('enforcer API: refuses the events and stores none', async () => {
    const token = await api.createGroup('utf8-fns', 'nano_enforcer');
    const enforcerId = await api.register(token, 'utf8-fn', 'nano_enforcer');
    const body = withInvalidUtf8({ events: [clientEvent('utf8-event', { policy: 'utf8-policy', message: 'ran @@' })] });
    const answer = await send('POST', '/v1/enforcers/events', body, token, { 'x-enforcer-id': enforcerId });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('not valid UTF-8') });
    const stored = await api.call('GET', '/v1/audit-events?policy=utf8-policy');
    expect(stored.body.items).toEqual([]);
  });
});
