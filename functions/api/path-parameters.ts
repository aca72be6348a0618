import { resourceNameSchema } from '../../layers/core/index.js';
import { ValidationError, type ErrorDetail } from '../shared/errors.js';

// Path parameters become DynamoDB keys. One that no resource can have (too long, `.`, characters names
// never hold) is refused here with a 400 naming it: it never reaches storage, where an over-long key is a
// ValidationException that would surface as a misleading 503.

/** Ids (audit events, templates) are at most this long; stored ids are far shorter. */
const MAX_ID_LENGTH = 256;

/** Checks the `{name}` and `{id}` parameters of a route; throws ValidationError listing each bad one. */
export function checkPathParameters(params: Readonly<Record<string, string | undefined>>): void {
  const details: ErrorDetail[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (key === 'name') {
      const parsed = resourceNameSchema.safeParse(value);
      if (!parsed.success) details.push(...parsed.error.issues.map((issue) => ({ path: `(path).${key}`, message: issue.message })));
    } else if (key === 'id' && (value.length === 0 || value.length > MAX_ID_LENGTH)) {
      details.push({ path: `(path).${key}`, message: `must be 1 to ${MAX_ID_LENGTH} characters long` });
    }
  }
  if (details.length > 0) throw new ValidationError('the path names no resource that can exist', details);
}
