import { availableParallelism } from 'node:os';

// Unit and end-to-end tests of hilrig itself (the `hil run` campaign uses jest.run.config.js).
// Two projects: `tests` (everything that waits on events) and `sweeps` (CPU-bound cut sweeps and
// detection runs on the virtual-clock twin). A sweep's budgets are in virtual time inside the test;
// its wall time only depends on how busy the machine is, so its Jest timeout is a hang guard and
// nothing else. Run one project with `npm run test:jest -- --selectProjects sweeps` (or `tests`).
const SWEEPS = [
  '<rootDir>/test/twin/mcuboot-sweep.test.ts',
  '<rootDir>/test/twin/mcuboot-revert-resume.test.ts',
  '<rootDir>/test/twin/stm32-cuts.test.ts',
  '<rootDir>/test/cli/detect-cli.test.ts',
  '<rootDir>/test/cli/sweep-cli.test.ts',
  '<rootDir>/test/scenario/sweep-equivalence.test.ts',
  '<rootDir>/test/scenario/sweep-board-tail.test.ts',
  '<rootDir>/test/scenario/sweep-run-memo.test.ts',
  '<rootDir>/test/twin/agreement.test.ts',
  '<rootDir>/test/testing/sweep-results.test.ts',
  '<rootDir>/test/report/campaign-size.test.ts',
  '<rootDir>/test/scenario/sweep-double.test.ts',
  '<rootDir>/test/scenario/sweep-modes-engine.test.ts',
  '<rootDir>/test/cli/repro.test.ts',
  '<rootDir>/test/nightly/nightly-run.test.ts',
  '<rootDir>/test/signoff/signoff-cli.test.ts',
  '<rootDir>/test/report/cut-report-browser.test.ts',
  '<rootDir>/test/report/resilience-map-browser.test.ts',
  '<rootDir>/test/schemes/multi-mcu-dfu-inspect-agreement.test.ts',
  '<rootDir>/test/report/timeline-product-twin.test.ts',
  '<rootDir>/test/lab/lab-run.test.ts',
  '<rootDir>/test/lab/worker.test.ts',
  '<rootDir>/test/lab/enqueue.test.ts',
  '<rootDir>/test/lab/report-lab.test.ts',
  '<rootDir>/test/lab/report-signoff.test.ts',
  '<rootDir>/test/lab/report-worker.test.ts',
  '<rootDir>/test/cli/lab.test.ts',
  '<rootDir>/test/cli/detect-product-cli.test.ts',
];

// Jest's default is one worker per core but one: on a 2-core box that is one, and with one Jest
// runs every file in band (in its own process), one after the other. Most files here wait (ptys
// at line rate, twins on the wall clock, child processes) rather than compute, so a second worker
// overlaps that waiting with the CPU-bound sweeps: at least two, and the default on a bigger
// machine. Each file still runs alone in its worker.
const WORKERS = Math.max(2, availableParallelism() - 1);

const common = {
  testEnvironment: '<rootDir>/test/helpers/exit-environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  roots: ['<rootDir>/test'],
};

export default {
  // Only a guard against a hang: every wait in the tests is on an event.
  testTimeout: 120_000,
  maxWorkers: WORKERS,
  projects: [
    {
      ...common,
      displayName: 'tests',
      // examples/: the TypeScript rig tests the README shows, run as they are written.
      roots: ['<rootDir>/test', '<rootDir>/examples'],
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/examples/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...SWEEPS.map((p) => p.replace('<rootDir>', '').replace(/\./g, '\\.') + '$')],
    },
    {
      ...common,
      displayName: 'sweeps',
      testMatch: SWEEPS,
      // Hang guard only (a busy 2-core box or a Raspberry Pi takes many times this machine's quiet
      // time). Set there because Jest 30 reads testTimeout only at the top level.
      setupFilesAfterEnv: ['<rootDir>/test/helpers/sweep-timeout.ts'],
    },
  ],
};
