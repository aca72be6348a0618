import { describe, expect, it } from 'vitest';
import { clientEvent, useEnforcerApi } from './harness.js';

describe('enforcer API: events, heartbeats and status', () => {
  let now = new Date('2026-11-28T12:00:00.000Z');
  const api = useEnforcerApi({ clock: () => now });

  const eventsOf = async (policy: string): Promise<Array<{ id: string; enforcer: unknown }>> => {
    const items: Array<{ id: string; enforcer: unknown }> = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/audit-events?policy=${policy}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  };

  describe('events', () => {
    it('accepts 500 events in one request and refuses 501', { timeout: 150_000 }, async () => {
      const token = await api.createGroup('ev-bulk', 'nano_enforcer');
      const enforcerId = await api.register(token, 'bulk-fn', 'nano_enforcer');
      const events = Array.from({ length: 501 }, (_, i) => clientEvent(`bulk-${i}`, { policy: 'ev-bulk-policy' }));

      const tooMany = await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events } });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toMatch(/at most 500/);
      expect(await eventsOf('ev-bulk-policy')).toHaveLength(0);

      const accepted = await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events: events.slice(0, 500) } });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({ accepted: 500, duplicates: 0 });
      expect(await eventsOf('ev-bulk-policy')).toHaveLength(500);
    });

    it('stores a re-sent id once and counts it as a duplicate; ids are per enforcer', async () => {
      const token = await api.createGroup('ev-dup', 'nano_enforcer');
      const first = await api.register(token, 'dup-fn-1', 'nano_enforcer');
      const second = await api.register(token, 'dup-fn-2', 'nano_enforcer');
      const event = (id: string) => clientEvent(id, { policy: 'ev-dup-policy' });

      const sent = await api.call('POST', '/v1/enforcers/events', {
        token,
        enforcerId: first,
        body: { events: [event('a'), event('b'), event('c')] },
      });
      expect(sent.body).toEqual({ accepted: 3, duplicates: 0 });
      const resent = await api.call('POST', '/v1/enforcers/events', {
        token,
        enforcerId: first,
        body: { events: [event('a'), event('b'), event('d')] },
      });
      expect(resent.body).toEqual({ accepted: 1, duplicates: 2 });
      // Another enforcer's "a" is another event.
      const other = await api.call('POST', '/v1/enforcers/events', { token, enforcerId: second, body: { events: [event('a')] } });
      expect(other.body).toEqual({ accepted: 1, duplicates: 0 });

      const stored = await eventsOf('ev-dup-policy');
      expect(stored.map((e) => e.id).sort()).toEqual([`${first}:a`, `${first}:b`, `${first}:c`, `${first}:d`, `${second}:a`]);
    });

    it('refuses the whole batch when one event is invalid, naming its path', async () => {
      const token = await api.createGroup('ev-bad', 'nano_enforcer');
      const enforcerId = await api.register(token, 'bad-fn', 'nano_enforcer');
      const events = Array.from({ length: 10 }, (_, i) => clientEvent(`bad-${i}`, { policy: 'ev-bad-policy' }));
      events[7] = clientEvent('bad-7', { policy: 'ev-bad-policy', status: 'Maybe' });
      const response = await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events } });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toEqual(['events.7.status']);
      expect(await eventsOf('ev-bad-policy')).toHaveLength(0);

      const nested = await api.call('POST', '/v1/enforcers/events', {
        token,
        enforcerId,
        body: { events: [clientEvent('n', { workload: { pod: 3 } })] },
      });
      expect(nested.status).toBe(400);
      expect(nested.body.error.details.map((d: { path: string }) => d.path)).toContain('events.0.workload.pod');
      expect((await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events: [] } })).status).toBe(400);
      expect(
        (await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events: [clientEvent('x'.repeat(129))] } })).status,
      ).toBe(400);
    });

    // `truncated` is the sender's claim of what it cut: it may only name what an event's fields can be cut to, as
    // boundAuditEvent names them, and no longer a field than the server itself would have taken uncut.
    it('refuses truncated entries that name no field an event can have cut, or a length no sent field could have', async () => {
      const token = await api.createGroup('ev-truncated', 'agent');
      const enforcerId = await api.register(token, 'truncated-node', 'agent');
      const withTruncated = (id: string, truncated: unknown) => clientEvent(id, { policy: 'ev-truncated-policy', truncated });
      const refused: ReadonlyArray<readonly [unknown, string]> = [
        [[{ field: 'nothing', length: 5000 }], 'events.0.truncated.0.field'],
        [[{ field: 'workload.nothing', length: 5000 }], 'events.0.truncated.0.field'],
        [[{ field: 'message[2]', length: 5000 }], 'events.0.truncated.0.field'],
        [[{ field: 'policy', length: 5000 }], 'events.0.truncated.0.field'],
        // Items past what the list keeps were never cut one by one.
        [
          [
            { field: 'command', length: 300 },
            { field: 'command[256]', length: 5000 },
          ],
          'events.0.truncated.1.field',
        ],
        [[{ field: 'unresolved[64]', length: 200 }], 'events.0.truncated.0.field'],
        [[{ field: 'message', length: 1024 * 1024 + 1 }], 'events.0.truncated.0.length'],
        [[{ field: 'command', length: 65_537 }], 'events.0.truncated.0.length'],
      ];
      for (const [truncated, path] of refused) {
        const response = await api.call('POST', '/v1/enforcers/events', {
          token,
          enforcerId,
          body: { events: [withTruncated('t', truncated)] },
        });
        expect(response.status, JSON.stringify(truncated)).toBe(400);
        expect(response.body.error.code).toBe('validation_failed');
        expect(response.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
      }
      expect(await eventsOf('ev-truncated-policy')).toHaveLength(0);

      // What an agent that bounds its own events sends (the fields boundAuditEvent cuts) is taken, and kept.
      const claims = [
        { field: 'message', length: 1024 * 1024 },
        { field: 'workload.pod', length: 2000 },
        { field: 'user.name', length: 2000 },
        { field: 'user.groups', length: 65_536 },
        { field: 'user.groups[255]', length: 2000 },
        { field: 'command', length: 300 },
        { field: 'command[0]', length: 5000 },
        { field: 'command[255]', length: 5000 },
        { field: 'unresolved[63]', length: 200 },
      ];
      const accepted = await api.call('POST', '/v1/enforcers/events', {
        token,
        enforcerId,
        body: { events: [withTruncated('ok', claims)] },
      });
      expect(accepted.body).toEqual({ accepted: 1, duplicates: 0 });
      expect((await api.call('GET', `/v1/audit-events/${encodeURIComponent(`${enforcerId}:ok`)}`)).body.truncated).toEqual(claims);
    });

    it('sets the enforcer identity from the token, whatever the client sent', async () => {
      const token = await api.createGroup('ev-identity', 'nano_enforcer');
      const enforcerId = await api.register(token, 'identity-fn', 'nano_enforcer');
      const longId = 'L'.repeat(128);
      const response = await api.call('POST', '/v1/enforcers/events', {
        token,
        enforcerId,
        body: { events: [clientEvent('who', { policy: 'ev-identity-policy' }), clientEvent(longId, { policy: 'ev-identity-policy' })] },
      });
      expect(response.body).toEqual({ accepted: 2, duplicates: 0 });
      const stored = await api.call('GET', `/v1/audit-events/${encodeURIComponent(`${enforcerId}:who`)}`);
      expect(stored.status).toBe(200);
      expect(stored.body.enforcer).toEqual({ group: 'ev-identity', type: 'nano_enforcer', id: enforcerId });
      expect(stored.body.workload.function).toBe('orders-handler');
      const all = await eventsOf('ev-identity-policy');
      expect(all).toHaveLength(2);
      for (const event of all) {
        expect(event.id.length).toBeLessThanOrEqual(128);
        expect(event.enforcer).toEqual({ group: 'ev-identity', type: 'nano_enforcer', id: enforcerId });
      }
    });
  });

  describe('heartbeat and status', () => {
    it('reports enforcers connected within three poll intervals of their last heartbeat', async () => {
      now = new Date('2026-11-28T12:00:00.000Z');
      const token = await api.createGroup('hb-agents', 'agent');
      const otherToken = await api.createGroup('hb-others', 'agent');
      const first = await api.register(token, 'node-1', 'agent');
      const second = await api.register(token, 'node-2', 'agent');
      await api.register(otherToken, 'node-9', 'agent');

      const status = async () => {
        const response = await api.call('GET', '/v1/enforcers?group=hb-agents');
        expect(response.status).toBe(200);
        return Object.fromEntries(
          response.body.items.map((item: { enforcerId: string; status: string }) => [item.enforcerId, item.status]),
        );
      };
      expect(await status()).toEqual({ [first]: 'connected', [second]: 'connected' });

      now = new Date('2026-11-28T12:03:00.000Z');
      expect(await status()).toEqual({ [first]: 'connected', [second]: 'connected' });
      now = new Date('2026-11-28T12:03:00.001Z');
      expect(await status()).toEqual({ [first]: 'disconnected', [second]: 'disconnected' });

      const beat = await api.call('POST', '/v1/enforcers/heartbeat', { token, enforcerId: first });
      expect(beat.status).toBe(200);
      expect(beat.body).toEqual({ status: 'connected', pollIntervalSeconds: 60 });
      expect(await status()).toEqual({ [first]: 'connected', [second]: 'disconnected' });

      const listed = await api.call('GET', '/v1/enforcers?group=hb-agents');
      expect(listed.body.items.find((item: { enforcerId: string }) => item.enforcerId === first).lastSeen).toBe('2026-11-28T12:03:00.001Z');
    });

    it('answers 404 to a heartbeat of an unregistered enforcer and pages the list', async () => {
      const token = await api.createGroup('hb-page', 'host_enforcer');
      const unknown = await api.call('POST', '/v1/enforcers/heartbeat', { token, enforcerId: 'enf-000000000000000000000000' });
      expect(unknown.status).toBe(404);
      for (const name of ['h-1', 'h-2', 'h-3']) await api.register(token, name, 'host_enforcer');
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.call('GET', `/v1/enforcers?group=hb-page&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((item: { name: string }) => item.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(['h-1', 'h-2', 'h-3']);
      expect((await api.call('GET', '/v1/enforcers?group=bad%23group')).status).toBe(400);
      const all = await api.call('GET', '/v1/enforcers?limit=500');
      expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    });
  });
});
