export * from './events.js';
export * from './controls.js';
export * from './snapshot.js';
export * from './decide.js';
export * from './audit.js';
export * from './guard-rules.js';
