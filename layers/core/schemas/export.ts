import { z } from 'zod';
import { policySchema } from './policy.js';
import { applicationScopeSchema } from './scope.js';
import { enforcerSettingsSchema } from './settings.js';

export const EXPORT_FORMAT_VERSION = 1;

/** Policy-as-code document: what `GET /v1/export` returns and `POST /v1/import` accepts. */
export const exportDocumentSchema = z.strictObject({
  formatVersion: z.literal(EXPORT_FORMAT_VERSION, { error: `"formatVersion" must be ${EXPORT_FORMAT_VERSION}` }),
  policies: z.array(policySchema).max(10_000).default([]),
  applicationScopes: z.array(applicationScopeSchema).max(10_000).default([]),
  settings: enforcerSettingsSchema.optional(),
  // Only the list's shape here: each group is checked against the stored groups (type change, create mode) by
  // planEnforcerGroups, with the schema of PUT /v1/enforcer-groups/{name}, so every problem is named once.
  enforcerGroups: z.array(z.unknown()).max(1_000).optional().meta({
    description:
      'Enforcer groups, as GET /v1/export answers them (every group, without its token or server-managed fields). Each is the body of PUT /v1/enforcer-groups/{name}: a whole group, fields left out take their defaults; a token is never imported. Created groups get a new token, shown once in the answer; existing ones keep theirs. Groups absent from the document are never deleted.',
  }),
});
export type ExportDocument = z.output<typeof exportDocumentSchema>;
export type ExportDocumentInput = z.input<typeof exportDocumentSchema>;
