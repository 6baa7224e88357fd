/**
 * What the host found in one slot of a flash dump. Generic over schemes (stm32-dualbank,
 * sfu-ab, mcuboot-swap): what only one scheme knows goes into `scheme`.
 */
export interface SlotReport {
  /** Slot name as the scheme calls it: "A", "B", "bank1", "primary", ... */
  slot: string;
  /** Address of the slot's first byte. */
  base: number;
  /** Not all 0xFF. */
  present: boolean;
  /** The boot chain would accept this slot and could start it. */
  valid: boolean;
  /** From the app info block, when the image carries a valid one. */
  version?: string;
  /** From the app info block: the slot base the image is linked for. */
  linkBase?: number;
  /**
   * SHA-256 (hex) of the image bytes compared: the matched known image's length rounded up
   * to 256 when it matched, else the info block's imageLength rounded up to 256, else the
   * slot content up to its last non-0xFF 256-byte page. `scheme.sha256Length` says how many.
   */
  sha256: string;
  /** Name of a known image this slot holds bit-exactly. */
  matches?: string;
  /** Why the slot is not valid, or what looks wrong in it; empty when all is well. */
  problems: string[];
  /** The scheme's own state of the slot (for sfu-ab: generation, storedCrc, actualCrc, crcOk, vectorOk, signed). */
  scheme: Record<string, unknown>;
}

/** Rounds a byte count up to whole 256-byte flash pages. */
export function roundUpToPage(n: number): number {
  return Math.ceil(n / 256) * 256;
}

const ERASED_CHUNK = Buffer.alloc(64 * 1024, 0xff);

/** True when bytes [start, end) of `buf` are all 0xFF (erased NOR flash). */
export function isErased(buf: Buffer, start = 0, end = buf.length): boolean {
  for (let at = start; at < end; at += ERASED_CHUNK.length) {
    const n = Math.min(ERASED_CHUNK.length, end - at);
    if (buf.compare(ERASED_CHUNK, 0, n, at, at + n) !== 0) return false;
  }
  return true;
}

/** Length of `buf` up to and including its last 256-byte page that is not all 0xFF. */
export function usedLength(buf: Buffer): number {
  const page = 256;
  let end = roundUpToPage(buf.length);
  // Skip erased 64 KiB chunks quickly, then pages.
  while (end > 0) {
    const start = Math.max(0, end - ERASED_CHUNK.length);
    if (!isErased(buf, start, Math.min(end, buf.length))) break;
    end = start;
  }
  while (end > 0 && isErased(buf, end - page, Math.min(end, buf.length))) end -= page;
  return Math.min(end, buf.length);
}
