import { describe, expect, it } from 'vitest';
import { eventLine } from '../../../cli/commands/audit.js';

const event = (overrides: Record<string, unknown>) => ({
  id: 'evt-1',
  time: '2026-12-07T05:40:00.000Z',
  status: 'Detect',
  policy: 'p',
  control: 'c',
  action: 'exec',
  workload: { kind: 'Pod', namespace: 'prod', name: 'web' },
  message: 'shell spawned',
  ...overrides,
});

describe('vigil audit tail lines', () => {
  it('start every column at the same offset, whatever the lengths of the cells before it', () => {
    const short = eventLine(event({ status: 'Block', policy: 'p', control: 'c', action: 'exec' }));
    const long = eventLine(event({ status: 'Detect', policy: 'block-shells', control: 'no-exec', action: 'connect' }));
    expect(short.indexOf('shell spawned')).toBe(long.indexOf('shell spawned'));
    expect(short.indexOf('prod')).toBe(long.indexOf('prod'));
    expect(short.startsWith('2026-12-07T05:40:00.000Z  Block ')).toBe(true);
  });

  it('cut a cell longer than its column with an ellipsis and keep the message whole', () => {
    const longName = `web-${'x'.repeat(80)}`;
    const line = eventLine(
      event({ policy: 'a'.repeat(80), workload: { kind: 'Pod', namespace: 'prod', name: longName }, message: 'm'.repeat(120) }),
    );
    const reference = eventLine(event({}));
    expect(line).not.toContain(longName);
    expect(line).toContain('…');
    expect(line.indexOf('m'.repeat(120))).toBe(reference.indexOf('shell spawned'));
  });
});
