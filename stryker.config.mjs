// Mutation testing of the security-critical modules (docs/testing.md, "Mutation testing"):
// `npm run mutation`, or one module: `npm run mutation -- --mutate codec/payload-codec.ts`.
// Not part of `npm test`: a full run takes tens of minutes on 2 cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js' },
  mutate: [
    'workflows/approval/gate.ts',
    'workflows/break-glass/state.ts',
    'workflows/break-glass/revocation-policy.ts',
    'workflows/break-glass/input-shape.ts',
    'activities/policy/break-glass-check.ts',
    'evidence/store.ts',
    'api/auth/caller-identity.ts',
    'codec/payload-codec.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 2,
  // The pinned native tools (.tools, ~0.5 GB) and local data are not needed by the unit tier.
  ignorePatterns: ['/.tools', '/.data', '/dist', '/coverage'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
