/**
 * Flash geometry and timing. Times are datasheet typical values in milliseconds; the twin's
 * time factor scales them like every other wait.
 */
export interface EraseUnit {
  /** Bytes erased by one command; addresses must be aligned to it. */
  size: number;
  ms: number;
}

/** One erase unit at a fixed place, for flashes whose sectors differ in size (STM32F4). */
export interface SectorSpan {
  address: number;
  size: number;
  ms: number;
}

export interface FlashGeometry {
  name: string;
  /** Address of byte 0 (XIP or memory-mapped base). */
  base: number;
  size: number;
  /**
   * Copy-on-write granule: the greatest common divisor of every erase unit (4 KiB on QSPI NOR and
   * on the nRF52840, 16 KiB on the STM32F4). Snapshots share storage per granule.
   */
  sectorSize: number;
  /** Largest program operation (a page, or a 128-bit row); a program may not cross its boundary. */
  pageSize: number;
  /** Fixed time of one program operation (a whole page on QSPI NOR). */
  programMs: number;
  /** Time per write unit on top of programMs (16 us per word on the STM32F4, 41 us on the nRF52840). */
  programMsPerUnit?: number;
  /** Uniform erase units, valid anywhere aligned to their size. */
  eraseUnits: EraseUnit[];
  /** Erase units at fixed places (used instead of eraseUnits when given). */
  sectorMap?: SectorSpan[];
  erasedValue: number;
  /** Program address and length must be multiples of this (4 on the nRF52840 NVMC: word writes only). */
  writeUnit?: number;
  /**
   * Writes allowed to one write unit between erases (nWRITE = 2 on the nRF52840). A further write
   * is out of spec: it lands, and the unit reads back with random bits cleared.
   */
  maxWritesPerUnit?: number;
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
