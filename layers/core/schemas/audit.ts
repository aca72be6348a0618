import { z } from 'zod';
import { AUDIT_LIMITS, CUT_LIST_FIELDS, CUT_TEXT_FIELDS } from '../audit-limits.js';
import { actions, enforcerTypes, policyTypes } from '../catalog.js';
import { enforcementModes } from './policy.js';

export const auditStatuses = ['Detect', 'Block'] as const;
export type AuditStatus = (typeof auditStatuses)[number];

const nullableText = z.string().max(AUDIT_LIMITS.text).nullable().default(null);

/** A field that was cut to its bound when the event was made, and its original length. */
export const truncatedFieldSchema = z.strictObject({
  field: z
    .string()
    .max(AUDIT_LIMITS.truncatedField)
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: an optional ".field" and an optional fixed-width "[n]", each starting with its own literal
    .regex(/^[a-z]+(\.[a-z]+)?(\[\d{1,3}\])?$/, 'must name a field of the event, e.g. command[2]'),
  length: z.number().int().nonnegative().describe('the original length: characters of a text, items of a list'),
});

/** Longest text and list an unbounded event may bring: far above every bound, still bounded. */
export const MAX_UNBOUNDED_TEXT = 1024 * 1024;
export const MAX_UNBOUNDED_LIST = 65_536;

/**
 * A `truncated` entry as an enforcer sends it: its claim of what it cut. Besides the shape, it must name a field
 * boundAuditEvent cuts (an item of a list below the most items the list keeps), and no longer a length than the
 * server itself takes uncut from an enforcer (MAX_UNBOUNDED_TEXT characters, MAX_UNBOUNDED_LIST items), so that an
 * agent cannot make the audit log say that fields were cut that no event has, or from lengths nothing could send.
 */
export const sentTruncatedFieldSchema = truncatedFieldSchema.superRefine((entry, ctx) => {
  // The shape is the pattern's to judge; its own message names it.
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: the field pattern's, with groups to read its path and index
  const shape = /^([a-z]+(?:\.[a-z]+)?)(?:\[(\d{1,3})\])?$/.exec(entry.field);
  if (!shape) return;
  const [, path = '', index] = shape;
  const keptItems = Object.hasOwn(CUT_LIST_FIELDS, path) ? CUT_LIST_FIELDS[path] : undefined;
  const known =
    index === undefined ? CUT_TEXT_FIELDS.has(path) || keptItems !== undefined : keptItems !== undefined && Number(index) < keptItems;
  if (!known) {
    ctx.addIssue({
      code: 'custom',
      path: ['field'],
      input: entry.field,
      message: `must name a field the server cuts: ${[...CUT_TEXT_FIELDS].join(', ')}, or ${Object.entries(CUT_LIST_FIELDS)
        .map(([list, kept]) => `${list} or ${list}[0] to ${list}[${kept - 1}]`)
        .join(', ')}`,
    });
    return;
  }
  const [most, unit] = index === undefined && keptItems !== undefined ? [MAX_UNBOUNDED_LIST, 'items'] : [MAX_UNBOUNDED_TEXT, 'characters'];
  if (entry.length > most)
    ctx.addIssue({
      code: 'custom',
      path: ['length'],
      input: entry.length,
      message: `must be at most ${most} (${unit}): the most the server takes uncut`,
    });
});

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
  message: z.string().max(AUDIT_LIMITS.message),
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
    .strictObject({
      name: z.string().max(AUDIT_LIMITS.text).nullable(),
      groups: z.array(z.string().max(AUDIT_LIMITS.text)).max(AUDIT_LIMITS.groups),
    })
    .nullable()
    .default(null),
  command: z.array(z.string().max(AUDIT_LIMITS.argument)).max(AUDIT_LIMITS.arguments).nullable().default(null),
  enforcer: z.strictObject({ group: z.string().max(128), type: z.enum(enforcerTypes), id: z.string().max(128).nullable() }),
  /** Attributes that could not be resolved (e.g. labels of a pod the webhook never saw created). */
  unresolved: z.array(z.string().max(AUDIT_LIMITS.unresolvedEntry)).max(AUDIT_LIMITS.unresolved).optional(),
  /**
   * Fields cut to their bound when the event was made (the cut text carries a visible `[… N characters cut …]`
   * marker); absent when nothing was cut.
   */
  truncated: z.array(truncatedFieldSchema).max(AUDIT_LIMITS.truncated).optional(),
});
export type AuditEvent = z.output<typeof auditEventSchema>;

const unboundedText = z.string().max(MAX_UNBOUNDED_TEXT);
const unboundedNullableText = unboundedText.nullable().default(null);

/**
 * An AuditEvent's structure with generous length bounds: what is cut to the schema's bounds with
 * boundAuditEvent instead of being refused (an enforcer's report, an event stored before events were cut).
 * Refusing it would lose the event, and padding a command would then be a way to stay unrecorded.
 */
export const unboundedAuditEventSchema = auditEventSchema.extend({
  message: unboundedText,
  workload: z.strictObject({
    cluster: unboundedNullableText,
    namespace: unboundedNullableText,
    pod: unboundedNullableText,
    container: unboundedNullableText,
    image: unboundedNullableText,
    function: unboundedNullableText,
    host: unboundedNullableText,
  }),
  user: z
    .strictObject({ name: unboundedText.nullable(), groups: z.array(unboundedText).max(MAX_UNBOUNDED_LIST) })
    .nullable()
    .default(null),
  command: z.array(unboundedText).max(MAX_UNBOUNDED_LIST).nullable().default(null),
  unresolved: z.array(unboundedText).max(MAX_UNBOUNDED_LIST).optional(),
});
