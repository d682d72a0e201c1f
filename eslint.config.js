// Lint rules for the whole repository (src, test, bench, scripts). Formatting is Prettier's
// job (.prettierrc.json); eslint-config-prettier turns off the rules that would fight it.
// `npm run lint` runs both and the layer check, and `npm test` runs lint first, so CI fails on any.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'models/', 'logs/', 'cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    rules: {
      // `_name` marks a value that is deliberately unused (a destructured-away field, a loop counter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The bin is CommonJS on purpose (see its header): require() is how it loads.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The status page runs in the browser (served from web/ as is, no build step).
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The server's code, type-aware: a promise nobody awaits or catches can crash the process
    // (an unhandled rejection) or lose an error; these two rules find them.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
  {
    // Tests script producers that fail before their first event: async generators without a yield.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { 'require-yield': 'off' },
  },
  prettier,
);
