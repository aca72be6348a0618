import { z } from 'zod';
import { actions, enforcerTypes, policyTypes } from '../catalog.js';
import { enforcementModes } from './policy.js';

export const auditStatuses = ['Detect', 'Block'] as const;
export type AuditStatus = (typeof auditStatuses)[number];

const nullableText = z.string().max(1024).nullable().default(null);

/** One Detect or Block event, from the webhook, the protection layer or an agent. */
export const auditEventSchema = z.strictObject({
  id: z.string().min(1).max(128),
  time: z.iso.datetime(),
  status: z.enum(auditStatuses),
  policy: z.string().max(128),
  policyType: z.enum(policyTypes),
  policyVersion: z.number().int().nonnegative(),
  control: z.string().max(64),
  controlName: z.string().max(128),
  enforcementMode: z.enum(enforcementModes),
  action: z.enum(actions),
  message: z.string().max(2048),
  workload: z.strictObject({
    cluster: nullableText,
    namespace: nullableText,
    pod: nullableText,
    container: nullableText,
    image: nullableText,
    function: nullableText,
    host: nullableText,
  }),
  user: z
    .strictObject({ name: z.string().max(1024).nullable(), groups: z.array(z.string().max(1024)).max(256) })
    .nullable()
    .default(null),
  command: z.array(z.string().max(4096)).max(256).nullable().default(null),
  enforcer: z.strictObject({ group: z.string().max(128), type: z.enum(enforcerTypes), id: z.string().max(128).nullable() }),
  /** Attributes that could not be resolved (e.g. labels of a pod the webhook never saw created). */
  unresolved: z.array(z.string().max(128)).max(64).optional(),
});
export type AuditEvent = z.output<typeof auditEventSchema>;
