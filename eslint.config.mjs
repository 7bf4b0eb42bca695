// Lint rules that matter here: workflow determinism (no Node built-ins, no value imports of
// activities inside workflows/), no floating promises, type-only imports.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.stryker-tmp/**', 'reports/mutation/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['fs', 'path', 'crypto', 'child_process', 'http', 'https', 'net', 'os', 'process'].map((name) => ({
          name, message: 'Workflow code must be deterministic: no Node built-ins.',
        })),
        patterns: [
          { group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins.' },
          { group: ['**/activities', '**/activities/*', '**/activities/**'], allowTypeImports: true, message: 'Import activities as types only and proxy them.' },
        ],
      }],
    },
  },
);
