// One Jest run, three tiers: unit specs beside the code, integration specs
// against real SQLite, and black-box end-to-end suites against the built server.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/]/g, '\\/')}$`,
    `<rootDir>/${target}`,
  ]),
);

const swc = [
  '@swc/jest',
  {
    swcrc: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const base = {
  rootDir: __dirname,
  // Node's, plus the stop of every server process a test file left running (tools/jest/environment.cjs).
  testEnvironment: '<rootDir>/tools/jest/environment.cjs',
  // @noble/*, jose and openid-client (with oauth4webapi) ship ES modules only; Node 20.19 loads them natively, Jest needs them compiled.
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/(@noble|jose|openid-client|oauth4webapi)/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@noble|jose|openid-client|oauth4webapi)/)'],
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  // Each tier's default timeout (tools/jest/tier.setup.cjs).
  setupFilesAfterEnv: ['<rootDir>/tools/jest/tier.setup.cjs'],
};
const tier = (name, testMatch) => ({ ...base, displayName: name, testMatch, globals: { __M2M_TEST_TIER__: name } });

module.exports = {
  projects: [
    tier('unit', ['<rootDir>/{apps,libs}/**/*.spec.ts']),
    tier('integration', ['<rootDir>/{apps,libs}/**/*.int-spec.ts']),
    tier('e2e', ['<rootDir>/e2e/**/*.e2e-spec.ts']),
  ],
  // Options Jest reads only here, at the root (a `testTimeout` inside a project is ignored).
  // Servers the tests start are recorded, and whatever a worker leaves behind is killed at the end.
  globalSetup: '<rootDir>/tools/jest/global-setup.cjs',
  globalTeardown: '<rootDir>/tools/jest/global-teardown.cjs',
  // A run ends when its tests have: a handle some library leaves open never holds it up.
  forceExit: true,
};
