import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The webhook's cold start and bundle size depend on what its entry point reaches: the schemas that
// validate documents (and zod with them) must stay out. An import through the core's index, or a core
// module that starts building schemas at load time, would pull them back in.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'esm', external: ['@aws-sdk/*'], metafile: true, logLevel: 'silent', absWorkingDir: repoRoot });
  return Object.keys(result.metafile.inputs);
}

describe('the admission function bundle', () => {
  it('reaches neither zod nor the validating schemas', async () => {
    const inputs = await bundledInputs('functions/admission/index.ts');
    expect(inputs).toContain('layers/core/engine/snapshot.ts');
    expect(inputs).toContain('layers/core/admission/decode.ts');
    expect(inputs.filter((input) => input.includes('node_modules/zod/') || input.startsWith('layers/core/schemas/') || input === 'layers/core/admission/review.ts')).toEqual([]);
  });
});
