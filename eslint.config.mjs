// @ts-check
/**
 * Flat config: typescript-eslint's recommended rules without type information (fast: no program is built).
 * `npm run lint` runs `eslint .`.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node globals for the few plain-JS files (jest.config.js, this file); TS files get them from @types/node. */
const nodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
};

/**
 * Product code never loads the provider simulators: sandbox/ may import src/ (wire formats, signatures, config), never
 * the other way round, so a production build and image can leave sandbox/ out (test/unit/lint-boundaries.test.ts).
 */
const SANDBOX_FORBIDDEN_PATTERN = {
  regex: '^(\\./)?(\\.\\./)+sandbox(/.*)?$',
  message: 'Product code must not import the provider sandboxes (sandbox/): they are simulators, left out of production builds.',
};

/** What workflow code must never load at run time: it runs in Temporal's deterministic sandbox. */
const WORKFLOW_FORBIDDEN = {
  paths: [
    { name: 'mongoose', message: 'Workflows must not touch the database: do it in an activity.' },
    { name: 'mongodb', message: 'Workflows must not touch the database: do it in an activity.' },
    { name: 'express', message: 'Workflows must not serve or call HTTP: do it in an activity.' },
    ...['fs', 'crypto', 'http', 'https', 'net', 'child_process', 'os', 'path', 'timers', 'worker_threads'].map((name) => ({
      name,
      message: 'Node built-ins are not available in the workflow sandbox: use an activity.',
    })),
  ],
  patterns: [
    SANDBOX_FORBIDDEN_PATTERN,
    {
      group: ['node:*'],
      message: 'Node built-ins are not available in the workflow sandbox: use an activity.',
    },
    {
      group: ['**/src/db', '**/src/db/*', '**/src/db/**'],
      message: 'Workflows must not import the database layer: call an activity.',
    },
    {
      group: ['**/src/providers', '**/src/providers/*', '**/src/providers/**'],
      message: 'Workflows must not import provider clients: call an activity.',
    },
    {
      group: ['**/src/api', '**/src/api/*', '**/src/api/**'],
      message: 'Workflows must not import the HTTP API.',
    },
    {
      // The activities barrel and the implementation modules pull in mongoose and provider clients: types only
      // (proxyActivities<typeof ...>). activities/contracts holds only the shared interfaces and is fine.
      regex: '^(\\.\\./)+activities(/(?!contracts(\\.ts)?$).*)?$',
      allowTypeImports: true,
      message: 'Workflows may import activities only as types (import type ...): values come from proxyActivities.',
    },
  ],
};

export default defineConfig(
  {
    ignores: ['node_modules/**', '.tools/**', '.data/**', 'dist/**', 'coverage/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SANDBOX_FORBIDDEN_PATTERN] }] },
  },
  {
    // A later rule entry replaces an earlier one for the same file: WORKFLOW_FORBIDDEN carries the sandbox pattern too.
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', WORKFLOW_FORBIDDEN] },
  },
);
