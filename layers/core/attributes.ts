import type { PolicyType } from './catalog.js';

/** A workload attribute usable in scope variables and bypass entries. */
export interface AttributeDefinition {
  readonly attribute: string;
  /** Labels and tags carry a key: variables on them need `name` as well as `value`. */
  readonly keyed: boolean;
  /** Workload kinds that carry the attribute; `admission` means the Kubernetes request itself. */
  readonly availableFor: readonly PolicyType[];
}

const container: readonly PolicyType[] = ['container'];
const fn: readonly PolicyType[] = ['function'];
const host: readonly PolicyType[] = ['host'];

/** Attributes of the scope language (v1). */
export const attributeCatalog: readonly AttributeDefinition[] = [
  { attribute: 'kubernetes.cluster', keyed: false, availableFor: container },
  { attribute: 'kubernetes.namespace', keyed: false, availableFor: container },
  { attribute: 'kubernetes.pod', keyed: false, availableFor: container },
  { attribute: 'kubernetes.serviceaccount', keyed: false, availableFor: container },
  { attribute: 'kubernetes.label', keyed: true, availableFor: container },
  { attribute: 'container.label', keyed: true, availableFor: container },
  { attribute: 'kubernetes.deployment', keyed: false, availableFor: container },
  { attribute: 'container.name', keyed: false, availableFor: container },
  { attribute: 'container.image', keyed: false, availableFor: container },
  { attribute: 'image.registry', keyed: false, availableFor: container },
  { attribute: 'image.name', keyed: false, availableFor: container },
  { attribute: 'image.tag', keyed: false, availableFor: container },
  { attribute: 'function.name', keyed: false, availableFor: fn },
  { attribute: 'function.runtime', keyed: false, availableFor: fn },
  { attribute: 'function.tag', keyed: true, availableFor: fn },
  { attribute: 'cloud.awsaccount', keyed: false, availableFor: fn },
  { attribute: 'cloud.region', keyed: false, availableFor: fn },
  { attribute: 'os.hostname', keyed: false, availableFor: host },
  { attribute: 'os.type', keyed: false, availableFor: host },
  { attribute: 'host.group', keyed: false, availableFor: host },
  { attribute: 'host.label', keyed: true, availableFor: host },
  { attribute: 'enforcer.group', keyed: false, availableFor: ['container', 'function', 'host'] },
  { attribute: 'user.name', keyed: false, availableFor: container },
  { attribute: 'user.group', keyed: false, availableFor: container },
];

const byName = new Map(attributeCatalog.map((a) => [a.attribute, a]));

/** The definition of an attribute, or undefined when the scope language has no such attribute. */
export function findAttribute(attribute: string): AttributeDefinition | undefined {
  return byName.get(attribute);
}

/** Attribute names, longest first, so that dotted-string parsing picks the most specific one. */
export const attributeNamesLongestFirst: readonly string[] = [...byName.keys()].sort((a, b) => b.length - a.length);
