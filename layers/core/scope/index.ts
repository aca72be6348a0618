/** The scope language: which workloads a policy applies to. */
export { compileGlob, isLiteralGlob } from './glob.js';
export type { GlobMatcher } from './glob.js';
export {
  SCOPE_LIMITS,
  ScopeParseError,
  formatScopeExpression,
  parseScopeExpression,
  parseScopeFormula,
  variablesUsed,
} from './expression.js';
export type { ScopeExpression, ScopeParseErrorCode } from './expression.js';
export {
  ANY_WORKLOAD,
  NO_WORKLOAD,
  compileParsedScope,
  compileScope,
  compileScopeAssuming,
  compileVariable,
  decidedScope,
  workloadAttributes,
} from './compile.js';
export type { ScopeVariable, WorkloadAttributes, WorkloadPredicate } from './compile.js';
export * from './constraints.js';
export { foldScope, foldVariable } from './fold.js';
export type { FixedAttributes, FoldedScope, Truth } from './fold.js';
