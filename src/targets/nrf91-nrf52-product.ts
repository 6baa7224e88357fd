/**
 * The two-processor product (seed 000): an nRF9160 `host` (LTE) and an nRF52840 `radio` (BLE),
 * each running MCUboot swap-scratch with primary and scratch in its internal flash and its
 * secondary in one shared SPI NOR (W25Q32JV-class, 4 MiB) on a bus both drive, guarded by a GPIO
 * lock line. Pure data: the twin product, the rig's composite probe, dumps, op logs and the
 * host-side inspection all read the same map.
 *
 * One virtual address space puts the three memories side by side, so a probe region, a dump
 * file, an op log line and a twin flash base name one byte without saying which bus it is on:
 *
 * | region         | virtual base | size  | real address                          |
 * |----------------|--------------|-------|---------------------------------------|
 * | `host-flash`   | 0x0000_0000  | 1 MiB | nRF9160 0x0                           |
 * | `radio-flash`  | 0x0010_0000  | 1 MiB | nRF52840 (virtual - 0x10_0000)        |
 * | `shared-flash` | 0x0020_0000  | 4 MiB | SPI NOR (virtual - 0x20_0000)         |
 */

export type ProductRegionName = 'host-flash' | 'radio-flash' | 'shared-flash';
export type ProductMemberName = 'host' | 'radio';

export interface ProductRegion {
  readonly name: ProductRegionName;
  /** Virtual base. */
  readonly base: number;
  readonly size: number;
  /** Which memory it is: a member's internal flash, or the shared NOR. */
  readonly memory: ProductMemberName | 'shared';
}

const MiB = 1024 * 1024;

export const PRODUCT_REGIONS: Readonly<Record<ProductRegionName, ProductRegion>> = {
  'host-flash': { name: 'host-flash', base: 0x0000_0000, size: 1 * MiB, memory: 'host' },
  'radio-flash': { name: 'radio-flash', base: 0x0010_0000, size: 1 * MiB, memory: 'radio' },
  'shared-flash': { name: 'shared-flash', base: 0x0020_0000, size: 4 * MiB, memory: 'shared' },
};

/** Regions `hil dump` reads from a product rig and `hil inspect` expects, in this order, named as the files. */
export const PRODUCT_DUMP_REGIONS: readonly { name: ProductRegionName; base: number; size: number }[] = (['host-flash', 'radio-flash', 'shared-flash'] as const).map((n) => ({
  name: n,
  base: PRODUCT_REGIONS[n].base,
  size: PRODUCT_REGIONS[n].size,
}));

/** Partitions inside each memory: offsets from that memory's address 0 (the same in both MCUs). */
export const HOST_PARTITIONS = {
  mcuboot: { base: 0x0, size: 0xc000 },
  primary: { base: 0xc000, size: 0x2_0000 },
  scratch: { base: 0xf_0000, size: 0x8000 },
  /** The host app's persisted download/update record (2 pages). */
  dfuState: { base: 0xf_8000, size: 0x2000 },
} as const;

export const RADIO_PARTITIONS = {
  mcuboot: { base: 0x0, size: 0xc000 },
  primary: { base: 0xc000, size: 0x2_0000 },
  scratch: { base: 0xf_0000, size: 0x8000 },
} as const;

export const SHARED_PARTITIONS = {
  hostSecondary: { base: 0x0, size: 0x2_0000 },
  radioSecondary: { base: 0x2_0000, size: 0x2_0000 },
  /** The radio app appends small log records here under the lock: what a missing lock collides with. */
  radioLog: { base: 0x10_0000, size: 0x1_0000 },
} as const;

/**
 * The shared SPI NOR's geometry (W25Q32JV-like: 256-byte page program 0.7 ms, 4 KiB sector erase
 * 45 ms, 64 KiB block erase 150 ms), structurally a twin FlashGeometry at SPI address 0 (the twin
 * rebases it to the region's virtual base).
 */
export const PRODUCT_SHARED_NOR = {
  name: 'W25Q32JV SPI NOR',
  base: 0,
  size: 4 * MiB,
  sectorSize: 4096,
  pageSize: 256,
  programMs: 0.7,
  eraseUnits: [{ size: 4096, ms: 45 }],
  erasedValue: 0xff,
};

export interface ProductMember {
  readonly name: ProductMemberName;
  readonly target: 'nrf9160' | 'nrf52840';
  /** Its internal flash region. */
  readonly flash: ProductRegionName;
  /** MCUboot's slots for this member, each in a region at an offset inside that region. */
  readonly slots: {
    readonly primary: { readonly region: ProductRegionName; readonly offset: number; readonly size: number };
    readonly secondary: { readonly region: ProductRegionName; readonly offset: number; readonly size: number };
    readonly scratch: { readonly region: ProductRegionName; readonly offset: number; readonly size: number };
  };
}

/** The members in scheme order (the product version string lists them in this order). */
export const PRODUCT_MEMBERS: readonly ProductMember[] = [
  {
    name: 'host',
    target: 'nrf9160',
    flash: 'host-flash',
    slots: {
      primary: { region: 'host-flash', offset: HOST_PARTITIONS.primary.base, size: HOST_PARTITIONS.primary.size },
      secondary: { region: 'shared-flash', offset: SHARED_PARTITIONS.hostSecondary.base, size: SHARED_PARTITIONS.hostSecondary.size },
      scratch: { region: 'host-flash', offset: HOST_PARTITIONS.scratch.base, size: HOST_PARTITIONS.scratch.size },
    },
  },
  {
    name: 'radio',
    target: 'nrf52840',
    flash: 'radio-flash',
    slots: {
      primary: { region: 'radio-flash', offset: RADIO_PARTITIONS.primary.base, size: RADIO_PARTITIONS.primary.size },
      secondary: { region: 'shared-flash', offset: SHARED_PARTITIONS.radioSecondary.base, size: SHARED_PARTITIONS.radioSecondary.size },
      scratch: { region: 'radio-flash', offset: RADIO_PARTITIONS.scratch.base, size: RADIO_PARTITIONS.scratch.size },
    },
  },
];

/** A member slot's virtual address (the region's base + the slot's offset). */
export function productSlotAddress(member: ProductMemberName, slot: 'primary' | 'secondary' | 'scratch'): number {
  const m = PRODUCT_MEMBERS.find((x) => x.name === member)!;
  const s = m.slots[slot];
  return PRODUCT_REGIONS[s.region].base + s.offset;
}

/** The virtual address of the host's dfu-state record. */
export const HOST_DFU_STATE_ADDRESS = PRODUCT_REGIONS['host-flash'].base + HOST_PARTITIONS.dfuState.base;

/** Where each member's app runs (its real address: primary + the MCUboot header), which the banner prints. */
export const PRODUCT_RUN_ADDRESS: Readonly<Record<ProductMemberName, number>> = {
  host: HOST_PARTITIONS.primary.base + 0x200,
  radio: RADIO_PARTITIONS.primary.base + 0x200,
};

/** The virtual region holding `address`, and the real (in-memory) offset; undefined outside the map. */
export function productRegionAt(address: number): { region: ProductRegion; offset: number } | undefined {
  for (const r of Object.values(PRODUCT_REGIONS)) if (address >= r.base && address < r.base + r.size) return { region: r, offset: address - r.base };
  return undefined;
}
