export * from './events.js';
export * from './controls.js';
export * from './snapshot.js';
export {
  planSnapshot,
  SNAPSHOT_PLAN_FORMAT,
  type PlannedConfig,
  type PlannedPlacement,
  type PlannedPolicy,
  type SnapshotPlan,
} from './snapshot-plan.js';
export type { CompiledPolicy, SharedControl } from './snapshot-policies.js';
export type { ActionPolicy, PolicyControl } from './snapshot-indexes.js';
export * from './decide.js';
export * from './audit.js';
export * from './guard-rules.js';
export * from './function-rules.js';
