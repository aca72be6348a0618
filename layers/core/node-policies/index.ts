/** Compiling container and host policies to Tetragon objects for node-level enforcement. */
export * from './compile.js';
export { nodeControlTraits, WRITABLE_PLACES, SHELLS_AND_INTERPRETERS } from './controls.js';
export type { NodeAction, NodeFidelity, NodeControlTraits } from './controls.js';
export { TETRAGON_API_VERSION, TETRAGON_LIMITS, NAMESPACE_LABEL_KEY } from './tetragon.js';
export type { TracingPolicyObject } from './tetragon.js';
export { nodePolicyWarnings } from './warnings.js';
export { mapTetragonExportLine, nodeEventIndex, splitTetragonArguments, tetragonEventIdentity, MAX_EXPORT_LINE_LENGTH } from './events.js';
export type { IgnoredReason, MappedExportLine, NodeEventContext, NodeEventIndex } from './events.js';
