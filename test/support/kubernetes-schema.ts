// Validates a ValidatingWebhookConfiguration the way a Kubernetes 1.35 API server would accept it: the structure
// against the admissionregistration.k8s.io/v1 OpenAPI document (types, required fields, and no unknown fields, as
// `kubectl apply` validates strictly), then the value rules the document cannot express, which the API server
// checks in code (pkg/apis/admissionregistration/validation/validation.go and the webhook URL rules of
// k8s.io/apiserver). SOURCES.md next to the document says where it comes from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../infra/lambda-bundling.js';

export interface Schema {
  readonly $ref?: string;
  readonly allOf?: readonly Schema[];
  readonly type?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly required?: readonly string[];
}

const documentPath = join(repoRoot, '..', 'shared', 'testdata', 'kubernetes', 'apis__admissionregistration.k8s.io__v1_openapi.json');
export const schemas = (JSON.parse(readFileSync(documentPath, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components
  .schemas;
const CONFIGURATION = 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration';

/** Follows `$ref` and the single-element `allOf` wrappers the Kubernetes documents use around references. */
function resolve(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    if (current.$ref) current = schemas[current.$ref.replace('#/components/schemas/', '')]!;
    else if (current.allOf?.length === 1 && !current.type && !current.properties) current = current.allOf[0]!;
    else return current;
  }
}

function typeProblem(value: unknown, schema: Schema): string | undefined {
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'must be an object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be an array';
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (schema.format === 'byte' && Buffer.from(value, 'base64').toString('base64') !== value) return 'must be base64';
      return undefined;
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer';
    case 'number':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean';
    default:
      return undefined;
  }
}

/** Types, required fields and no unknown fields, against a schema of the document (or one in its form that refers to it). */
export function checkStructure(value: unknown, schema: Schema, path: string, problems: string[]): void {
  const resolved = resolve(schema);
  const problem = typeProblem(value, resolved);
  if (problem) {
    problems.push(`${path}: ${problem}`);
    return;
  }
  if (Array.isArray(value) && resolved.items) value.forEach((item, i) => checkStructure(item, resolved.items!, `${path}[${i}]`, problems));
  if (resolved.type === 'object' || resolved.properties) {
    const object = value as Record<string, unknown>;
    for (const field of resolved.required ?? []) if (!(field in object)) problems.push(`${path}.${field}: required`);
    for (const [key, child] of Object.entries(object)) {
      const declared = resolved.properties?.[key];
      if (declared) checkStructure(child, declared, `${path}.${key}`, problems);
      else if (typeof resolved.additionalProperties === 'object')
        checkStructure(child, resolved.additionalProperties, `${path}.${key}`, problems);
      else problems.push(`${path}.${key}: unknown field`);
    }
  }
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes' IsDNS1123Subdomain: at most 253 characters, labels of at most 63. */
export function isDns1123Subdomain(name: string): boolean {
  return (
    name.length <= 253 && DNS1123_SUBDOMAIN.test(name) && name.split('.').every((label) => label.length <= 63 && DNS1123_LABEL.test(label))
  );
}

/** Kubernetes' IsQualifiedName: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1)!;
  if (parts.length === 2 && (parts[0] === '' || !isDns1123Subdomain(parts[0]!))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function checkSelector(selector: any, path: string, problems: string[]): void {
  for (const [i, requirement] of (selector.matchExpressions ?? []).entries()) {
    const at = `${path}.matchExpressions[${i}]`;
    if (!isQualifiedName(requirement.key)) problems.push(`${at}.key: not a qualified name`);
    const values: unknown[] = requirement.values ?? [];
    if (requirement.operator === 'In' || requirement.operator === 'NotIn') {
      if (values.length === 0) problems.push(`${at}.values: must be non-empty for ${requirement.operator}`);
    } else if (requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') {
      if (values.length > 0) problems.push(`${at}.values: must be empty for ${requirement.operator}`);
    } else problems.push(`${at}.operator: not a valid selector operator`);
    for (const value of values)
      if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`${at}.values: ${String(value)}`);
  }
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (!isQualifiedName(key) || typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      problems.push(`${path}.matchLabels.${key}`);
}

function checkValues(configuration: any, problems: string[]): void {
  if (configuration.apiVersion !== 'admissionregistration.k8s.io/v1') problems.push('apiVersion: must be admissionregistration.k8s.io/v1');
  if (configuration.kind !== 'ValidatingWebhookConfiguration') problems.push('kind: must be ValidatingWebhookConfiguration');
  const name: unknown = configuration.metadata?.name;
  if (typeof name !== 'string' || !isDns1123Subdomain(name))
    problems.push(`metadata.name: ${JSON.stringify(name)} is not a DNS-1123 subdomain`);
  for (const [key, value] of Object.entries(configuration.metadata?.labels ?? {}))
    if (!isQualifiedName(key) || typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      problems.push(`metadata.labels.${key}`);
  const seen = new Set<string>();
  for (const [i, webhook] of (configuration.webhooks ?? []).entries()) {
    const at = `webhooks[${i}]`;
    if (seen.has(webhook.name)) problems.push(`${at}.name: duplicate`);
    seen.add(webhook.name);
    if (!isDns1123Subdomain(webhook.name ?? '') || (webhook.name ?? '').split('.').length < 3)
      problems.push(`${at}.name: must be a fully qualified name with at least three segments`);
    if (
      !Array.isArray(webhook.admissionReviewVersions) ||
      !webhook.admissionReviewVersions.some((v: string) => v === 'v1' || v === 'v1beta1')
    )
      problems.push(`${at}.admissionReviewVersions: must include a version the API server knows`);
    if (!['None', 'NoneOnDryRun'].includes(webhook.sideEffects)) problems.push(`${at}.sideEffects: must be None or NoneOnDryRun`);
    if (webhook.failurePolicy !== undefined && !['Ignore', 'Fail'].includes(webhook.failurePolicy)) problems.push(`${at}.failurePolicy`);
    if (webhook.matchPolicy !== undefined && !['Exact', 'Equivalent'].includes(webhook.matchPolicy)) problems.push(`${at}.matchPolicy`);
    if (webhook.timeoutSeconds !== undefined && !(webhook.timeoutSeconds >= 1 && webhook.timeoutSeconds <= 30))
      problems.push(`${at}.timeoutSeconds: must be between 1 and 30`);
    const client = webhook.clientConfig ?? {};
    if ((client.url === undefined) === (client.service === undefined)) problems.push(`${at}.clientConfig: exactly one of url or service`);
    if (client.url !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(client.url);
      } catch {
        problems.push(`${at}.clientConfig.url: not a URL`);
      }
      if (url) {
        if (url.protocol !== 'https:') problems.push(`${at}.clientConfig.url: must be https`);
        if (url.hostname === '') problems.push(`${at}.clientConfig.url: must have a host`);
        if (url.username || url.password) problems.push(`${at}.clientConfig.url: must not carry user info`);
        if (url.search !== '' || url.hash !== '' || client.url.includes('?') || client.url.includes('#'))
          problems.push(`${at}.clientConfig.url: must not have a query or fragment`);
      }
    }
    for (const [j, rule] of (webhook.rules ?? []).entries()) {
      for (const field of ['apiGroups', 'apiVersions', 'operations', 'resources'])
        if (!Array.isArray(rule[field]) || rule[field].length === 0) problems.push(`${at}.rules[${j}].${field}: required`);
      for (const operation of rule.operations ?? [])
        if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'].includes(operation))
          problems.push(`${at}.rules[${j}].operations: ${operation}`);
      if (rule.scope !== undefined && !['Cluster', 'Namespaced', '*'].includes(rule.scope)) problems.push(`${at}.rules[${j}].scope`);
    }
    if (webhook.namespaceSelector) checkSelector(webhook.namespaceSelector, `${at}.namespaceSelector`, problems);
    if (webhook.objectSelector) checkSelector(webhook.objectSelector, `${at}.objectSelector`, problems);
  }
}

/** Every reason a Kubernetes 1.35 API server would refuse the configuration; empty when it would accept it. */
export function validateWebhookConfiguration(configuration: unknown): string[] {
  const problems: string[] = [];
  checkStructure(configuration, schemas[CONFIGURATION]!, '', problems);
  if (problems.length === 0) checkValues(configuration, problems);
  return problems.map((problem) => problem.replace(/^\./, ''));
}
