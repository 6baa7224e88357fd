/**
 * Host-side slot inspection primitives shared by the schemes: dump files, known images, slot
 * reports, the inspection error, and the MCUboot swap-scratch reading (mcuboot-inspect.ts) that
 * every scheme booting with MCUboot uses over its own slot layout. A scheme's own reading of a
 * dump (its formats, metadata, how its parts combine) lives in its folder under src/schemes/.
 */
export { InspectError } from './inspect-error.js';
export type { SlotReport } from './slot-report.js';
export type { KnownImage } from './known-images.js';
export { matchKnownImage } from './known-images.js';
export { inspectMcubootSlots, type McubootSlotLayout, type McubootSlotsInspection } from './mcuboot-inspect.js';
