/**
 * `hilrig`: the library API, for scripts that drive a rig without the CLI or Jest (Jest tests use
 * `hilrig/jest`, src/testing/). Load and check files first (config errors carry file:line:col and
 * exit code 2), then open the rig; close() always leaves it in its safe state.
 *
 *   const config = await loadRig('rigs/twin-rp2040-sfu.yaml');
 *   const rig = await openRig(config);
 *   try { const r = await runCut(rig, await schemeAdapter(config.scheme), images, spec); } finally { await rig.close(); }
 */
export { ExitCode, HilError, UsageError, ConfigError, RigError, type ExitCodeValue } from './core/errors.js';
export {
  loadRig,
  loadSuite,
  parseRig,
  parseSuite,
  checkRigForSuite,
  withTwinOverrides,
  parseTrigger,
  formatTrigger,
  suiteCutPoints,
  ConfigFileError,
  OUTCOMES,
  type RigConfig,
  type SuiteConfig,
  type SuiteRig,
  type CutPoint,
  type TwinOverrides,
  type Trigger,
  type Outcome,
} from './config/index.js';
export { openRig } from './rig/open-rig.js';
export type { Rig, TwinHandle } from './rig/rig.js';
export type { Power, Probe, Updater, UpdateResult, UpdateProgress, MemoryRegion } from './drivers/capabilities.js';
export type { Console, ConsoleLine } from './drivers/console/console.js';
export { runCut, type CutSpec, type CutResult } from './scenario/cut.js';
export { loadUpdateImage, type UpdateImage } from './scenario/update-image.js';
export { prepareSuiteRig, runSuiteOnRig, type PreparedSuiteRig, type SuiteRigRun } from './scenario/suite-run.js';
export { schemeAdapter, schemeSetup, type SchemeAdapter, type FlashView } from './schemes/registry.js';
export { reproCommand, cutSummary } from './report/cut-summary.js';
export { openRigSession, type RigSession, type RigSessionOptions, type CutOptions } from './testing/rig-session.js';
export { RigCutError, type RigCutResult } from './testing/cut-error.js';
