import { anyGlob, NONE, programMatcher, quoted, strings, type Evaluator, type Options } from './control-kit.js';
import type { DecisionEvent, Finding } from './events.js';

// Controls judging a process being started in a workload, function or host.

function programOf(event: Extract<DecisionEvent, { action: 'process' }>): string {
  return event.resolvedPath ?? event.executable;
}

function processControl(check: (event: Extract<DecisionEvent, { action: 'process' }>, options: Options) => Finding | undefined): Evaluator {
  return (options) => (event) => {
    if (event.action !== 'process') return NONE;
    const finding = check(event, options);
    return finding ? [finding] : NONE;
  };
}

/**
 * Matches a program pattern against the invoked name and the resolved path. A pattern without "/" matches a
 * path's last segment, so when every pattern is one and the event gives the resolved path's last segment,
 * that decides and the resolved path is not read.
 */
function programIn(patterns: readonly string[]): (event: Extract<DecisionEvent, { action: 'process' }>) => boolean {
  const matches = programMatcher(patterns);
  const namesOnly = patterns.every((pattern) => !pattern.includes('/'));
  return (event) => {
    if (matches(event.executable)) return true;
    if (namesOnly && event.resolvedName !== undefined) return matches(event.resolvedName);
    return event.resolvedPath !== undefined && matches(event.resolvedPath);
  };
}

export const blockedExecutables: Evaluator = (options) => {
  const blocked = programIn(strings(options, 'executables'));
  return processControl((event) =>
    blocked(event) ? { key: 'blocked', message: `${quoted(programOf(event))} is a blocked executable` } : undefined,
  )(options);
};

export const driftPrevention: Evaluator = (options) => {
  const allowed = programIn(strings(options, 'allowedExecutables'));
  return processControl((event) => {
    const program = programOf(event);
    const underTmp = program === '/tmp' || program.startsWith('/tmp/');
    if (!underTmp && event.createdAfterStart !== true) return undefined;
    if (allowed(event)) return undefined;
    const why = underTmp ? 'is located under /tmp' : 'was created after the workload started';
    return { key: 'drift', message: `${quoted(program)} ${why} (drift)` };
  })(options);
};

export const blockAllProcesses: Evaluator = (options) => {
  const allowed = programIn(strings(options, 'allowedExecutables'));
  return processControl((event) =>
    allowed(event) ? undefined : { key: 'process', message: `starting ${quoted(programOf(event))} is not allowed` },
  )(options);
};

export const reverseShell: Evaluator = (options) => {
  const allowedProgram = programIn(strings(options, 'allowedProcesses'));
  const allowedIp = anyGlob(strings(options, 'allowedIps'));
  return processControl((event) => {
    if (event.socketPeer === undefined || allowedProgram(event) || allowedIp(event.socketPeer)) return undefined;
    return {
      key: 'reverseShell',
      message: `${quoted(programOf(event))} has its standard streams connected to ${event.socketPeer} (reverse shell)`,
    };
  })(options);
};

export const forkGuard: Evaluator = (options) => {
  const limit = typeof options.processLimit === 'number' ? options.processLimit : 1000;
  return processControl((event) =>
    event.processCount !== undefined && event.processCount > limit
      ? { key: 'fork', message: `${event.processCount} processes exceed the limit of ${limit}` }
      : undefined,
  )(options);
};
