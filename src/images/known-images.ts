/**
 * Images the host knows by name (the suite's image A and B, the sample apps) and how a slot
 * is said to hold one bit-exactly.
 */
import { InspectError, describeSize } from './inspect-error.js';
import { isErased, roundUpToPage } from './slot-report.js';

export interface KnownImage {
  name: string;
  /**
   * The bytes that land in flash, per slot name of the scheme ("A"/"B" for sfu-ab, whose images
   * are linked per slot; "bank1"/"bank2", "primary"/"secondary" hold the same bytes in either).
   */
  slotImage: Partial<Record<string, Buffer>>;
}

/**
 * Checks a list of known images against the slot size; throws InspectError on an entry that
 * could never be compared (not an object, no name, not bytes, empty, larger than the slot).
 */
export function checkKnownImages(known: unknown, slotSize: number, slotNames: readonly string[] = ['A', 'B']): KnownImage[] {
  if (known === undefined) return [];
  if (!Array.isArray(known)) throw new InspectError('known images: expected an array of { name, slotImage }');
  known.forEach((k: unknown, i) => {
    const where = `known image #${i}`;
    if (typeof k !== 'object' || k === null) throw new InspectError(`${where}: expected { name, slotImage }`);
    const { name, slotImage } = k as Partial<KnownImage>;
    if (typeof name !== 'string' || name === '') throw new InspectError(`${where}: name must be a non-empty string`);
    if (typeof slotImage !== 'object' || slotImage === null) {
      throw new InspectError(`known image "${name}": slotImage must be an object { ${slotNames.map((n) => `${n}?: Buffer`).join(', ')} }`);
    }
    for (const [slot, image] of Object.entries(slotImage)) {
      if (image === undefined) continue;
      const label = `known image "${name}" for slot ${slot}`;
      if (!slotNames.includes(slot)) throw new InspectError(`${label}: unknown slot (expected ${slotNames.join(' or ')})`);
      if (!Buffer.isBuffer(image)) throw new InspectError(`${label}: expected a Buffer`);
      if (image.length === 0) throw new InspectError(`${label} is empty`, { actual: 0 });
      if (roundUpToPage(image.length) > slotSize) {
        throw new InspectError(`${label} is ${describeSize(image.length)}, larger than the slot's ${describeSize(slotSize)}`, {
          expected: slotSize,
          actual: image.length,
        });
      }
    }
  });
  return known as KnownImage[];
}

/**
 * True when the slot starts with `image` followed by 0xFF up to the next 256-byte boundary.
 * Bytes after that are not compared: the erase covers whole 64 KiB blocks and older data may
 * remain beyond.
 */
export function holdsImage(slotContent: Buffer, image: Buffer): boolean {
  const len = roundUpToPage(image.length);
  if (len > slotContent.length) return false;
  if (slotContent.compare(image, 0, image.length, 0, image.length) !== 0) return false;
  return isErased(slotContent, image.length, len);
}

/** The first known image (in list order) the slot holds bit-exactly, with the compared length. */
export function matchKnownImage(slot: string, slotContent: Buffer, known: readonly KnownImage[]): { name: string; length: number } | undefined {
  for (const k of known) {
    const image = k.slotImage[slot];
    if (image && holdsImage(slotContent, image)) return { name: k.name, length: roundUpToPage(image.length) };
  }
  return undefined;
}
