/**
 * Save-time advice about what Tetragon makes of a policy on nodes: controls it cannot apply, controls it
 * applies approximately, options it cannot express exactly, and criteria it cannot select on. The compile
 * report of a cluster says the same with the cluster's facts; this is what can be said from the policy alone.
 */
import { findControl } from '../catalog.js';
import type { Policy } from '../schemas/policy.js';
import { nodeControl } from './controls.js';
import { lowerFormula } from './scope.js';

/** Advice lines about node enforcement of a container or host policy (none for function policies). */
export function nodePolicyWarnings(policy: Policy): string[] {
  if (policy.type === 'function') return [];
  const controls = policy.controls as Record<string, ({ enabled: boolean } & Record<string, unknown>) | undefined>;
  const warnings: string[] = [];
  let compilesHooks = false;
  for (const [key, settings] of Object.entries(controls).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!settings?.enabled) continue;
    const node = nodeControl(policy.type, key);
    const definition = findControl(policy.type, key);
    if (!node || !definition) continue;
    const lowering = node.lower(settings);
    const label = `${definition.name} (${key})`;
    if (lowering.fidelity === 'impossible') {
      warnings.push(`${label} is not enforced on nodes: ${lowering.inherent.join('; ')}`);
      continue;
    }
    compilesHooks ||= lowering.hooks.length > 0;
    if (key === 'driftPrevention' && !controls.readOnlyRootFilesystem?.enabled)
      warnings.push(
        `${label} is approximate on nodes: Tetragon ${lowering.inherent.join('; ')}; enable Read-only Root Filesystem (readOnlyRootFilesystem) in this policy to close the gap`,
      );
    if (key === 'reverseShell') warnings.push(`${label} is approximate on nodes: Tetragon ${lowering.inherent.join('; ')}`);
    for (const reason of lowering.reasons) warnings.push(`${label} on nodes: ${reason}`);
  }
  if (compilesHooks) {
    const lowered = lowerFormula(policy.scope.expression, policy.scope.variables, policy.type, {});
    if (lowered.kind === 'some' && !lowered.exact)
      warnings.push(
        `the scope is widened on nodes (${[...new Set(lowered.widenedBecause)].join('; ')}): Tetragon acts on more workloads than the scope, events outside it are not reported, and where the policy would block it runs in monitor mode (Detect) instead`,
      );
  }
  return warnings;
}
