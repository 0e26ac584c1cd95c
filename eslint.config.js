// ESLint flat config: typescript-eslint's type-aware recommended rules over the TypeScript, and
// ESLint's recommended rules over the few JavaScript files. Formatting is Prettier's (.prettierrc);
// eslint-config-prettier, last, turns off any rule that would disagree with it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // Types from tsconfig.json, found per file by the project service.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `async () => value` is how a function promises a value, and how a fake of an async API throws
      // as a rejection rather than synchronously; an await is not required to make it right.
      '@typescript-eslint/require-await': 'off',
      // As TypeScript's noUnusedLocals/noUnusedParameters: `_`-named parameters and the properties a
      // rest pattern leaves out (`const { omitted, ...kept } = ...`) are deliberate.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
