// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/dist-server/**',
      '**/coverage/**',
      'test-results/**',
      'playwright-report/**',
      'bench/results/**',
      '.run/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['frontend/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Entry points, scripts, tests and benchmarks talk to a terminal.
    files: [
      '**/src/main.ts',
      'frontend/server/**/*.ts',
      'scripts/**',
      'bench/**',
      '**/bench/**',
      '**/test/**',
      'e2e/**',
      '.ci/**',
    ],
    rules: { 'no-console': 'off' },
  },
);
