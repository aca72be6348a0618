import { z } from 'zod';
import {
  convertCommercialDocument,
  importModes,
  isCommercialDocument,
  planImport,
  toExportDocument,
  type Policy,
} from '../../../layers/core/index.js';
import { ValidationError } from '../../shared/errors.js';
import { booleanQuery } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/middleware.js';
import type { ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { writeWithSchedules, type ScheduleTransition } from '../../shared/scheduling/schedule-sync.js';
import type { ConfigChange } from '../../shared/storage/ports.js';
import { resolveChange } from './policies.js';
import { SETTINGS_NAME } from './settings.js';

const importQuery = z.object({ dryRun: booleanQuery, mode: z.enum(importModes).default('upsert') });

/** Route handlers of policy-as-code: export and all-or-nothing import. */
export function policyIoRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  return {
    'GET /v1/export': async (): Promise<ApiResponse> => {
      const snapshot = await store.loadSnapshot();
      return { status: 200, body: toExportDocument(snapshot) };
    },

    'POST /v1/import': async (request: ApiRequest): Promise<ApiResponse> => {
      const { dryRun, mode } = validate(importQuery, { dryRun: request.query.dryRun, mode: request.query.mode }, 'the query string');
      // The commercial product's snake_case policies are converted first; what cannot be carried over is reported.
      const converted = isCommercialDocument(request.body) ? convertCommercialDocument(request.body) : undefined;
      const snapshot = await store.loadSnapshot();
      const plan = planImport(snapshot, converted ? converted.document : request.body, mode);
      if (!plan.ok) {
        throw new ValidationError(
          `the document has ${plan.errors.length} problem${plan.errors.length === 1 ? '' : 's'}; nothing was written`,
          plan.errors.map((e) => ({ ...e })),
        );
      }
      const storedPolicies = new Map(snapshot.policies.map((p) => [p.name, p]));
      const changes: ConfigChange[] = [];
      const schedules: ScheduleTransition[] = [];
      const problems: Array<{ path: string; message: string }> = [];
      for (const item of plan.items) {
        if (item.result === 'unchanged') continue;
        let doc: object = item.value;
        if (item.kind === 'policy') {
          try {
            const stored = storedPolicies.get(item.name) as Parameters<typeof resolveChange>[1];
            const change = resolveChange(item.value, stored, runtime);
            doc = { ...item.value, enforcementModeChange: change } satisfies Policy;
            schedules.push({ policy: item.name, before: stored?.enforcementModeChange, after: change });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            problems.push(...error.details.map((d) => ({ path: `policies.${item.index ?? 0}.${d.path}`, message: d.message })));
            continue;
          }
        }
        const name = item.kind === 'settings' ? SETTINGS_NAME : item.name;
        // Items the plan found stored carry their version: the write is conditioned on it.
        changes.push(
          item.previousVersion === undefined
            ? { op: 'create', kind: item.kind, name, doc }
            : { op: 'replace', kind: item.kind, name, doc, expectedVersion: item.previousVersion },
        );
      }
      if (problems.length > 0) throw new ValidationError('the document is invalid; nothing was written', problems);
      // Schedules first, then the all-or-nothing write; a failed write sets the schedules back (docs/adr/0004).
      if (!dryRun && changes.length > 0) await writeWithSchedules(runtime, schedules, () => store.apply(changes, request.actor, 'import'));
      return {
        status: 200,
        body: {
          dryRun: dryRun ?? false,
          items: plan.items.map((item) => ({
            kind: item.kind,
            name: item.kind === 'settings' ? SETTINGS_NAME : item.name,
            result: item.result,
          })),
          ...(converted && converted.unsupported.length > 0 ? { unsupported: converted.unsupported } : {}),
        },
      };
    },
  };
}
