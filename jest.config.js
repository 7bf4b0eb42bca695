// Three tiers (STYLE.md): unit (pure logic), workflow (time-skipping server, real worker, swapped
// activities), integration (dev server + AWS sandbox). Temporal tiers run serially (--runInBand in
// package.json) because the native bridge and the servers are shared, heavy resources on 2 cores.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'workflow', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup-workflow.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup-integration.ts'],
      globalSetup: '<rootDir>/test/support/integration-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/integration-global-teardown.ts',
    },
  ],
};
