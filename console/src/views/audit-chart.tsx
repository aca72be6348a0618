import { call, query, type Answer } from '../api';
import { formatTime } from '../format';
import { ErrorMessage, useLoad } from '../load';
import { TableFrame } from '../table-frame';

type Histogram = Answer<'getV1AuditEventsHistogram'>;

const WIDTH = 720;
const HEIGHT = 160;
const AXIS = 24;

/** A bucket's start as the chart's table and tooltips name it: the hour, or the day alone. */
function bucketLabel(start: string, bucket: Histogram['bucket']): string {
  return bucket === 'day' ? start.slice(0, 10) : formatTime(start).replace(/:00 UTC$/, ' UTC');
}

/** Bars of Detect and Block side by side per bucket, scaled to the largest count; the numbers are in the table. */
function Bars({ histogram }: { histogram: Histogram }) {
  const { buckets } = histogram;
  const peak = Math.max(0, ...buckets.map((b) => Math.max(b.detect, b.block)));
  const max = Math.max(1, peak);
  const slot = WIDTH / Math.max(1, buckets.length);
  const bar = Math.max(1, slot / 2 - 1);
  const height = (count: number) => ((HEIGHT - AXIS) * count) / max;
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="audit-chart-title audit-chart-desc">
      <title id="audit-chart-title">Detect and Block per {histogram.bucket}</title>
      <desc id="audit-chart-desc">
        {histogram.totals.detect} Detect and {histogram.totals.block} Block from {formatTime(histogram.since)} to{' '}
        {formatTime(histogram.until)}; at most {peak} of one verdict in one {histogram.bucket}.
      </desc>
      <line class="chart-axis" x1={0} x2={WIDTH} y1={HEIGHT - AXIS} y2={HEIGHT - AXIS} />
      {buckets.map((b, i) => (
        <g key={b.start}>
          <rect class="chart-detect" x={i * slot} y={HEIGHT - AXIS - height(b.detect)} width={bar} height={height(b.detect)} />
          <rect class="chart-block" x={i * slot + bar + 1} y={HEIGHT - AXIS - height(b.block)} width={bar} height={height(b.block)} />
        </g>
      ))}
      {first && (
        <text class="chart-label" x={0} y={HEIGHT - 6}>
          {bucketLabel(first.start, histogram.bucket)}
        </text>
      )}
      {last && last !== first && (
        <text class="chart-label" x={WIDTH} y={HEIGHT - 6} text-anchor="end">
          {bucketLabel(last.start, histogram.bucket)}
        </text>
      )}
    </svg>
  );
}

/**
 * Detect and Block over time, from the API's histogram (counted on the server from the audit table's per-day
 * index): the browser never loads the events to draw it. The time range is the audit log's; the other
 * filters do not apply to it.
 */
export function AuditChart({ since, until }: { since: string | undefined; until: string | undefined }) {
  const { value: histogram, error } = useLoad(
    () => call<Histogram>('GET', `/v1/audit-events/histogram${query({ since, until })}`),
    [since, until],
  );

  return (
    <figure class="audit-chart" aria-labelledby="audit-chart-caption">
      <figcaption id="audit-chart-caption">
        Detect and Block over time{histogram ? `, per ${histogram.bucket}` : ''} (the time range applies; the other filters do not)
      </figcaption>
      <ErrorMessage prefix="Chart: " message={error} />
      {!histogram && !error && <p role="status">Loading the chart…</p>}
      {histogram && (
        <>
          <p class="chart-legend">
            <span class="legend-detect">Detect: {histogram.totals.detect}</span>
            <span class="legend-block">Block: {histogram.totals.block}</span>
            {histogram.truncated && <span> (counted from the newest 100,000 events only)</span>}
          </p>
          <Bars histogram={histogram} />
          <details>
            <summary>Chart data as a table</summary>
            <TableFrame
              label="Detect and Block counts table"
              columns={[histogram.bucket === 'day' ? 'Day (UTC)' : 'Hour', 'Detect', 'Block']}
            >
              {histogram.buckets.map((b) => (
                <tr key={b.start}>
                  <th scope="row">{bucketLabel(b.start, histogram.bucket)}</th>
                  <td>{b.detect}</td>
                  <td>{b.block}</td>
                </tr>
              ))}
            </TableFrame>
          </details>
        </>
      )}
    </figure>
  );
}
