import type { Action } from '../catalog.js';
import { joinMessages, NONE, perDecision, programMatcher, quoted, strings, type Evaluator } from './control-kit.js';
import type { DecisionEvent, EventOf, Finding } from './events.js';

// Controls judging Kubernetes CONNECT requests: exec, attach, port forwarding and debug containers.

/** What every blockContainerExec setting derives from an exec: the program and the finding about it. */
const execFinding = perDecision((event: EventOf<'exec'>) => {
  // `bash -c …` is `bash`: the allow-list names programs, not command lines.
  const program = event.command[0] ?? '';
  return { program, findings: [{ key: 'exec', message: `exec of ${quoted(program)} is not an allowed process` }] as readonly Finding[] };
});

export const blockContainerExec: Evaluator = (options) => {
  const allowed = programMatcher(strings(options, 'allowedProcesses'));
  const findingsOf = (event: DecisionEvent, decision: number): readonly Finding[] => {
    if (event.action !== 'exec') return NONE;
    const { program, findings } = execFinding(event, decision);
    return program !== '' && allowed(program) ? NONE : findings;
  };
  return { evaluate: (event) => findingsOf(event, 0), message: (event, decision) => joinMessages(findingsOf(event, decision)) };
};

function always(action: Action, message: string): Evaluator {
  return () => (event) => (event.action === action ? [{ key: action, message }] : NONE);
}

export const blockContainerAttach = always('attach', 'attaching to a running container is not allowed');
export const blockPortForward = always('portforward', 'port forwarding to a pod is not allowed');
export const blockDebugContainers = always('debug', 'adding a debug (ephemeral) container is not allowed');
