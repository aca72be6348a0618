import type { InvocationContext } from './ProtectionHandler.js';
import { ProtectionHandler } from './ProtectionHandler.js';

/** The slice of a middy request the middleware uses (no dependency on @middy/core at run time). */
interface MiddyRequest {
  readonly context: InvocationContext;
}

/** Options of vigilProtection(). */
export interface VigilProtectionProps {
  /** How long the end-of-invocation flush may wait for the control plane. @default 300 */
  readonly flushDeadlineMs?: number;
}

/** A middy middleware with the same behaviour as protect(). */
export function vigilProtection(props: VigilProtectionProps = {}) {
  const protection = ProtectionHandler.shared();
  const after = async (): Promise<void> => protection.afterInvocation(props.flushDeadlineMs);
  return {
    before: async (request: MiddyRequest): Promise<void> => protection.beforeInvocation(request.context),
    after,
    onError: after,
  };
}
