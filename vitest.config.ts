import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A focused test (`it.only`) would silently skip the rest of the suite in CI.
    allowOnly: false,
    passWithNoTests: false,
    testTimeout: 20_000,
  },
});
