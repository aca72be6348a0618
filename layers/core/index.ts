// The pure domain of Vigil: everything here is deterministic and free of I/O, so that the
// webhook, the API, the protection layer and the CLI all decide and validate the same way.
export * from './catalog.js';
export * from './attributes.js';
export * from './audit-bounds.js';
export * from './audit-limits.js';
export * from './builtins.js';
export * from './bypass.js';
export * from './image.js';
export * from './warnings.js';
export * from './schemas/index.js';
export * from './scope/index.js';
export * from './engine/index.js';
export * from './admission/index.js';
export * from './templates.js';
export * from './export-import.js';
export * from './import-parts.js';
export * from './import-split.js';
export * from './commercial/index.js';
export * from './node-policies/index.js';
export * from './merge-patch.js';
