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
};
