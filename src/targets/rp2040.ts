/**
 * RP2040 with Mirn's SFU A/B layout on a 4 MiB QSPI NOR (reference/sfu-protocol.md §3.1).
 * Addresses are XIP addresses; flash offsets are address - XIP_BASE.
 */
export const RP2040 = {
  name: 'rp2040',
  xipBase: 0x1000_0000,
  flashSize: 4 * 1024 * 1024,
  sramBase: 0x2000_0000,
  /** Highest legal initial SP the SFU vector check names (only matters when the top byte is not 0x20). */
  sramTop: 0x2004_2000,
  pageSize: 256,
  sectorSize: 4096,
  blockSize: 65536,
  bootloader: { base: 0x1000_0000, size: 0x1_0000 },
  /** Byte 0 of this sector is the "first start" flag: 0xFF = never started. */
  firstStartFlag: 0x1000_f000,
} as const;

export type SfuSlotName = 'A' | 'B';

export interface SfuSlotMap {
  name: SfuSlotName;
  /** MAIN_START_FROM: first byte of the image area (the app's boot2). */
  base: number;
  /** MAIN_RUN_FROM: vector table (base + 0x100). */
  runFrom: number;
  /** Image area size: 0x1EF000 (1980 KiB). */
  size: number;
  /** MAIN_END: the 4 KiB metadata ("signature") sector. */
  metaBase: number;
}

export const SFU_SLOT_SIZE = 0x1e_f000;
export const SFU_META_SIZE = 0x1000;

function slot(name: SfuSlotName, base: number): SfuSlotMap {
  return { name, base, runFrom: base + 0x100, size: SFU_SLOT_SIZE, metaBase: base + SFU_SLOT_SIZE };
}

export const SFU_SLOTS: Record<SfuSlotName, SfuSlotMap> = {
  A: slot('A', 0x1001_0000),
  B: slot('B', 0x1021_0000),
};

/** Regions `hil dump` reads from an SFU rig and `hil inspect` expects, in this order. */
export const SFU_DUMP_REGIONS = [
  { name: 'slotA', base: SFU_SLOTS.A.base, size: SFU_SLOT_SIZE },
  { name: 'metaA', base: SFU_SLOTS.A.metaBase, size: SFU_META_SIZE },
  { name: 'slotB', base: SFU_SLOTS.B.base, size: SFU_SLOT_SIZE },
  { name: 'metaB', base: SFU_SLOTS.B.metaBase, size: SFU_META_SIZE },
  { name: 'nvParam', base: RP2040.firstStartFlag, size: 0x1000 },
] as const;

export type SfuDumpRegionName = (typeof SFU_DUMP_REGIONS)[number]['name'];
