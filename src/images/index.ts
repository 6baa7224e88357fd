/** Host-side slot inspection: parse a flash dump per scheme into SlotReports. */
export { InspectError } from './inspect-error.js';
export type { SlotReport } from './slot-report.js';
export type { KnownImage } from './known-images.js';
export { matchKnownImage } from './known-images.js';
export { readSfuMetadata, sfuSlotCrc, SFU_UNSIGNED, type SfuMetadata } from './sfu-metadata.js';
export { checkSfuVectorTable, type VectorCheck } from './vector-check.js';
export { inspectSfu, type SfuDump, type SfuInspection, type SfuSlotState, type InspectOptions } from './sfu-inspect.js';
export { loadSfuDump } from './sfu-dump.js';
export { formatInspection } from './sfu-format.js';
export { inspectStm32, type Stm32Dump, type Stm32Inspection, type Stm32SlotState } from './stm32-inspect.js';
export { loadStm32Dump } from './stm32-dump.js';
export { formatStm32Inspection } from './stm32-format.js';
export {
  inspectMcuboot,
  type McubootDump,
  type McubootInspection,
  type McubootInspectOptions,
  type McubootRunningImage,
  type McubootNextAction,
} from './mcuboot-inspect.js';
export { loadMcubootDump } from './mcuboot-dump.js';
export { formatMcubootInspection } from './mcuboot-format.js';
