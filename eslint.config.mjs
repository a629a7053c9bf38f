import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

/** Libraries a domain lib may never import: frameworks, ORMs, transports, drivers. */
const INFRASTRUCTURE = ['@nestjs/*', 'typeorm', 'kafkajs', '@confluentinc/*', 'better-sqlite3', 'pg', 'fastify', '@fastify/*', '@grpc/*', 'pino', 'prom-client'];

export default tseslint.config(
  { ignores: ['dist/**', '**/dist/**', 'node_modules/**', 'coverage/**', 'tmp/**', '.nx/**', 'clients/**', '**/*.mjs', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, 'simple-import-sort': simpleImportSort },
    // Nest resolves constructor parameters by their emitted types: keep those imports as values.
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'error',
      // The house order (../shared/STYLE.md): the workspace's own libraries, then packages, then relative files, a blank line between.
      'simple-import-sort/imports': ['error', { groups: [['^\\u0000'], ['^@m2m-trust/'], ['^node:', '^@?\\w'], ['^\\.']] }],
      'simple-import-sort/exports': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Scopes: each imports itself and shared; the gateway composes them all.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // In the distributed mode the registry service owns the API keys (docs/distributed.md), so it composes the access scope.
            { sourceTag: 'scope:registry', onlyDependOnLibsWithTags: ['scope:registry', 'scope:access', 'scope:shared'] },
            // Devices authenticate in challenge; the tokens they then get are issued by token, which knows nothing of challenges.
            { sourceTag: 'scope:challenge', onlyDependOnLibsWithTags: ['scope:challenge', 'scope:token', 'scope:shared'] },
            { sourceTag: 'scope:token', onlyDependOnLibsWithTags: ['scope:token', 'scope:shared'] },
            { sourceTag: 'scope:audit', onlyDependOnLibsWithTags: ['scope:audit', 'scope:shared'] },
            { sourceTag: 'scope:access', onlyDependOnLibsWithTags: ['scope:access', 'scope:shared'] },
            {
              sourceTag: 'scope:gateway',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:registry', 'scope:challenge', 'scope:token', 'scope:audit', 'scope:access', 'scope:gateway'],
            },
            // The SDK is published on its own, so it depends on nothing inside the workspace. The CLI drives the service
            // through it only, and checks exports offline with the audit domain's own chain and hash rules (never a copy of them).
            { sourceTag: 'scope:sdk', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:sdk', 'scope:audit', 'scope:shared'] },
            // Types: apps compose; features wire; data-access persists; domain is pure.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:contracts', 'type:domain', 'type:util'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:contracts', 'type:domain', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:domain', 'type:util'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:util'], bannedExternalImports: INFRASTRUCTURE },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: INFRASTRUCTURE },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: [], bannedExternalImports: INFRASTRUCTURE },
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:sdk', 'type:domain'], bannedExternalImports: INFRASTRUCTURE },
          ],
        },
      ],
    },
  },
  {
    // The gRPC types are written by proto-loader-gen-types in its own order (libs/shared/proto/scripts/generate-types.mjs); a drift test keeps them as generated.
    files: ['libs/shared/proto/src/generated/**/*.ts'],
    rules: { 'simple-import-sort/imports': 'off' },
  },
  {
    // Tests may use the non-null assertion and console for diagnostics.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-console': 'off' },
  },
);
