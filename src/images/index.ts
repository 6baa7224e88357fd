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
