import { readdir } from 'node:fs/promises';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { bundledInputs, repoRoot } from '../support/bundled-inputs.js';

// The lint rules in eslint.config.js keep zod off the webhook and the protection layer: there, the core is
// imported by value only through its zod-free surface. These tests keep the rules honest: the surface
// really loads no zod, and every module the webhook's bundle reaches is one the rules check.

async function sourcesUnder(folder: string): Promise<string[]> {
  const names = await readdir(new URL(folder, new URL(repoRoot, 'file:')));
  return names.filter((name) => name.endsWith('.ts')).map((name) => `${folder}${name}`);
}

describe('the zod-free entry of the core', () => {
  it('reaches neither zod nor the schemas, and covers every engine and scope module the lint rules let through', async () => {
    const inputs = await bundledInputs('layers/core/zod-free.ts');
    const zodBearing = inputs.filter(
      (input) =>
        input.includes('node_modules/zod/') || input.startsWith('layers/core/schemas/') || input === 'layers/core/admission/review.ts',
    );
    expect(zodBearing).toEqual([]);
    const allowedByFolder = [...(await sourcesUnder('layers/core/engine/')), ...(await sourcesUnder('layers/core/scope/'))];
    expect(allowedByFolder.filter((source) => !inputs.includes(source))).toEqual([]);
  });
});

describe('the import-boundary lint rules', () => {
  it('check every control-plane module the admission bundle reaches for zod imports by value', async () => {
    const reached = (await bundledInputs('functions/admission/index.ts')).filter((input) => input.startsWith('functions/'));
    expect(reached).toContain('functions/admission/app.ts');
    const eslint = new ESLint({ cwd: repoRoot });
    const unchecked: string[] = [];
    for (const file of reached) {
      const config = (await eslint.calculateConfigForFile(file)) as { rules?: Record<string, unknown> };
      const setting = JSON.stringify(config.rules?.['no-restricted-imports'] ?? []);
      if (!setting.includes('"zod"') || !setting.includes('zod-free')) unchecked.push(file);
    }
    expect(unchecked).toEqual([]);
  });
});
