// Writes console/src/api-types.ts: the console's API types, generated from the OpenAPI document the API
// serves, so that the browser code cannot drift from the contract. `npm run console:types` runs it, and
// test/unit/console/api-types.test.ts fails when the checked-in file is not what this produces.

import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../functions/api/openapi.js';

export const API_TYPES_FILE = fileURLToPath(new URL('./src/api-types.ts', import.meta.url));

const HEADER = '// Generated from the OpenAPI document by `npm run console:types`; do not edit by hand.\n\n';

/** The TypeScript source of the API types, as `npm run console:types` writes it. */
export async function generateApiTypes(): Promise<string> {
  // openapi-typescript reads the document as an OpenAPI 3 object; ours is built from the route table and schemas.
  const ast = await openapiTS(openApiDocument() as unknown as Parameters<typeof openapiTS>[0], { alphabetize: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(API_TYPES_FILE, await generateApiTypes());
  process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
}
