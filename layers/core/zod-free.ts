// The part of the core that loads no schema library: what the admission webhook and the protection layer
// run on every cold start. Import it instead of `./index.js` (which also brings the zod schemas that
// validate documents) from any code that decides but does not validate; the import-boundary lint rules
// allow nothing else by value there, and a unit test keeps this entry's bundle free of zod.
export * from './engine/index.js';
export * from './scope/index.js';
export * from './admission/decode.js';
export * from './admission/pod.js';
export * from './admission/context.js';
export * from './admission/judgement.js';
export * from './admission/response.js';
export * from './catalog.js';
export * from './builtins.js';
export * from './audit-bounds.js';
export * from './audit-limits.js';
