import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../../console/generate-api-types.js';

describe("the console's API types", () => {
  it('are what the OpenAPI document generates (run npm run console:types after changing the API)', async () => {
    const checkedIn = await readFile(API_TYPES_FILE, 'utf8');
    expect(checkedIn).toBe(await generateApiTypes());
    // The generated file is the document's: a route of the API is in it.
    expect(checkedIn).toContain('"/v1/policies": {');
  });
});
