/**
 * Flash geometry and timing. Times are datasheet typical values in milliseconds; the twin's
 * time factor scales them like every other wait.
 */
export interface EraseUnit {
  /** Bytes erased by one command; addresses must be aligned to it. */
  size: number;
  ms: number;
}

export interface FlashGeometry {
  name: string;
  /** Address of byte 0 (XIP or memory-mapped base). */
  base: number;
  size: number;
  /** Smallest erase unit: copy-on-write snapshots work per sector of this size. */
  sectorSize: number;
  /** Largest program operation (a page); a program may not cross a page boundary. */
  pageSize: number;
  /** Time to program one page (or part of one). */
  programMs: number;
  eraseUnits: EraseUnit[];
  erasedValue: number;
}

/** Winbond W25Q32JV-class QSPI NOR behind the RP2040 (4 MiB): tPP 0.7 ms, tSE 45 ms, tBE2 150 ms. */
export const W25Q32: FlashGeometry = {
  name: 'W25Q32 (QSPI NOR)',
  base: 0x1000_0000,
  size: 4 * 1024 * 1024,
  sectorSize: 4096,
  pageSize: 256,
  programMs: 0.7,
  eraseUnits: [
    { size: 4096, ms: 45 },
    { size: 65536, ms: 150 },
  ],
  erasedValue: 0xff,
};
