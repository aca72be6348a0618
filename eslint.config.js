// @ts-check
import js from '@eslint/js';
import eslintComments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import vitest from '@vitest/eslint-plugin';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

/** Modules the pure domain must never reach: AWS, middleware and any I/O. */
const forbiddenInCore = [
  { group: ['@aws-sdk/*', 'aws-sdk', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'layers/core is pure: no AWS imports.' },
  { group: ['@middy/*', '@aws-lambda-powertools/*'], message: 'layers/core is pure: no middleware or Lambda runtime imports.' },
  {
    group: [
      'node:http',
      'node:https',
      'node:fs',
      'node:fs/*',
      'node:child_process',
      'node:net',
      'http',
      'https',
      'fs',
      'fs/*',
      'child_process',
      'net',
    ],
    message: 'layers/core is pure: no I/O.',
  },
  {
    group: ['**/functions/**', '**/infra/**', '**/cli/**', '**/protection/**'],
    message: 'Dependencies point inward: core imports nothing of the outer layers.',
  },
];

// --- Import boundaries (used by the boundary blocks below) ---
/** Control-plane functions never reach the CDK app, the benchmarks or the CLI. */
const outerLayers = {
  group: ['**/infra/**', '**/bench/**', '**/cli/**'],
  message: 'functions/** never import infra, bench or cli: dependencies point inward.',
};
/** The admin API and the enforcer API share code through functions/shared only, never through each other's folder. */
const enforcerFunction = {
  group: ['../enforcer/**', '../../enforcer/**'],
  message: 'functions/api never imports functions/enforcer: move what both use to functions/shared (docs/contributing.md).',
};
const apiFunction = {
  group: ['../api/**', '../../api/**'],
  message: 'functions/enforcer never imports functions/api: move what both use to functions/shared (docs/contributing.md).',
};
/** The protection layer runs inside users' functions: it never reaches the control plane's adapters. */
const controlPlaneFunctions = {
  group: ['**/functions/**'],
  message: 'layers/protection never imports functions/**: it reaches the control plane over HTTP only.',
};
/** zod itself, by value: the webhook and the protection layer decide without validating documents. */
const zodByValue = {
  group: ['zod', 'zod/*'],
  allowTypeImports: true,
  message: 'No zod on the webhook or protection path (cold start): import types only.',
};
/**
 * Any core module outside the zod-free surface, by value. The surface is layers/core/zod-free.ts and the
 * modules it re-exports (a narrower part keeps CommonJS bundles such as the protection preload small).
 */
const zodBearingCoreByValue = {
  regex: '(^|/)core/(?!(zod-free|builtins|catalog|engine/[\\w-]+|scope/[\\w-]+|admission/(decode|pod|context|judgement|response))\\.js$)',
  allowTypeImports: true,
  message: 'Import the core by value only through layers/core/zod-free.ts (or a module it re-exports); type imports are fine.',
};
/** Shared modules only the API, the enforcer API and the bootstrap use: they validate or compile documents, and the webhook never reaches them (a unit test checks). */
const schemaValidatingSharedModules = [
  'functions/shared/bootstrap.ts',
  'functions/shared/node-policies.ts',
  'functions/shared/http/helpers.ts',
  'functions/shared/storage/DynamoAuditStore.ts',
  'functions/shared/enforcer/*.ts',
];

// --- Static security scan (used by the security block below) ---
/** @type {{ plugins: Record<string, import('eslint').ESLint.Plugin>, rules: Record<string, unknown> }} */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- eslint-plugin-security ships no type declarations
const securityRecommended = security.configs.recommended;

// --- Test habits (used by the test block below) ---
/** What counts as an assertion in a test (patterns of the vitest plugin's expect-expect rule). */
const vitestAssertions = ['expect', 'expectTypeOf', 'assert', 'assertType'];
const cdkAssertions = [
  'template.has*',
  'template.resourceCountIs',
  'template.resourcePropertiesCountIs',
  'template.templateMatches',
  'Template.fromStack.has*',
  'Annotations.fromStack.has*',
];
const projectAssertionHelpers = ['expectClientError', 'expectSameAsZod', 'expectSameAsReference', 'expectAnsweredAsIs'];

export default tseslint.config(
  // Fixtures are data (JSON and tiny programs run by tests), not project code.
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.vigil/',
      'bench/results/',
      'coverage/',
      'dist/',
      'test/fixtures/',
      'layers/protection/dist/',
      'console/dist/',
      // Generated from the OpenAPI document (npm run console:types); a test checks it is current.
      'console/src/api-types.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    files: ['layers/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbiddenInCore }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'layers/core is pure: configuration is passed in, never read from the environment.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='RegExp']",
          message: 'No regular expressions built at run time (user input must never become a regex).',
        },
        {
          selector: "CallExpression[callee.name='RegExp']",
          message: 'No regular expressions built at run time (user input must never become a regex).',
        },
      ],
    },
  },
  // --- Import boundaries: later blocks override earlier ones for the same file, so each repeats what applies. ---
  {
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outerLayers] }] },
  },
  {
    files: ['functions/api/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outerLayers, enforcerFunction] }] },
  },
  {
    files: ['functions/enforcer/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outerLayers, apiFunction] }] },
  },
  {
    // The webhook and every shared module it can reach: the admission bundle must not load zod.
    files: ['functions/admission/**/*.ts', 'functions/shared/**/*.ts'],
    ignores: schemaValidatingSharedModules,
    rules: { 'no-restricted-imports': ['error', { patterns: [outerLayers, zodByValue, zodBearingCoreByValue] }] },
  },
  {
    files: ['layers/protection/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [controlPlaneFunctions, zodByValue, zodBearingCoreByValue] }] },
  },
  {
    // The node agents run in users' clusters: like the protection layer, they reach the control plane over HTTP only.
    files: ['layers/node-agent/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [controlPlaneFunctions] }] },
  },
  {
    // Modules of the CLI the web console bundles too (reading policy-as-code text, joining export pages).
    files: ['cli/policy-documents.ts', 'cli/export-pages.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'Shared with the web console, which runs in a browser: no Node built-ins.' }] },
      ],
    },
  },
  // --- Test habits: no skipped or focused tests, every test asserts. ---
  {
    files: ['test/**/*.ts'],
    plugins: { vitest },
    rules: {
      'vitest/no-disabled-tests': 'error',
      'vitest/no-focused-tests': 'error',
      // A todo is a skipped test by another name: file an issue instead.
      'vitest/warn-todo': 'error',
      // The plugin does not see conditional skips; a test that skips itself on some machines passes without running.
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) =>
          ['skipIf', 'runIf'].map((property) => ({
            object,
            property,
            message: 'No conditionally skipped tests: a skipped test cannot fail.',
          })),
        ),
      ],
      // A test that asserts nothing cannot fail. Assertions are vitest's, CDK's `Template` and `Annotations`
      // checks, and the project's own assertion helpers, listed by name (a new helper is added here).
      'vitest/expect-expect': ['error', { assertFunctionNames: [...vitestAssertions, ...cdkAssertions, ...projectAssertionHelpers] }],
      // Setup hooks may check their preconditions (a failed one fails the suite); describe bodies may not.
      'vitest/no-standalone-expect': ['error', { additionalTestBlockFunctions: ['beforeAll', 'beforeEach', 'afterAll', 'afterEach'] }],
      // vitest's expect takes an optional message as its second argument.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      'vitest/no-identical-title': 'error',
      'vitest/no-commented-out-tests': 'error',
    },
  },
  // --- Static security scan of production code (tests and benchmarks build hostile inputs on purpose). ---
  {
    files: ['functions/**/*.ts', 'layers/**/*.ts', 'infra/**/*.ts', 'cli/**/*.ts', 'cli/**/*.mjs', 'console/**/*.ts', 'console/**/*.tsx'],
    plugins: securityRecommended.plugins,
    rules: {
      // The plugin recommends warnings; here a finding fails the lint.
      ...Object.fromEntries(Object.keys(securityRecommended.rules).map((rule) => [rule, 'error'])),
      // Flags every computed member access (over 180 in typed code whose keys come from unions and maps);
      // prototype pollution is handled where documents are parsed (schemas, merge-patch), not by this rule.
      'security/detect-object-injection': 'off',
    },
  },
  {
    // File paths that come from the build, the operator or the workload's own configuration, never from a
    // request: the files each group may name are listed, so a file-system call with a computed path anywhere
    // else (an API handler, the webhook, the core) still fails the lint. Regexes are reviewed line by line.
    files: [
      // Build and generator scripts: paths of the repository checkout and its output folders.
      'cli/package/build.ts',
      'console/build.ts',
      'console/write-build.ts',
      'console/generate-api-types.ts',
      'console/screenshots.ts',
      'layers/protection/native/build.ts',
      // The CLI: files the operator names on its own machine (-f, --file, --manifest-file, --ca, VIGIL_CA).
      'cli/commands/io.ts',
      'cli/files.ts',
      'cli/commands/simulate.ts',
      'cli/documents.ts',
      'cli/program.ts',
      'cli/trust.ts',
      // Local mode: its data directory (--data-dir) and the files it keeps there.
      'infra/local/admin-token.ts',
      'infra/local/audit-spool.ts',
      'infra/local/dynamodb-local.ts',
      'infra/local/dynamodb-watchdog.ts',
      'infra/local/start.ts',
      'infra/local/tls.ts',
      // The node agents: the pod's mounted service-account files, its kubeconfig and the Tetragon export
      // folder, all from the agent's own arguments and environment.
      'layers/node-agent/export-tail.ts',
      'layers/node-agent/kubernetes-client.ts',
      'layers/node-agent/main.ts',
      // The protection layer, inside the user's function: its configured snapshot path, its own spool folder,
      // the honeypot's credential files, and the program the function itself is about to run.
      'layers/protection/config.ts',
      'layers/protection/interceptors/honeypot.ts',
      'layers/protection/nativeGuard.ts',
      'layers/protection/resolveProgram.ts',
    ],
    rules: { 'security/detect-non-literal-fs-filename': 'off' },
  },
  // --- Lint suppressions: each names the rule it silences and says why. ---
  eslintComments.recommended,
  {
    rules: {
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    // Tests edit fixture JSON freely to build bad inputs; typing every fixture would hide the intent.
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
