/**
 * Host-side slot inspection primitives shared by the schemes: dump files, known images, slot
 * reports, the inspection error. Each scheme's own reading of a dump (its formats, metadata,
 * trailers) lives in its folder under src/schemes/.
 */
export { InspectError } from './inspect-error.js';
export type { SlotReport } from './slot-report.js';
export type { KnownImage } from './known-images.js';
export { matchKnownImage } from './known-images.js';
