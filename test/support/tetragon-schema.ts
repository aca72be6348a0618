// Validates Tetragon objects the way a cluster running Tetragon v1.7.0 would take them: the structure against the
// CRD's openAPIV3Schema (ajv, with the x-kubernetes-* keywords registered as the upstream recipe says), the one CEL
// rule v1.7.0 has (a TracingPolicyNamespaced has no hostSelector), and the limits the agent checks when it loads a
// policy, which the schema does not state. The CRDs are the upstream v1.7.0 files kept next to the other test data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { repoRoot } from '../../infra/lambda-bundling.js';
import { TETRAGON_LIMITS } from '../../layers/core/index.js';

export const tetragonDataDir = join(repoRoot, '..', 'shared', 'testdata', 'tetragon');

function schemaOf(file: string): object {
  const crd = YAML.parse(readFileSync(join(tetragonDataDir, 'crds', file), 'utf8')) as {
    spec: { versions: { served: boolean; schema: { openAPIV3Schema: object } }[] };
  };
  return crd.spec.versions.find((version) => version.served)!.schema.openAPIV3Schema;
}

const ajv = new Ajv({ strict: false, allErrors: true });
for (const keyword of [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
])
  ajv.addKeyword(keyword);
for (const format of ['int32', 'int64']) ajv.addFormat(format, true);
const schemas: Record<string, any> = {
  TracingPolicy: schemaOf('cilium.io_tracingpolicies.yaml'),
  TracingPolicyNamespaced: schemaOf('cilium.io_tracingpoliciesnamespaced.yaml'),
};
const validators: Record<string, ValidateFunction> = {
  TracingPolicy: ajv.compile(schemas.TracingPolicy),
  TracingPolicyNamespaced: ajv.compile(schemas.TracingPolicyNamespaced),
};

/**
 * Fields the schema does not declare. The API server drops them silently (structural pruning) and `kubectl apply`
 * refuses them (strict field validation): either way a field v1.7.0 does not know is a defect of the generator.
 */
function unknownFields(value: unknown, schema: any, path: string, problems: string[]): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, schema.items, `${path}[${i}]`, problems));
    return;
  }
  if (typeof value !== 'object' || value === null || !schema.properties) {
    if (typeof value === 'object' && value !== null && typeof schema.additionalProperties === 'object')
      for (const [key, child] of Object.entries(value)) unknownFields(child, schema.additionalProperties, `${path}.${key}`, problems);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (path === '' && key === 'metadata') continue;
    if (schema.properties[key]) unknownFields(child, schema.properties[key], `${path}.${key}`, problems);
    else problems.push(`${path}.${key}: unknown field`);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function limitProblems(object: any): string[] {
  const problems: string[] = [];
  const hooks: any[] = [...(object.spec?.lsmhooks ?? []), ...(object.spec?.kprobes ?? [])];
  hooks.forEach((hook, h) => {
    const at = `spec hook[${h}] ${hook.hook ?? hook.call}`;
    if ((hook.selectors ?? []).length > TETRAGON_LIMITS.selectorsPerHook)
      problems.push(`${at}: more than ${TETRAGON_LIMITS.selectorsPerHook} selectors`);
    if ((hook.tags ?? []).length > TETRAGON_LIMITS.tags) problems.push(`${at}: more than ${TETRAGON_LIMITS.tags} tags`);
    if ((hook.message ?? '').length > TETRAGON_LIMITS.messageLength)
      problems.push(`${at}: message longer than ${TETRAGON_LIMITS.messageLength}`);
    (hook.selectors ?? []).forEach((selector: any, s: number) => {
      if ((selector.matchArgs ?? []).length > TETRAGON_LIMITS.matchArgsPerSelector)
        problems.push(`${at} selector[${s}]: too many matchArgs`);
      if ((selector.matchBinaries ?? []).length > 1) problems.push(`${at} selector[${s}]: more than one matchBinaries item`);
      for (const arg of selector.matchArgs ?? []) {
        if ((arg.values ?? []).length === 0) problems.push(`${at} selector[${s}]: matchArgs ${arg.operator} without values`);
        for (const value of arg.values ?? []) {
          if (/Prefix$/.test(arg.operator) && value.length > TETRAGON_LIMITS.prefixLength)
            problems.push(`${at}: ${arg.operator} value too long`);
          if (/Postfix$/.test(arg.operator) && value.length > TETRAGON_LIMITS.postfixLength)
            problems.push(`${at}: ${arg.operator} value too long`);
        }
      }
    });
  });
  return problems;
}

/** Every reason Tetragon v1.7.0 (its CRD, its CEL rule, its load-time limits) would refuse the object; empty when it takes it. */
export function tetragonProblems(object: any): string[] {
  const validate = validators[object?.kind];
  if (!validate) return [`kind: ${String(object?.kind)} is not a Tetragon policy kind`];
  const problems = validate(object)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? 'invalid'}`);
  unknownFields(object, schemas[object.kind], '', problems);
  if (object.apiVersion !== 'cilium.io/v1alpha1') problems.push('apiVersion: must be cilium.io/v1alpha1');
  if (object.kind === 'TracingPolicyNamespaced' && object.spec?.hostSelector !== undefined)
    problems.push('spec.hostSelector: not allowed in a namespaced policy');
  // Upstream examples leave the namespace to `kubectl apply -n`; when one is written it must be a namespace name.
  const namespace: unknown = object.metadata?.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !DNS1123_LABEL.test(namespace)))
    problems.push('metadata.namespace: not a namespace name');
  const name: unknown = object.metadata?.name;
  if (typeof name !== 'string' || name.length > 63 || !DNS1123_LABEL.test(name))
    problems.push(`metadata.name: ${JSON.stringify(name)} is not a DNS-1123 label`);
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {}))
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      problems.push(`metadata.labels.${key}: not a label value`);
  return [...problems, ...limitProblems(object)];
}

/** The upstream example policies (the Pod of the two-document example is left out). */
export function upstreamExamplePolicies(): { file: string; object: any }[] {
  const files = [
    'lsm_bprm_check.yaml',
    'security-socket-connect-block-others.yaml',
    'file_monitoring_enforce.yaml',
    'network_egress_cluster_enforce.yaml',
    'file-block-kubectl-exec-access.yaml',
    'modules-nohost.yaml',
  ];
  return files.flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(join(tetragonDataDir, 'examples', file), 'utf8'))
      .map((document) => document.toJS())
      .filter((object) => object?.apiVersion === 'cilium.io/v1alpha1')
      .map((object) => ({ file, object })),
  );
}
