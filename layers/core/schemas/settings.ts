import { z } from 'zod';
import { DottedSelectorError, parseDottedSelector } from '../bypass.js';
import { defaultBypassScopes } from '../builtins.js';
import { enforcerTypes } from '../catalog.js';
import { descriptionSchema, resourceNameSchema, serverManagedFields } from './common.js';
import { scopeVariableSchema } from './scope.js';

function bypassFromDotted(text: string, ctx: z.RefinementCtx) {
  let parsed;
  try {
    parsed = scopeVariableSchema.safeParse(parseDottedSelector(text));
  } catch (error) {
    if (!(error instanceof DottedSelectorError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `"${text}": ${parsed.error.issues[0]?.message ?? 'not a valid selector'}` });
    return z.NEVER;
  }
  return parsed.data;
}

/** A bypass entry: structured, or the dotted string form (normalised to structured). */
export const bypassEntrySchema = z.union([scopeVariableSchema, z.string().max(2048).transform(bypassFromDotted)], {
  // A union reports "invalid input" by default; tell the user what is wrong with the form they chose.
  error: (issue) => {
    if (issue.code !== 'invalid_union' || typeof issue.input !== 'string') return undefined;
    const dottedBranch = 1;
    return issue.errors[dottedBranch]?.[0]?.message;
  },
});

/** Settings → Enforcer: the global bypass and audit settings. */
export const enforcerSettingsSchema = z.strictObject({
  bypassScopes: z
    .array(bypassEntrySchema)
    .max(256)
    .default(defaultBypassScopes.map((entry) => ({ ...entry }))),
  admissionWarnings: z.boolean().default(true),
  auditRetentionDays: z.number().int().min(1).max(3650).default(90),
  ...serverManagedFields,
});
export type EnforcerSettings = z.output<typeof enforcerSettingsSchema>;

/** A set of enforcers sharing one token and settings. */
export const enforcerGroupSchema = z.strictObject({
  name: resourceNameSchema,
  type: z.enum(enforcerTypes),
  description: descriptionSchema.optional(),
  enforce: z.boolean().default(false).meta({ description: 'false = audit only: Block verdicts are downgraded to Detect.' }),
  containerProtection: z.boolean().default(true),
  hostProtection: z.boolean().default(true),
  failMode: z.enum(['open', 'closed']).default('open').meta({ description: 'What the webhook answers when it cannot decide.' }),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(30)
    .default(5)
    .meta({ description: 'Admission webhook timeout written into generated manifests.' }),
  exemptKubeSystem: z.boolean().default(true).meta({
    description:
      'Fail-closed groups only: the generated manifest leaves kube-system out (namespaceSelector), so that CoreDNS, aws-node and kube-proxy pods still start while Vigil is unreachable. false sends kube-system to the webhook as well (the global bypass then decides). Changing it needs the manifests re-issued.',
  }),
  ...serverManagedFields,
});
export type EnforcerGroup = z.output<typeof enforcerGroupSchema>;

/** The groups every installation starts with. */
export const defaultEnforcerGroups: readonly EnforcerGroup[] = [
  enforcerGroupSchema.parse({ name: 'default', type: 'agent', description: 'Default group for node and host agents.' }),
  enforcerGroupSchema.parse({
    name: 'default-ke',
    type: 'kube_enforcer',
    description: 'Default group for EKS admission webhooks (audit only).',
  }),
];
