import { anyGlob, NONE, quoted, strings, type Evaluator } from './control-kit.js';

// Controls judging file operations.

const writeOperations = new Set(['create', 'modify', 'delete', 'attributes']);

export const readOnlyFiles: Evaluator = (options) => {
  const protectedPath = anyGlob(strings(options, 'paths'));
  const exception = anyGlob(strings(options, 'exceptions'));
  return (event) => {
    if (event.action !== 'file' || !writeOperations.has(event.operation)) return NONE;
    if (!protectedPath(event.path) || exception(event.path)) return NONE;
    return [{ key: 'write', message: `${event.operation} of read-only path ${quoted(event.path)}` }];
  };
};

export const fileIntegrityMonitoring: Evaluator = (options) => {
  const watched = anyGlob(strings(options, 'paths'));
  const exception = anyGlob(strings(options, 'exceptions'));
  const operations = new Set(strings(options, 'operations'));
  return (event) => {
    if (event.action !== 'file' || !operations.has(event.operation)) return NONE;
    if (!watched(event.path) || exception(event.path)) return NONE;
    return [{ key: 'fim', message: `${event.operation} of monitored path ${quoted(event.path)}` }];
  };
};
