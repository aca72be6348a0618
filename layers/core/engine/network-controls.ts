import { anyGlob, NONE, quoted, strings, type Evaluator } from './control-kit.js';

// Controls judging network connections.

/** Port lists such as ["22", "1000-2000"]. */
function portMatcher(ranges: readonly string[]): (port: number) => boolean {
  const parsed = ranges.map((range) => {
    const [low, high] = range.split('-').map(Number);
    return { low: low ?? 0, high: high ?? low ?? 0 };
  });
  return (port) => parsed.some((r) => port >= r.low && port <= r.high);
}

export const portBlock: Evaluator = (options) => {
  const inbound = portMatcher(strings(options, 'inbound'));
  const outbound = portMatcher(strings(options, 'outbound'));
  return (event) => {
    if (event.action !== 'network') return NONE;
    const blocked = event.direction === 'inbound' ? inbound(event.port) : outbound(event.port);
    return blocked ? [{ key: 'port', message: `${event.direction} connection on blocked port ${event.port}` }] : NONE;
  };
};

export const networkEgress: Evaluator = (options) => {
  const allowedHost = anyGlob(strings(options, 'allowedHosts'));
  const ports = Array.isArray(options.allowedPorts) ? new Set(options.allowedPorts as number[]) : new Set<number>();
  return (event) => {
    if (event.action !== 'network' || event.direction !== 'outbound') return NONE;
    if (!allowedHost(event.host)) return [{ key: 'host', message: `outbound connection to ${quoted(event.host)} is not allowed` }];
    if (ports.size > 0 && !ports.has(event.port))
      return [{ key: 'port', message: `outbound connection to ${quoted(event.host)} on port ${event.port} is not allowed` }];
    return NONE;
  };
};
