import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEventSchema, type AuditEvent } from '../../../layers/core/index.js';
import { useApi } from '../../support/api.js';

// GET /v1/audit-events/histogram on DynamoDB Local: Detect and Block counted per bucket from the audit table's
// per-day index, with the window bounded and a cap that says `truncated`.

const api = useApi();

function event(time: string, status: 'Detect' | 'Block'): AuditEvent {
  return auditEventSchema.parse({
    id: randomUUID(),
    time,
    status,
    policy: 'exec-guard',
    policyType: 'container',
    policyVersion: 1,
    control: 'blockContainerExec',
    controlName: 'Block Container Exec',
    enforcementMode: status === 'Block' ? 'enforce' : 'audit',
    action: 'exec',
    message: 'exec of "sh"',
    workload: { cluster: 'prod', namespace: 'shop', pod: 'cart-1', container: 'app', image: 'nginx:1.27', function: null, host: null },
    user: { name: 'alice', groups: [] },
    command: ['sh'],
    enforcer: { group: 'default-ke', type: 'kube_enforcer', id: 'prod' },
  });
}

const stored = [
  event('2025-03-10T10:00:00.000Z', 'Detect'),
  event('2025-03-10T10:15:00.000Z', 'Detect'),
  event('2025-03-10T10:59:59.999Z', 'Detect'),
  event('2025-03-10T10:30:00.000Z', 'Block'),
  event('2025-03-10T12:05:00.000Z', 'Block'),
  event('2025-03-10T12:06:00.000Z', 'Block'),
  // The next day's partition, and events outside the window on both sides.
  event('2025-03-11T00:30:00.000Z', 'Detect'),
  event('2025-03-10T09:59:59.999Z', 'Block'),
  event('2025-03-11T01:00:00.001Z', 'Detect'),
];

describe('GET /v1/audit-events/histogram', () => {
  it('counts Detect and Block per hour and per day across day partitions, empty buckets included', async () => {
    await api.runtime.auditStore.put(stored, 3650);
    const window = 'since=2025-03-10T10:00:00Z&until=2025-03-11T01:00:00Z';
    const hourly = await api.call('GET', `/v1/audit-events/histogram?${window}&bucket=hour`);
    expect(hourly.status).toBe(200);
    expect(hourly.body).toMatchObject({
      since: '2025-03-10T10:00:00.000Z',
      until: '2025-03-11T01:00:00.000Z',
      bucket: 'hour',
      totals: { detect: 4, block: 3 },
      truncated: false,
    });
    const buckets = hourly.body.buckets as Array<{ start: string; detect: number; block: number }>;
    expect(buckets).toHaveLength(16);
    expect(buckets[0]).toEqual({ start: '2025-03-10T10:00:00.000Z', detect: 3, block: 1 });
    expect(buckets[1]).toEqual({ start: '2025-03-10T11:00:00.000Z', detect: 0, block: 0 });
    expect(buckets[2]).toEqual({ start: '2025-03-10T12:00:00.000Z', detect: 0, block: 2 });
    expect(buckets[14]).toEqual({ start: '2025-03-11T00:00:00.000Z', detect: 1, block: 0 });
    expect(buckets[15]).toEqual({ start: '2025-03-11T01:00:00.000Z', detect: 0, block: 0 });

    const daily = await api.call('GET', `/v1/audit-events/histogram?${window}&bucket=day`);
    expect(daily.body.buckets).toEqual([
      { start: '2025-03-10T00:00:00.000Z', detect: 3, block: 3 },
      { start: '2025-03-11T00:00:00.000Z', detect: 1, block: 0 },
    ]);
    // Without bucket: hours for a window of up to two days.
    expect((await api.call('GET', `/v1/audit-events/histogram?${window}`)).body.bucket).toBe('hour');
  });

  it('stops at its cap and says truncated, counting the newest events', async () => {
    const capped = await api.runtime.auditStore.histogram({
      since: '2025-03-10T10:00:00.000Z',
      until: '2025-03-11T01:00:00.000Z',
      bucket: 'day',
      maxEvents: 2,
    });
    expect(capped.truncated).toBe(true);
    expect(capped.eventsRead).toBe(2);
    // Newest first: the next day's Detect, then the newest Block of the 10th.
    expect(capped.buckets).toEqual([
      { start: '2025-03-10T00:00:00.000Z', detect: 0, block: 1 },
      { start: '2025-03-11T00:00:00.000Z', detect: 1, block: 0 },
    ]);
  });

  it('refuses an unknown bucket and a window longer than 31 days, naming the field', async () => {
    const bucket = await api.call('GET', '/v1/audit-events/histogram?bucket=week');
    expect(bucket.status).toBe(400);
    expect(bucket.body.error.details).toEqual([expect.objectContaining({ path: 'bucket' })]);
    const long = await api.call('GET', '/v1/audit-events/histogram?since=2025-01-01T00:00:00Z&until=2025-03-01T00:00:00Z');
    expect(long.status).toBe(400);
    expect(long.body.error.details).toEqual([expect.objectContaining({ path: 'since', message: expect.stringContaining('31 days') })]);
  });
});
