import { findAttribute } from './attributes.js';
import { findControl, type EnforcerType } from './catalog.js';
import { nodePolicyWarnings } from './node-policies/warnings.js';
import type { Policy } from './schemas/policy.js';

/** Controls whose empty allow-list makes every matching event a violation. */
const allowLists: Readonly<Record<string, string>> = {
  allowedRegistries: 'registries',
  blockAllProcesses: 'allowedExecutables',
  networkEgress: 'allowedHosts',
};

/**
 * Save-time advice that does not make a policy invalid: controls that act only on new workloads,
 * controls no registered enforcer type can apply, empty allow-lists, attributes the policy's
 * workloads never carry, and (when an agent group exists) what Tetragon cannot apply exactly on nodes.
 */
export function policyWarnings(policy: Policy, registeredEnforcerTypes: ReadonlySet<EnforcerType>): string[] {
  const warnings: string[] = [];
  for (const [key, settings] of Object.entries(
    policy.controls as Record<string, ({ enabled: boolean } & Record<string, unknown>) | undefined>,
  )) {
    if (!settings?.enabled) continue;
    const definition = findControl(policy.type, key);
    if (!definition) continue;
    if (definition.newWorkloadsOnly) {
      warnings.push(`${definition.name} (${key}) acts only on new workloads: running pods must be restarted before it applies to them`);
    }
    if (!definition.enforcedBy.some((type) => registeredEnforcerTypes.has(type))) {
      warnings.push(
        `${definition.name} (${key}) is enforced only by ${definition.enforcedBy.join(' or ')} enforcers and none is registered: it is stored and distributed, but nothing applies it yet`,
      );
    }
    const listKey = allowLists[key];
    if (listKey && Array.isArray(settings[listKey]) && (settings[listKey] as unknown[]).length === 0) {
      warnings.push(`${definition.name} (${key}) has an empty ${listKey} list: every matching event is a violation`);
    }
  }
  policy.scope.variables.forEach((variable, i) => {
    const attribute = findAttribute(variable.attribute);
    if (attribute && !attribute.availableFor.includes(policy.type)) {
      warnings.push(
        `scope variable v${i + 1} uses "${variable.attribute}", which ${policy.type} workloads do not have: it is always false`,
      );
    }
  });
  // Agent groups are where policies are compiled to Tetragon.
  if (registeredEnforcerTypes.has('agent')) warnings.push(...nodePolicyWarnings(policy));
  return warnings;
}
