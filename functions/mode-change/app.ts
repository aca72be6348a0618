import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
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

/**
 * EMF metrics of what a delivery did, dimension `trigger`: `ModeChangesApplied` and `ModeChangesFailed`.
 * Changes applied by the sweep are schedules that did not fire. Nothing is emitted when nothing happened,
 * so an idle installation has no custom metric to pay for.
 */
function emitMetrics(metrics: Metrics, result: ModeChangeResult): void {
  const applied = result.trigger === 'sweep' ? result.applied.length : 'result' in result && result.result === 'applied' ? 1 : 0;
  const failed = result.trigger === 'sweep' ? result.failed.length : 0;
  if (applied === 0 && failed === 0) return;
  metrics.addDimension('trigger', result.trigger);
  if (applied > 0) metrics.addMetric('ModeChangesApplied', MetricUnit.Count, applied);
  if (failed > 0) metrics.addMetric('ModeChangesFailed', MetricUnit.Count, failed);
  metrics.publishStoredMetrics();
}

/** The handler: parse → apply one change or sweep → a result saying what happened (never a retry loop on bad input). */
export function createModeChangeHandler(runtime: Runtime, options: { readonly metrics?: Metrics } = {}): ModeChangeHandler {
  const decide = async (event: unknown): Promise<ModeChangeResult> => {
    if (sweepEventSchema.safeParse(event).success) return { trigger: 'sweep', ...(await sweepOverdueChanges(runtime)) };
    const input = modeChangeInputSchema.safeParse(event);
    if (!input.success) {
      // Retrying cannot fix a malformed delivery: log it and let it go.
      runtime.logger.error('dropped a malformed mode-change delivery', {
        issues: input.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      });
      return { trigger: 'none', result: 'dropped', reason: 'invalid-input' };
    }
    return { trigger: 'schedule', ...(await applyModeChange(runtime, input.data, 'schedule')) };
  };
  const handle = async (event: unknown): Promise<ModeChangeResult> => {
    const result = await decide(event);
    if (options.metrics) emitMetrics(options.metrics, result);
    return result;
  };
  return middy<unknown, ModeChangeResult>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .handler(handle);
}
