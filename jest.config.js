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
  testEnvironment: 'node',
  // @noble/*, jose and openid-client (with oauth4webapi) ship ES modules only; Node 20.19 loads them natively, Jest needs them compiled.
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/(@noble|jose|openid-client|oauth4webapi)/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@noble|jose|openid-client|oauth4webapi)/)'],
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'], testTimeout: 60000 },
  ],
};
