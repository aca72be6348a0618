import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledInputs } from '../../support/bundled-inputs.js';
import { bundleLambda } from '../../../bench/lambda-bundle.js';
import { GOALS } from '../../../bench/suites/admission/plan.js';
import { functionEntries } from '../../../infra/lambda-bundling.js';

// The webhook's cold start and bundle size depend on what its entry point reaches: the schemas that
// validate documents (and zod with them) must stay out. An import through the core's index, or a core
// module that starts building schemas at load time, would pull them back in.

describe('the admission function bundle', () => {
  it('reaches neither zod nor the validating schemas', async () => {
    const inputs = await bundledInputs('functions/admission/index.ts');
    expect(inputs).toContain('layers/core/engine/snapshot.ts');
    expect(inputs).toContain('layers/core/admission/decode.ts');
    expect(
      inputs.filter(
        (input) =>
          input.includes('node_modules/zod/') || input.startsWith('layers/core/schemas/') || input === 'layers/core/admission/review.ts',
      ),
    ).toEqual([]);
  });

  it('as the stack bundles it, takes credentials from the environment only and stays within its size goal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-admission-bundle-'));
    try {
      const report = await bundleLambda(functionEntries.admission, join(dir, 'index.mjs'));
      // The SDK is inside, with the environment provider in place of the default chain (docs/adr/0007).
      expect(report.inputs).toContain('node_modules/@aws-sdk/client-dynamodb/dist-es/DynamoDBClient.js');
      expect(report.inputs).toContain('functions/shared/environment-credentials.ts');
      expect(report.inputs).toContain('node_modules/@aws-sdk/credential-provider-env/dist-es/fromEnv.js');
      const otherSources =
        /node_modules\/(@aws-sdk\/(credential-provider-(?!env\/)|nested-clients|token-providers|client-sso|client-sts)|@smithy\/credential-provider-imds)/;
      expect(report.inputs.filter((input) => otherSources.test(input))).toEqual([]);
      expect(report.bytes).toBeLessThanOrEqual(GOALS.admissionBundleBytesMax);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
