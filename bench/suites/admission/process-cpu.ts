import { readFileSync } from 'node:fs';

/** CPU seconds a process has used (Linux `/proc/<pid>/stat`, in USER_HZ ticks of 1/100 s); undefined elsewhere. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** µs of a process's CPU per unit of work between two readings; null when either reading or the work is missing. */
export function cpuUsPer(before: number | undefined, after: number | undefined, units: number): number | null {
  return before === undefined || after === undefined || units <= 0 ? null : Math.round(((after - before) * 1e6) / units);
}
