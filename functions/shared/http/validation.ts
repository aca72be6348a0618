import type { z } from 'zod';
import { ValidationError, type ErrorDetail } from '../errors.js';

// Only zod's types are imported here: the schemas come from the caller, so a function that validates
// nothing with zod (the webhook) does not load it through this module.

/** zod issues as error details with dotted JSON paths (`controls.blockContainerExec.allowedProcesses.0`). */
export function zodDetails(error: z.ZodError, prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    const extra = issue.code === 'custom' && issue.params ? { ...(issue.params as Record<string, unknown>) } : {};
    return { path: path === '' ? '(root)' : path, message: issue.message, ...extra };
  });
}

/** Parses a value with a schema or throws ValidationError naming every bad field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string, prefix: readonly PropertyKey[] = []): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`${what} is invalid`, zodDetails(result.error, prefix));
  return result.data;
}
