// Unit and end-to-end tests of hilrig itself (the `hil run` campaign uses jest.run.config.js).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Sweeps on the twin are CPU-bound: on a loaded 2-core CI machine a 30 s budget is not enough.
  testTimeout: 120000,
};
