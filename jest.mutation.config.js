// The jest config Stryker uses for `npm run mutation` (stryker.config.mjs): the unit tier only, as in
// jest.config.js's `unit` project. The workflow and integration tiers start Temporal servers and the
// AWS sandbox; far too slow to run once per mutant on 2 cores.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
};
