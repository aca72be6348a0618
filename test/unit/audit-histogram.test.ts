import { describe, expect, it } from 'vitest';
import { countEvent, emptyHistogram } from '../../layers/core/audit-histogram.js';

describe('the audit histogram', () => {
  it('makes aligned UTC buckets from the one holding since to the one holding until', () => {
    const h = emptyHistogram(new Date('2025-03-10T10:20:00Z'), new Date('2025-03-10T12:00:00Z'), 'hour');
    expect(h.buckets.map((b) => b.start)).toEqual(['2025-03-10T10:00:00.000Z', '2025-03-10T11:00:00.000Z', '2025-03-10T12:00:00.000Z']);
    const d = emptyHistogram(new Date('2025-03-10T10:20:00Z'), new Date('2025-03-12T00:00:00Z'), 'day');
    expect(d.buckets.map((b) => b.start)).toEqual(['2025-03-10T00:00:00.000Z', '2025-03-11T00:00:00.000Z', '2025-03-12T00:00:00.000Z']);
  });

  it('counts Detect and Block into their bucket and ignores other statuses and times outside', () => {
    const h = emptyHistogram(new Date('2025-03-10T10:00:00Z'), new Date('2025-03-10T11:30:00Z'), 'hour');
    countEvent(h, '2025-03-10T10:59:59.999Z', 'Detect');
    countEvent(h, '2025-03-10T11:00:00.000Z', 'Block');
    countEvent(h, '2025-03-10T11:00:00.000Z', 'Allow');
    countEvent(h, '2025-03-10T09:59:59.999Z', 'Detect');
    countEvent(h, '2025-03-10T12:00:00.000Z', 'Block');
    expect(h.buckets).toEqual([
      { start: '2025-03-10T10:00:00.000Z', detect: 1, block: 0 },
      { start: '2025-03-10T11:00:00.000Z', detect: 0, block: 1 },
    ]);
    const empty = { bucket: 'hour' as const, buckets: [] };
    countEvent(empty, '2025-03-10T10:00:00.000Z', 'Detect');
    expect(empty.buckets).toEqual([]);
  });
});
