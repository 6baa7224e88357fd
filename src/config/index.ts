/**
 * config/: rig and suite YAML -> typed, validated objects. Errors carry file:line:col and a field
 * path, every problem of a file at once (ConfigFileError, a ConfigError: exit code 2).
 */
export {
  TARGETS,
  SCHEMES,
  SCHEME_TARGET,
  OUTCOMES,
  DEVICE_OUTCOMES,
  DEFAULT_VARIANTS,
  SCHEME_SETUPS,
  type Target,
  type Scheme,
  type Outcome,
  type DeviceOutcome,
  type VariantLists,
} from './vocabulary.js';
export { ConfigFileError, formatIssue, formatLocation, formatPath, displayFile, type ConfigIssue, type ConfigPath } from './errors.js';
export { SourceLocator, issueAt, configErrorAt, sourceOf, type SourcePosition } from './locate.js';
export {
  parseTrigger,
  formatTrigger,
  parseDuration,
  parseProgress,
  compileConsolePattern,
  consoleRegExp,
  type Trigger,
  type TriggerKind,
  type ConsoleTrigger,
  type ProgressAmount,
} from './trigger.js';
export { expandSweep, type Sweep } from './sweep.js';
export type {
  RigConfig,
  RigOptions,
  TwinConfig,
  PowerConfig,
  ConsoleConfig,
  UpdaterConfig,
  ProbeConfig,
  BootConfig,
  GpioConfig,
  GpioPinConfig,
  ResetConfig,
  MarkerConfig,
  BoardConfig,
  McuConfig,
  SharedConfig,
  FlashReaderConfig,
  FotaUpdaterConfig,
} from './rig-schema.js';
export { PIN_NAME, MEMBER_NAME, rigMembers, schemeMembers } from './rig-schema.js';
export type { SuiteConfig, SuiteRig, CutPoint, TwinOverrides } from './suite-schema.js';
export { parseRig, loadRig, rigPath, parseSuite, loadSuite, suiteRigPath, checkRigForSuite, withTwinOverrides, noRigsError, loadSuiteRig } from './load.js';
export { FileRefusal, readRegularFile, readRegularFileSync, formatSize } from './file-read.js';
export * as limits from './limits.js';
export { suiteCutPoints } from './cut-points.js';
