// ESLint over the TypeScript sources, tests, benchmarks, scripts and the demo (npm run lint). tsc checks types and
// unused names; this adds the rules tsc does not have.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `_name` marks a parameter or a destructured value that is deliberately unused, as tsc's own check allows.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A wire protocol matches control bytes on purpose (escapes, TSV/CSV text, separators).
      'no-control-regex': 'off',
    },
  },
);
