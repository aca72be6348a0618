// @ts-check
import js from '@eslint/js';
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

export default tseslint.config(
  // Fixtures are data (JSON and tiny programs run by tests), not project code.
  {
    ignores: ['node_modules/', 'cdk.out/', '.vigil/', 'bench/results/', 'coverage/', 'dist/', 'test/fixtures/', 'layers/protection/dist/'],
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
