import { z } from 'zod';
import {
  AUDIT_LIMITS,
  enforcerTypes,
  MAX_UNBOUNDED_LIST,
  MAX_UNBOUNDED_TEXT,
  sentTruncatedFieldSchema,
  unboundedAuditEventSchema,
} from '../../../layers/core/index.js';

// The request bodies of the enforcer API, apart from the handler so that the OpenAPI document can use
// them without loading the Lambda's middleware.

/** Client event ids longer than this are refused; ids are namespaced per enforcer when stored. */
export const MAX_AUDIT_ID_LENGTH = 128;

/** Text without control characters (they would garble logs and consoles). */
const noControlCharacters = (text: string): boolean => [...text].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);
const plainText = (max: number) => z.string().min(1).max(max).refine(noControlCharacters, 'must not contain control characters');

/**
 * Keys that name members of every JavaScript object: a map holding one is taken for a class instance by
 * the DynamoDB marshaller (and is a prototype-pollution hazard wherever it is copied).
 */
const reservedKeys = new Set(['constructor', 'prototype', '__proto__']);
const RESERVED_KEY_MESSAGE = 'must not be "constructor", "prototype" or "__proto__" (reserved object keys)';

/** The body of POST /v1/enforcers/register. */
export const registerSchema = z.strictObject({
  name: plainText(256),
  type: z.enum(enforcerTypes),
  version: plainText(64).optional(),
  hostname: plainText(253).optional(),
  metadata: z
    .preprocess(
      (value, ctx) => {
        // zod drops a `__proto__` key silently; refuse it instead, like the other reserved keys.
        if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__'))
          ctx.addIssue({ code: 'custom', path: ['__proto__'], message: RESERVED_KEY_MESSAGE, input: value });
        return value;
      },
      z.record(
        z
          .string()
          .min(1)
          .max(128)
          .refine((key) => !reservedKeys.has(key), RESERVED_KEY_MESSAGE),
        z.string().max(1024),
      ),
    )
    .refine((value) => Object.keys(value).length <= 32, 'at most 32 entries')
    .optional(),
});

/**
 * An event as an enforcer sends it: the audit event of core, whose texts and lists the server cuts to the
 * AuditEvent bounds (with a marker, see boundAuditEvent) instead of refusing them; the server sets `enforcer`
 * and namespaces `id`.
 */
export const clientEventSchema = unboundedAuditEventSchema.extend({
  id: z
    .string()
    .min(1)
    .max(MAX_AUDIT_ID_LENGTH)
    .regex(/^[\u0021-\u007e]+$/, 'must be printable ASCII without spaces'),
  // Whatever the client says here is replaced by the authenticated identity.
  enforcer: z.unknown().optional(),
  truncated: z
    .array(sentTruncatedFieldSchema)
    .max(AUDIT_LIMITS.truncated)
    .optional()
    .describe(
      `What the enforcer cut before sending: each entry names a field the server cuts (message, workload.<field>, user.name, user.groups, command, unresolved, or an item of one of these lists below the most items it keeps) and its original length, at most what the server takes uncut (${MAX_UNBOUNDED_TEXT} characters; ${MAX_UNBOUNDED_LIST} items for a whole list).`,
    ),
});
