// The commercial product's JSON, converted for Vigil's all-or-nothing import. Split along the product's object
// kinds: runtime policies (with their container, node, host and function controls), application scopes, enforcer
// groups, bypass (folded into scopes, or a pasted global list), and the recognition of a document by its shape.
export { convertApplicationScope } from './application-scope.js';
export {
  CommercialFormatError,
  convertCommercialDocument,
  meaningChanges,
  sourceLocation,
  unsupportedFields,
  type CommercialDocumentConversion,
  type CommercialIssue,
  type CommercialOptions,
  type ConvertedDocument,
  type ConvertedItem,
} from './document.js';
export { convertEnforcerGroup } from './enforcer-group.js';
export { planEnforcerGroups, type EnforcerGroupPlan, type GroupFields, type PlannedEnforcerGroup } from './enforcer-group-plan.js';
export { documentShape, isCommercialDocument, isCommercialPolicy, recogniseItem, type CommercialKind } from './recognition.js';
export { convertRuntimePolicy, type ItemConversion, type PolicyContext } from './runtime-policy.js';
export type { Formula } from './scope.js';
