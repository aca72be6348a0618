import { useState } from 'preact/hooks';
import { call, segment, type Answer } from '../api';
import { ErrorMessage, useLoad } from '../load';

type Readiness = Answer<'getV1PoliciesBy_nameReadiness'>;
type Breakdown = Pick<Readiness, 'byControl' | 'byWorkload' | 'byUser' | 'byCommand'>;

const SECTIONS: readonly [keyof Breakdown, string][] = [
  ['byControl', 'Control'],
  ['byWorkload', 'Workload'],
  ['byUser', 'User'],
  ['byCommand', 'Command'],
];

function Counts({ breakdown, label }: { breakdown: Breakdown; label: string }) {
  return (
    <div class="readiness-grid">
      {SECTIONS.map(([key, title]) => (
        <table key={key} aria-label={`${label} by ${title.toLowerCase()}`}>
          <thead>
            <tr>
              <th scope="col">{title}</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {breakdown[key].length === 0 ? (
              <tr>
                <td colSpan={2}>—</td>
              </tr>
            ) : (
              breakdown[key].map((c) => (
                <tr key={c.value}>
                  <td>
                    <code>{c.value}</code>
                  </td>
                  <td>{c.count}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      ))}
    </div>
  );
}

/** Next to the scheduled switch: what enforce would have blocked over the last N days (GET …/readiness). */
export function ReadinessPanel({ policy, version }: { policy: string; version: number | undefined }) {
  const [days, setDays] = useState(7);
  // The version is an input so that a saved change of the policy counts its "new since the change" again.
  const { value: report, error } = useLoad(
    () => call<Readiness>('GET', `/v1/policies/${segment(policy)}/readiness?days=${days}`),
    [policy, days, version],
  );

  return (
    <section class="readiness" aria-labelledby="readiness-title">
      <h2 id="readiness-title">Readiness: what enforce would have blocked</h2>
      <label for="readiness-days">Days to look back</label>
      <select id="readiness-days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
        {[1, 7, 14, 30, 90].map((d) => (
          <option key={d} value={String(d)}>
            {d}
          </option>
        ))}
      </select>
      <ErrorMessage message={error} />
      {report && (
        <>
          <p id="readiness-summary">
            Over the last {report.days} days, enforce would have blocked <strong>{report.wouldBlock}</strong> events
            {report.truncated ? ' (the newest 10,000 Detect events were counted; there are more)' : ''}.
            {report.recordOnly > 0 ? ` ${report.recordOnly} more are of record-only controls, which enforce does not block.` : ''}
          </p>
          {report.wouldBlock > 0 && <Counts breakdown={report} label="Would-be blocks" />}
          <h3>New since the policy last changed (version {report.policyVersion})</h3>
          <p id="readiness-new">{report.newSinceChange.wouldBlock} events with a control, workload, user or command not seen before it.</p>
          {report.newSinceChange.wouldBlock > 0 && <Counts breakdown={report.newSinceChange} label="New would-be blocks" />}
        </>
      )}
    </section>
  );
}
