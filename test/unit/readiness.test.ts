import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../layers/core/index.js';
import { policyReadiness, READINESS_TOP, workloadLabel } from '../../layers/core/readiness.js';

function event(change: Partial<AuditEvent> & { pod?: string | null; fn?: string }): AuditEvent {
  return {
    id: 'e',
    time: '2026-12-01T00:00:00.000Z',
    status: 'Detect',
    policy: 'p',
    policyType: 'container',
    policyVersion: 1,
    control: 'blockContainerExec',
    controlName: 'Block Container Exec',
    enforcementMode: 'audit',
    action: 'exec',
    message: 'm',
    workload: {
      cluster: 'c',
      namespace: 'n',
      pod: change.pod === undefined ? 'pod' : change.pod,
      container: null,
      image: null,
      function: change.fn ?? null,
      host: null,
    },
    user: { name: 'alice', groups: [] },
    command: ['sh'],
    ...change,
  } as AuditEvent;
}

describe('policyReadiness', () => {
  it('counts Detect events of the policy, apart from record-only controls, and finds what the current version brought in', () => {
    const report = policyReadiness({ name: 'p', type: 'container', version: 3 }, [
      event({ policyVersion: 2 }),
      event({ policyVersion: 3 }),
      event({ policyVersion: 3, user: null, command: null }),
      event({ policyVersion: 3, status: 'Block' }),
      event({ policyVersion: 3, policy: 'q' }),
      event({ policyVersion: 3, control: 'fileIntegrityMonitoring', action: 'file' }),
    ]);
    expect(report).toEqual({
      wouldBlock: 3,
      recordOnly: 1,
      byControl: [{ value: 'blockContainerExec', count: 3 }],
      byWorkload: [{ value: 'c/n/pod', count: 3 }],
      byUser: [
        { value: 'alice', count: 2 },
        { value: '(none)', count: 1 },
      ],
      byCommand: [
        { value: 'sh', count: 2 },
        { value: '(none)', count: 1 },
      ],
      newSinceChange: {
        wouldBlock: 1,
        byControl: [],
        byWorkload: [],
        byUser: [{ value: '(none)', count: 1 }],
        byCommand: [{ value: '(none)', count: 1 }],
      },
    });
  });

  it(`lists at most ${READINESS_TOP} values per breakdown, most first, ties by value, while the total counts all`, () => {
    const events = Array.from({ length: READINESS_TOP + 5 }, (_, i) => event({ command: [`cmd-${String(i).padStart(2, '0')}`] }));
    events.push(event({ command: ['cmd-24'] }));
    const report = policyReadiness({ name: 'p', type: 'container', version: 1 }, events);
    expect(report.wouldBlock).toBe(READINESS_TOP + 6);
    expect(report.byCommand).toHaveLength(READINESS_TOP);
    expect(report.byCommand.slice(0, 3)).toEqual([
      { value: 'cmd-24', count: 2 },
      { value: 'cmd-00', count: 1 },
      { value: 'cmd-01', count: 1 },
    ]);
  });

  it('names a workload by its cluster, namespace and pod, or its function, or says it is unknown', () => {
    expect(workloadLabel(event({}))).toBe('c/n/pod');
    expect(
      workloadLabel(
        event({ workload: { cluster: null, namespace: null, pod: null, container: null, image: null, function: 'fn', host: null } }),
      ),
    ).toBe('fn');
    expect(
      workloadLabel(
        event({ workload: { cluster: null, namespace: null, pod: null, container: null, image: null, function: null, host: null } }),
      ),
    ).toBe('(unknown)');
  });
});
