// ESLint looks for bugs here; Prettier owns the layout (`npm run format:check`).
// TypeScript files are linted with type information (typescript-eslint's project service reads
// tsconfig.json), so promise and `any` mistakes are caught, not only syntax.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];

export default defineConfig([
  globalIgnores([
    'dist/',
    'node_modules/',
    'test/corpus/',
    'src/dicom/dictionary/generated/',
    'scripts/dictionary/source/',
    'bench/.data/',
    'bench/results/',
    'niffler-data/',
    '.tmp/',
  ]),

  js.configs.recommended,

  {
    files: TS_FILES,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe()/it() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // An `async` function without `await` is legitimate (it still returns a promise).
      '@typescript-eslint/require-await': 'off',
      // Walking a parent chain from `this` (`for (let ds = this; ds; ds = ds.parent)`) is fine.
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // A `switch` over a discriminated union (PDU kinds, DIMSE commands, statuses) must handle
      // every member, or say so with a `default`.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // `x || fallback` treats 0 and '' as missing; STYLE.md: `??` for defaults.
      '@typescript-eslint/prefer-nullish-coalescing': [
        'error',
        { ignoreConditionalTests: true, ignoreMixedLogicalExpressions: true },
      ],
      // `return promise` inside try/catch skips the catch; await it there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },

  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', ...TS_FILES],
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // DESIGN.md: no user value ever reaches a shell. exec/execSync run a shell; use
      // execFile/spawn with an argument array.
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:child_process', 'child_process'].map((name) => ({
            name,
            importNames: ['exec', 'execSync'],
            message: 'exec/execSync run a shell: use execFile or spawn with an argument array.',
          })),
        },
      ],
    },
  },

  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // On a failure without a message, Node 20's assert re-parses the test's source to quote the
      // expression; with tsx's transformed code that recursion can spin for minutes (seen: a
      // failing C-MOVE test hung the suite). A message also says what went wrong.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.object.name='assert'][callee.property.name='ok'][arguments.length=1]",
          message: 'Give assert.ok a message (Node 20 hangs quoting the source of a failure).',
        },
        {
          selector: "CallExpression[callee.name='assert'][arguments.length=1]",
          message: 'Give assert() a message (Node 20 hangs quoting the source of a failure).',
        },
      ],
    },
  },

  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
]);
