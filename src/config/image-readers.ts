/**
 * How each scheme reads an image file: which bytes land in which slot, and the version the
 * app's banner will print. The readers live with their schemes (src/schemes/<name>/meta.ts);
 * config validates a suite's images with them (checkRigForSuite reads them before any run
 * starts), and the scenario builds its UpdateImage from the same readers.
 */
export { ImageProblem, readImage, type ImageReading, type ImageReader } from '../schemes/meta-registry.js';
