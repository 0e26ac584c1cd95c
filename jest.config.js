/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import siblings as `./x.ts`; ts-jest rewrites that to `./x.js`, which we map back.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // End-to-end runs pace their writes a second apart, as GitHub asks.
  testTimeout: 60_000,
  testMatch: ['**/__tests__/**/*.test.ts'],
  // The end-to-end files mostly wait (child processes, fakes, paced writes, a stalled endpoint's 10 s
  // timeouts), not compute: jest's default of one worker per core but one ran them one at a time on a
  // 2-core machine (about 6 minutes); three at once take under 3.
  maxWorkers: 3,
};
