import { ProtectionHandler, type InvocationContext } from './ProtectionHandler.js';

/** An async Lambda handler. */
export type AsyncHandler<E, C extends InvocationContext, R> = (event: E, context: C) => Promise<R>;

/** Options of protect(). */
export interface ProtectProps {
  /** How long the end-of-invocation flush may wait for the control plane. @default 300 */
  readonly flushDeadlineMs?: number;
}

/**
 * Wraps an async handler: protection is installed when this module loads (at init), the first invocation
 * waits for the bundle only when nothing is embedded, and queued events are flushed after each invocation.
 */
export function protect<E, C extends InvocationContext, R>(
  handler: AsyncHandler<E, C, R>,
  props: ProtectProps = {},
): AsyncHandler<E, C, R> {
  const protection = ProtectionHandler.shared();
  return async (event, context) => {
    await protection.beforeInvocation(context);
    try {
      return await handler(event, context);
    } finally {
      await protection.afterInvocation(props.flushDeadlineMs);
    }
  };
}

export { ProtectionHandler };
