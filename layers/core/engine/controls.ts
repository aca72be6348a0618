import type { ControlDefinition, PolicyType } from '../catalog.js';
import { blockContainerAttach, blockContainerExec, blockDebugContainers, blockPortForward } from './connect-controls.js';
import { joinMessages, type Evaluator, type Options } from './control-kit.js';
import type { DecisionEvent, Finding } from './events.js';
import { fileIntegrityMonitoring, readOnlyFiles } from './file-controls.js';
import { honeypot, loginAuditing, osUsers } from './identity-controls.js';
import { networkEgress, portBlock } from './network-controls.js';
import {
  allowedRegistries,
  blockedCapabilities,
  limitContainerPrivileges,
  noNewPrivileges,
  readOnlyRootFilesystem,
  restrictedVolumes,
} from './pod-spec-controls.js';
import { blockAllProcesses, blockedExecutables, driftPrevention, forkGuard, reverseShell } from './process-controls.js';

// The registry of evaluators, one module per control family, and the compilation of a policy's control.

/** A control of one policy, its options compiled once. */
export interface CompiledControl {
  readonly definition: ControlDefinition;
  /** Returns what the control objects to in the event; empty means no violation. */
  readonly evaluate: (event: DecisionEvent) => readonly Finding[];
  /**
   * The findings of `evaluate` joined into one violation message ("; " between them), or undefined when
   * there are none. `decision` numbers the decision being made (see decide): controls of the same kind
   * with other settings then share what they derive from the event, and equal messages are built once.
   * 0 shares nothing.
   */
  readonly message: (event: DecisionEvent, decision: number) => string | undefined;
}

const evaluators: Readonly<Record<PolicyType, Readonly<Record<string, Evaluator>>>> = {
  container: {
    blockContainerExec,
    blockContainerAttach,
    blockPortForward,
    blockDebugContainers,
    limitContainerPrivileges,
    noNewPrivileges,
    blockedCapabilities,
    restrictedVolumes,
    allowedRegistries,
    readOnlyRootFilesystem,
    driftPrevention,
    blockedExecutables,
    reverseShell,
    forkGuard,
    portBlock,
    readOnlyFiles,
    fileIntegrityMonitoring,
  },
  function: { blockedExecutables, driftPrevention, blockAllProcesses, honeypot, networkEgress },
  host: { blockedExecutables, fileIntegrityMonitoring, readOnlyFiles, osUsers, loginAuditing, portBlock },
};

/** Compiles one enabled control of a policy; undefined when the engine has no evaluator for it. */
export function compileControl(definition: ControlDefinition, options: Options): CompiledControl | undefined {
  const evaluator = evaluators[definition.policyType][definition.key];
  if (!evaluator) return undefined;
  const compiled = evaluator(options);
  if (typeof compiled !== 'function') return { definition, evaluate: compiled.evaluate, message: compiled.message };
  return { definition, evaluate: compiled, message: (event) => joinMessages(compiled(event)) };
}
