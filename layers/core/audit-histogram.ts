// Detect and Block counts of the audit log per time bucket, for the console's chart: the buckets of a window
// and the counting of events into them. Pure; the store feeds it the time and status of each stored event.

export type HistogramBucket = 'hour' | 'day';

export const BUCKET_MS: Readonly<Record<HistogramBucket, number>> = { hour: 3_600_000, day: 86_400_000 };

/** The longest window one histogram covers: 31 days (744 hourly buckets), so one answer stays small. */
export const HISTOGRAM_MAX_WINDOW_MS = 31 * 86_400_000;

export interface HistogramCounts {
  /** ISO instant where the bucket starts (UTC, aligned to the hour or the day). */
  readonly start: string;
  detect: number;
  block: number;
}

export interface Histogram {
  readonly bucket: HistogramBucket;
  readonly buckets: HistogramCounts[];
}

/** Empty buckets from the one holding `since` to the one holding `until`, oldest first, aligned to UTC. */
export function emptyHistogram(since: Date, until: Date, bucket: HistogramBucket): Histogram {
  const size = BUCKET_MS[bucket];
  const first = Math.floor(since.getTime() / size) * size;
  const buckets: HistogramCounts[] = [];
  for (let start = first; start <= until.getTime(); start += size)
    buckets.push({ start: new Date(start).toISOString(), detect: 0, block: 0 });
  return { bucket, buckets };
}

/** Counts one event (its ISO time and status) into its bucket; an event outside the window is ignored. */
export function countEvent(histogram: Histogram, time: string, status: string): void {
  const first = histogram.buckets[0];
  if (!first) return;
  const index = Math.floor((Date.parse(time) - Date.parse(first.start)) / BUCKET_MS[histogram.bucket]);
  const counts = histogram.buckets[index];
  if (!counts) return;
  if (status === 'Detect') counts.detect++;
  else if (status === 'Block') counts.block++;
}
