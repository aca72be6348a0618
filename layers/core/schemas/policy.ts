import { z } from 'zod';
import { controlsForType, policyTypes, type PolicyType } from '../catalog.js';
import { descriptionSchema, instantSchema, resourceNameSchema, serverManagedFields } from './common.js';
import { controlOptionsSchema } from './control-options.js';
import { policyScopeSchema } from './scope.js';

export const enforcementModes = ['audit', 'enforce'] as const;
export type EnforcementMode = (typeof enforcementModes)[number];

/** A scheduled switch of the enforcement mode: at an instant, or a number of days after the save. */
export const enforcementModeChangeSchema = z
  .strictObject({
    to: z.enum(enforcementModes),
    at: instantSchema.optional(),
    afterDays: z.number().int('must be a whole number of days').min(1).max(365).optional(),
    // Server-managed: the resolved instant, the state and the id that ties a schedule to this change.
    scheduledFor: instantSchema.optional().meta({ readOnly: true }),
    state: z.enum(['pending']).optional().meta({ readOnly: true }),
    id: z.string().optional().meta({ readOnly: true }),
  })
  .superRefine((change, ctx) => {
    if ((change.at === undefined) === (change.afterDays === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give exactly one of "at" (an ISO 8601 instant) or "afterDays" (whole days after the save)',
      });
    }
  });
export type EnforcementModeChange = z.output<typeof enforcementModeChangeSchema>;

/** The `controls` object of a policy of one type: only that type's controls, each `{enabled, ...options}`. */
function controlsSchemaFor(type: PolicyType) {
  const shape: Record<string, z.ZodOptional> = {};
  for (const [key, definition] of controlsForType(type)) {
    shape[key] = z
      .strictObject({ enabled: z.boolean().default(true) })
      .extend(controlOptionsSchema(definition).shape)
      .optional();
  }
  const known = [...controlsForType(type).keys()].join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.map((k) => `"${k}"`).join(', ')} ${issue.keys.length === 1 ? 'is not a control' : 'are not controls'} of ${type} policies (allowed: ${known})`
        : undefined,
  });
}

function policyVariant<T extends PolicyType>(type: T) {
  return z.strictObject({
    name: resourceNameSchema,
    type: z.literal(type),
    description: descriptionSchema.optional(),
    enabled: z.boolean().default(true),
    enforcementMode: z.enum(enforcementModes).default('audit'),
    enforcementModeChange: enforcementModeChangeSchema.nullable().optional(),
    scope: policyScopeSchema.default({ applicationScopes: ['Global'], expression: '', variables: [] }),
    controls: controlsSchemaFor(type).default({}),
    ...serverManagedFields,
    // Save responses carry advice; accepting it back lets a client PUT what a POST or PUT returned.
    warnings: z.array(z.string()).optional().meta({ readOnly: true, description: 'Save-time advice (responses only); ignored on input.' }),
  });
}

/** Validates a runtime policy of any type as sent by users (server-managed fields are accepted and ignored). */
export const policySchema = z
  .discriminatedUnion('type', [policyVariant('container'), policyVariant('function'), policyVariant('host')], {
    error: (issue) => (issue.code === 'invalid_union' ? `"type" must be one of ${policyTypes.join(', ')}` : undefined),
  })
  .superRefine((policy, ctx) => {
    const change = policy.enforcementModeChange;
    if (change && change.to === policy.enforcementMode) {
      ctx.addIssue({
        code: 'custom',
        path: ['enforcementModeChange', 'to'],
        message: `the policy is already in ${policy.enforcementMode} mode: "to" must differ from "enforcementMode"`,
      });
    }
  });

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type ControlSettings = { enabled: boolean } & Record<string, unknown>;
