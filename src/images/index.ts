/**
 * Host-side slot inspection primitives shared by the schemes: dump files, known images, slot
 * reports, vector checks, the SFU metadata and MCUboot header/trailer codecs. Each scheme's own
 * reading of a dump lives in its folder under src/schemes/.
 */
export { InspectError } from './inspect-error.js';
export type { SlotReport } from './slot-report.js';
export type { KnownImage } from './known-images.js';
export { matchKnownImage } from './known-images.js';
export { readSfuMetadata, sfuSlotCrc, SFU_UNSIGNED, type SfuMetadata } from './sfu-metadata.js';
export { checkSfuVectorTable, type VectorCheck } from './vector-check.js';
