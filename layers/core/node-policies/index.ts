/** Compiling container and host policies to Tetragon objects for node-level enforcement. */
export * from './compile.js';
export { nodeControlTraits, WRITABLE_PLACES, SHELLS_AND_INTERPRETERS } from './controls.js';
export type { NodeAction, NodeFidelity, NodeControlTraits } from './controls.js';
export { TETRAGON_API_VERSION, TETRAGON_LIMITS, NAMESPACE_LABEL_KEY } from './tetragon.js';
export type { TracingPolicyObject } from './tetragon.js';
export { nodePolicyWarnings } from './warnings.js';
export {
  mapTetragonExportLine,
  nodeEventIndex,
  POLICY_EVENT_TYPES,
  splitTetragonArguments,
  tetragonEventIdentity,
  MAX_EXPORT_LINE_LENGTH,
} from './events.js';
export type { IgnoredReason, MappedExportLine, NodeEventContext, NodeEventIndex } from './events.js';
export {
  nodeAgentInstall,
  nodeAgentTokenSecret,
  recommendedTetragonValues,
  DEFAULT_NODE_AGENT_IMAGE,
  DEFAULT_NODE_AGENT_NAMESPACE,
  NODE_AGENT_NAMES,
  NODE_AGENT_USER_ID,
  TETRAGON_EXPORT_DIRECTORY,
  TETRAGON_EXPORT_FILENAME,
} from './install.js';
export type { KubernetesObject, NodeAgentInstall, NodeAgentInstallOptions, TetragonHelmValues } from './install.js';
