/**
 * nRF52840 with MCUboot swap-scratch: the Zephyr nrf52840dk "old scratch" partition layout
 * (reference/bootloader-formats-and-faults.md §3.4) and the NVMC's physics (§5.3).
 * Flash starts at address 0, so an address is also a flash offset.
 */
export const NRF52840 = {
  name: 'nrf52840',
  flashBase: 0,
  flashSize: 1024 * 1024,
  sramBase: 0x2000_0000,
  /** One past the last SRAM byte (256 KiB): the highest legal initial SP. */
  sramTop: 0x2004_0000,
  /** NVMC page: the erase unit and MCUboot's sector. */
  pageSize: 4096,
  erasedValue: 0xff,
} as const;

/** The flash partitions (fixed-partitions in the board's DTS). */
export const NRF52840_PARTITIONS = {
  mcuboot: { base: 0x0_0000, size: 0xc000 },
  primary: { base: 0x0_c000, size: 0x6_7000 },
  secondary: { base: 0x7_3000, size: 0x6_7000 },
  scratch: { base: 0xd_a000, size: 0x1_e000 },
  storage: { base: 0xf_8000, size: 0x8000 },
} as const;

/** MCUboot build constants for this board (Zephyr defaults). */
export const NRF52840_MCUBOOT = {
  /** BOOT_MAX_ALIGN: spacing of the trailer fields. */
  maxAlign: 8,
  /** flash_area_align(): the NVMC writes whole 32-bit words only. */
  writeSize: 4,
  /** MCUBOOT_MAX_IMG_SECTORS: sizes the status area of each slot trailer. */
  maxSectors: 128,
  /** ih_hdr_size imgtool uses on Zephyr. */
  headerSize: 0x200,
  /** Where the application runs from: the primary slot plus the header. */
  chainloadOffset: 0xc000,
} as const;

export type McubootDumpRegionName = 'primary' | 'secondary' | 'scratch';

/** Regions `hil dump` reads from an MCUboot rig and `hil inspect` expects, in this order. */
export const MCUBOOT_DUMP_REGIONS: readonly { name: McubootDumpRegionName; base: number; size: number }[] = [
  { name: 'primary', base: NRF52840_PARTITIONS.primary.base, size: NRF52840_PARTITIONS.primary.size },
  { name: 'secondary', base: NRF52840_PARTITIONS.secondary.base, size: NRF52840_PARTITIONS.secondary.size },
  { name: 'scratch', base: NRF52840_PARTITIONS.scratch.base, size: NRF52840_PARTITIONS.scratch.size },
];

/**
 * The NVMC as a flash geometry (structurally a twin FlashGeometry; kept free of twin imports so
 * that host-side code may read this file). tWRITE 41 us per word, tERASEPAGE 85 ms, nWRITE 2.
 * pageSize is the largest single program op the model accepts: a page of words, written word by
 * word by the CPU, timed per word.
 */
export const NRF52840_NVMC = {
  name: 'nRF52840 NVMC',
  base: 0,
  size: 1024 * 1024,
  sectorSize: 4096,
  pageSize: 4096,
  programMs: 0,
  programMsPerUnit: 0.041,
  eraseUnits: [{ size: 4096, ms: 85 }],
  erasedValue: 0xff,
  writeUnit: 4,
  maxWritesPerUnit: 2,
};
