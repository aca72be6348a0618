export * from './common.js';
export * from './control-options.js';
export * from './scope.js';
export * from './policy.js';
export * from './settings.js';
export * from './audit.js';
export * from './export.js';
