import { z } from 'zod';

/** Names of policies, scopes and groups: what users type in the CLI and see in URLs. */
export const resourceNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: one anchored class run between two single characters
    /^[A-Za-z0-9._-](?:[A-Za-z0-9 ._-]*[A-Za-z0-9._-])?$/,
    'may contain only letters, digits, spaces, ".", "_" and "-", and must not start or end with a space',
  )
  // A URL path cannot address them: clients and proxies resolve `/v1/policies/..` to `/v1`.
  .refine((name) => name !== '.' && name !== '..', 'must not be "." or ".." (they cannot be addressed in a URL)');

/** Free text shown to people; bounded so that one item cannot bloat a DynamoDB item. */
export const descriptionSchema = z.string().max(1024, 'must be at most 1024 characters');

/** An ISO 8601 instant with a zone, e.g. 2026-12-01T09:00:00Z. */
export const instantSchema = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 instant with a time zone, e.g. 2026-12-01T09:00:00Z',
});

/** A glob pattern (`*` wildcards only) as users write them in allow- and block-lists. */
export const globSchema = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');

/** A list option of a control; empty by default so that `{"enabled": true}` is complete. */
export const globListSchema = z.array(globSchema).max(1000, 'must have at most 1000 entries').default([]);

/** Fields the server owns: accepted on input (a PUT may send back what GET returned) and ignored. */
export const serverManagedFields = {
  version: z.number().int().positive().optional().meta({ readOnly: true, description: 'Increments on every change; also the ETag.' }),
  createdAt: z.string().optional().meta({ readOnly: true }),
  updatedAt: z.string().optional().meta({ readOnly: true }),
  updatedBy: z.string().optional().meta({ readOnly: true }),
};
