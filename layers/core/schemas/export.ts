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
});
export type ExportDocument = z.output<typeof exportDocumentSchema>;
export type ExportDocumentInput = z.input<typeof exportDocumentSchema>;
