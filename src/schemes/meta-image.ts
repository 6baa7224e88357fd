/**
 * What a scheme's image reader returns and throws. Pure (no imports): config validates a suite's
 * images with the same readers before any run starts.
 */
export interface ImageReading {
  version?: string;
  slotImage: Partial<Record<string, Buffer>>;
  /** A product image: each member's image (see UpdateImage.members in scheme.ts). */
  members?: Record<string, { version?: string; sha256: string; size: number; image: Buffer }>;
}

/** What is wrong with an image's bytes; the message does not name the file (the caller does). */
export class ImageProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageProblem';
  }
}

/** Throws an ImageProblem when the bytes cannot be this scheme's image. */
export type ImageReader = (stream: Buffer) => ImageReading;
