// Flat ESLint config. The layer rules below are the architecture of DESIGN.md made checkable:
// dependencies point one way (cli → api/gateway → registry → sources → sandbox/manifest → core; store → core).
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import toolport from './scripts/eslint/no-cycle-with-types.mjs';

/** A restricted-import rule for a layer: `patterns` are forbidden with `message` saying what to do instead. */
function layer(files, groups) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }],
    },
  };
}

const UP = (name) => [`**/${name}`, `**/${name}/**`];
const SOURCE_KINDS = ['http', 'python', 'mcp'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'python/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX, toolport },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: 4 }],
      // import-x/no-cycle ignores `import type` by design and cannot be told otherwise; this one counts it.
      'toolport/no-cycle-with-types': 'error',
      'import-x/order': [
        'warn',
        { groups: ['builtin', 'external', 'internal', 'parent', 'sibling'], alphabetize: { order: 'asc' } },
      ],
    },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/cli.ts', 'src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  layer(
    ['src/core/**/*.ts'],
    [[['../*', '!../core'], 'core imports nothing internal: move the shared piece into core instead.']],
  ),
  layer(
    ['src/config/**/*.ts'],
    [
      [
        [...UP('store'), ...UP('registry'), ...UP('sources'), ...UP('api'), ...UP('gateway'), ...UP('cli')],
        'config depends on core only; pass values in from the composition root (cli).',
      ],
    ],
  ),
  layer(
    ['src/manifest/**/*.ts'],
    [
      [
        [...UP('store'), ...UP('registry'), ...UP('sources'), ...UP('api'), ...UP('gateway'), ...UP('cli')],
        'manifest depends on core only: it parses and validates descriptors, nothing else.',
      ],
    ],
  ),
  // OpenAPI import turns documents into manifests; installing them is the registry's job, reached through api/cli.
  layer(
    ['src/openapi/**/*.ts'],
    [
      [
        [...['store', 'registry', 'sources', 'api', 'gateway', 'cli', 'config', 'webhooks', 'telemetry'].flatMap(UP)],
        'openapi depends on manifest and core only: return a manifest and let the caller install it.',
      ],
    ],
  ),
  layer(
    ['src/store/**/*.ts'],
    [
      [
        [...UP('registry'), ...UP('sources'), ...UP('api'), ...UP('gateway'), ...UP('cli')],
        'store depends on core (and manifest types) only; the registry calls the store, not the reverse.',
      ],
    ],
  ),
  layer(
    ['src/sandbox/**/*.ts'],
    [
      [
        [...['manifest', 'store', 'registry', 'sources', 'api', 'gateway', 'cli', 'config'].flatMap(UP)],
        'the sandbox layer sits below the sources and depends on core only; pass values in from the caller.',
      ],
    ],
  ),
  // Each source kind: core, manifest and sandbox only; siblings never import each other.
  ...SOURCE_KINDS.map((kind) =>
    layer(
      [`src/sources/${kind}/**/*.ts`],
      [
        [
          [
            ...SOURCE_KINDS.filter((k) => k !== kind).flatMap(UP),
            ...['registry', 'store', 'api', 'gateway', 'cli'].flatMap(UP),
          ],
          'a source depends on core, manifest and sandbox only; sibling sources never import each other — share through core or sandbox.',
        ],
      ],
    ),
  ),
  layer(
    ['src/registry/**/*.ts'],
    [
      [
        [...UP('api'), ...UP('gateway'), ...UP('cli'), '**/store/sqlite/**', '**/store/postgres/**'],
        'the registry sees the Store interface and ToolSource factories only; concrete drivers are wired in cli.',
      ],
    ],
  ),
  layer(
    ['src/gateway/**/*.ts'],
    [
      [
        [...UP('api'), ...UP('cli'), ...UP('sources'), '**/store/sqlite/**', '**/store/postgres/**'],
        'the gateway talks to the registry (ToolProvider), never to sources, drivers, api or cli.',
      ],
    ],
  ),
  // webhooks and telemetry observe the registry through its types and events; they never reach into
  // its implementation, the sources, the drivers or the layers above.
  ...['webhooks', 'telemetry'].map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                ...UP('api'),
                ...UP('gateway'),
                ...UP('cli'),
                ...UP('sources'),
                '**/store/sqlite/**',
                '**/store/postgres/**',
              ],
              message: `${folder} depends on core, registry types and the Store interface; concrete parts are wired in cli.`,
            },
            {
              group: UP('registry'),
              allowTypeImports: true,
              message: `${folder} may import registry types only; receive the registry (events, interceptors) from cli.`,
            },
          ],
        },
      ],
    },
  })),
  layer(
    ['src/api/**/*.ts'],
    [
      [
        [...UP('cli'), ...UP('sources'), '**/store/sqlite/**', '**/store/postgres/**'],
        'the api talks to the registry and the Store interface; concrete parts are wired in cli.',
      ],
    ],
  ),
  {
    // Plain Node scripts (benchmarks, build helpers, test fixtures) run with Node's globals.
    files: ['**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'fetch',
          'URL',
          'performance',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'Buffer',
          'AbortController',
          'AbortSignal',
          'TextEncoder',
          'TextDecoder',
          'queueMicrotask',
          'structuredClone',
          'global',
          'FormData',
          'Blob',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  // The web console is browser code bundled by Vite (extensionless imports); tsc -p web checks its imports.
  {
    files: ['web/**/*.{ts,tsx}'],
    rules: { 'import-x/no-cycle': 'off' },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
