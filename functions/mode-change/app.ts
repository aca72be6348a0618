import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { enforcementModes, instantSchema, resourceNameSchema } from '../../layers/core/index.js';
import type { Runtime } from '../shared/runtime.js';
import { applyModeChange, sweepOverdueChanges, type ModeChangeOutcome, type SweepReport } from '../shared/scheduling/mode-change.js';

// The mode-change Lambda: EventBridge Scheduler (or the local scheduler) delivers one change; an
// EventBridge rule's "Scheduled Event" runs the sweep of overdue changes. docs/adr/0004.

/** What a schedule delivers (see EventBridgeModeChangeScheduler and LocalScheduler). */
export const modeChangeInputSchema = z.strictObject({
  policy: resourceNameSchema,
  changeId: z.string().min(1).max(128),
  to: z.enum(enforcementModes),
  scheduledFor: instantSchema,
});

/** The periodic rule's event: only its shape matters. */
const sweepEventSchema = z.looseObject({ source: z.literal('aws.events'), 'detail-type': z.literal('Scheduled Event') });

export type ModeChangeResult =
  | ({ readonly trigger: 'schedule' } & ModeChangeOutcome)
  | ({ readonly trigger: 'sweep' } & SweepReport)
  | { readonly trigger: 'none'; readonly result: 'dropped'; readonly reason: 'invalid-input' };

export type ModeChangeHandler = (event: unknown, context: Context) => Promise<ModeChangeResult>;

/** The handler: parse → apply one change or sweep → a result saying what happened (never a retry loop on bad input). */
export function createModeChangeHandler(runtime: Runtime): ModeChangeHandler {
  const handle = async (event: unknown): Promise<ModeChangeResult> => {
    if (sweepEventSchema.safeParse(event).success) return { trigger: 'sweep', ...(await sweepOverdueChanges(runtime)) };
    const input = modeChangeInputSchema.safeParse(event);
    if (!input.success) {
      // Retrying cannot fix a malformed delivery: log it and let it go.
      runtime.logger.error('dropped a malformed mode-change delivery', { issues: input.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) });
      return { trigger: 'none', result: 'dropped', reason: 'invalid-input' };
    }
    return { trigger: 'schedule', ...(await applyModeChange(runtime, input.data, 'schedule')) };
  };
  return middy<unknown, ModeChangeResult>().use(injectLambdaContext(runtime.logger, { resetKeys: true })).handler(handle);
}
