import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A focused test (`it.only`) would silently skip the rest of the suite in CI.
    allowOnly: false,
    passWithNoTests: false,
    testTimeout: 20_000,
    // Node 20 is supported here while the SDK announces it will require 22 later; the notice is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // One DynamoDB Local per run for the integration and end-to-end tests (see test/support).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
