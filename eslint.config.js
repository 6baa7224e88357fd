// ESLint (flat config) for hilrig: typescript-eslint's recommended rules, plus the type-aware
// rules that catch what matters in code that drives power relays: a promise nobody awaits (a
// power-off that may not have happened when the next step runs, an error that is silently lost)
// and a promise where a plain callback is expected (an event handler whose rejection is dropped).
// `npm run lint` runs it over src test bench scripts examples, then `prettier --check .`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'reports/', '.tmp/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberately unused (a handler's ignored argument, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Type-aware rules only on the TypeScript the project's tsconfig covers (the project service
    // reuses one program, so this costs one type-check).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: true, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/finally runs the finally (power off, port close) before the
      // promise settles; inside try/catch its rejection escapes the catch.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A new outcome, phase or trigger kind must be handled wherever a switch lists them.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
);
