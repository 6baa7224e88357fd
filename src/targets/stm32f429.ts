/**
 * STM32F429 (2 MiB, dual bank) memory map for the `stm32-dualbank` scheme
 * (reference/bootloader-formats-and-faults.md §5.1, §6; RM0090 table 6; AN2606 dual-bank boot).
 * Addresses are physical: what a probe sees after a reset-halt, when SYSCFG_MEMRMP.UFB_MODE is
 * back at 0 (the ROM sets it only when it boots bank 2, and then bank 2 appears at 0x0800_0000).
 *
 * Pure data: the twin, the image builder and the host-side inspection all read it.
 */

export const STM32F429 = {
  name: 'stm32f429',
  flashBase: 0x0800_0000,
  flashSize: 2 * 1024 * 1024,
  bankSize: 1024 * 1024,
  /** Where every image is linked: the ROM remaps bank 2 there when it boots it (reference §6). */
  linkBase: 0x0800_0000,
  /** SRAM1+SRAM2+SRAM3 (112 + 16 + 64 KiB); the 64 KiB CCM at 0x1000_0000 is not counted. */
  sramBase: 0x2000_0000,
  /** One past the last SRAM byte; an initial SP equal to it (CubeIDE's `_estack`) is valid for the ROM's check. */
  sramEnd: 0x2003_0000,
  /** RM0090 FLASH_OPTCR bit 4 shadows it; in the option bytes it is bit 4 of the USER byte. */
  optionBytes: { base: 0x1fff_c000, size: 16 },
} as const;

export type Stm32BankName = 'bank1' | 'bank2';

export const STM32_BANKS: Record<Stm32BankName, { name: Stm32BankName; base: number; size: number; firstSector: number }> = {
  bank1: { name: 'bank1', base: 0x0800_0000, size: STM32F429.bankSize, firstSector: 0 },
  bank2: { name: 'bank2', base: 0x0810_0000, size: STM32F429.bankSize, firstSector: 12 },
};

export const STM32_BANK_NAMES: readonly Stm32BankName[] = ['bank1', 'bank2'];

/** Sector erase times at x32 parallelism, typical (reference §5.1: 250 ms / 550 ms / 1 s). */
export const STM32_ERASE_MS: Readonly<Record<number, number>> = { 0x4000: 250, 0x1_0000: 550, 0x2_0000: 1000 };

/** One bank's sector sizes in order: 4 × 16 KiB, 64 KiB, 7 × 128 KiB. */
export const STM32_BANK_SECTOR_SIZES: readonly number[] = [0x4000, 0x4000, 0x4000, 0x4000, 0x1_0000, ...Array<number>(7).fill(0x2_0000)];

export interface Stm32Sector {
  /** STM32 sector number, 0–23 (FLASH_CR.SNB; 12–23 are bank 2). */
  index: number;
  /** Sector number within its bank, 0–11 (what the app's ERASE_PART reports). */
  inBank: number;
  bank: Stm32BankName;
  address: number;
  size: number;
  eraseMs: number;
}

function bankSectors(bank: Stm32BankName): Stm32Sector[] {
  const b = STM32_BANKS[bank];
  let address = b.base;
  return STM32_BANK_SECTOR_SIZES.map((size, inBank) => {
    const s: Stm32Sector = { index: b.firstSector + inBank, inBank, bank, address, size, eraseMs: STM32_ERASE_MS[size]! };
    address += size;
    return s;
  });
}

/** All 24 sectors, bank 1 then bank 2. */
export const STM32_SECTORS: readonly Stm32Sector[] = [...bankSectors('bank1'), ...bankSectors('bank2')];

/**
 * The flash geometry of the twin (the shape of src/twin/flash/geometry.ts FlashGeometry, kept
 * structural here so that targets/ depends on nothing). Program: x32 word writes, 16 µs each;
 * 1→0 reprogramming is allowed (no write limit). pageSize is the largest run of word programs the
 * model takes as one operation (n words back to back, n × 16 µs; a cut tears it word by word as it
 * would tear the loop), not a hardware page: rows stay 16 bytes where the app programs them singly.
 */
export const STM32F429_FLASH_GEOMETRY = {
  name: 'STM32F429 2 MiB dual-bank flash',
  base: STM32F429.flashBase,
  size: STM32F429.flashSize,
  sectorSize: 0x4000,
  pageSize: 2048,
  programMs: 0,
  programMsPerUnit: 0.016,
  writeUnit: 4,
  eraseUnits: [] as { size: number; ms: number }[],
  sectorMap: STM32_SECTORS.map((s) => ({ address: s.address, size: s.size, ms: s.eraseMs })),
  erasedValue: 0xff,
};

/**
 * The 16 bytes of user option bytes at 0x1FFF_C000 as the dump and the twin hold them:
 *
 * | offset | content |
 * |---|---|
 * | 0 | USER: bit 7 nRST_STDBY, bit 6 nRST_STOP, bit 5 WDG_SW, **bit 4 BFB2**, bits 3:2 BOR_LEV, bits 1:0 reserved (0) |
 * | 1 | RDP: 0xAA = level 0 (no read protection) |
 * | 2–7 | reserved, 0xFF |
 * | 8–9 | u16 LE: nWRP for sectors 0–11 (bits 11:0, 1 = not write-protected), bit 14 DB1M, bit 15 SPRMOD |
 * | 10–15 | reserved, 0xFF |
 *
 * This is FLASH_OPTCR's low half (USER = OPTCR[7:2], RDP = OPTCR[15:8]) and nWRP = OPTCR[27:16]
 * as RM0090 maps them into the option-byte area; the reserved bytes are a simplification.
 */
export const STM32_OPTION_LAYOUT = {
  userOffset: 0,
  rdpOffset: 1,
  nwrpOffset: 8,
  /** Bit of the USER byte. */
  bfb2Bit: 4,
  rdpLevel0: 0xaa,
} as const;

/** Factory option bytes: BOR off (11), BFB2 clear, software watchdog, no reset on stop/standby, RDP level 0, no write protection. */
export const STM32_FACTORY_OPTIONS: Readonly<Buffer> = Buffer.from([0xec, 0xaa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** BFB2 as the option bytes hold it. */
export function optionBfb2(options: Uint8Array): boolean {
  return ((options[STM32_OPTION_LAYOUT.userOffset]! >> STM32_OPTION_LAYOUT.bfb2Bit) & 1) === 1;
}

/** A copy of `options` with BFB2 set or cleared (every other bit as it was). */
export function withBfb2(options: Uint8Array, set: boolean): Buffer {
  const out = Buffer.from(options);
  const bit = 1 << STM32_OPTION_LAYOUT.bfb2Bit;
  out[STM32_OPTION_LAYOUT.userOffset] = set ? out[STM32_OPTION_LAYOUT.userOffset]! | bit : out[STM32_OPTION_LAYOUT.userOffset]! & ~bit & 0xff;
  return out;
}

/**
 * Where things are in a stm32-dualbank sample image (offsets from the image start = bank base;
 * see src/firmware/stm32-image.ts). The ROM reads word 0 (the initial SP), so the image header
 * cannot sit at offset 0 as in the memfault example: it sits after the vector table.
 */
export const STM32_IMAGE_LAYOUT = {
  /** 16 system exceptions + 91 IRQs of the F429: 107 words, 0x000–0x1AB. */
  vectorWords: 107,
  /** memfault-style image_hdr_t (seed 001), 32 bytes. */
  headerOffset: 0x1c0,
  headerSize: 32,
  /** The app info block (src/protocols/appinfo.ts). */
  appInfoOffset: 0x200,
  /** The vector-table sector: bank sector 0, 16 KiB. The OTA app writes it last. */
  firstSectorSize: 0x4000,
} as const;

/**
 * image_hdr_t field offsets (packed, little-endian):
 * magic u16 @0 (0xCAFE), header version u16 @2 (1), crc u32 @4, data_size u32 @8, image_type u8 @12
 * (2 = app), version major/minor/patch u8 @13/@14/@15, vector_addr u32 @16, reserved u32 @20 (0xFFFFFFFF),
 * git_sha char[8] @24 (7 hex digits + NUL).
 * crc = IEEE CRC-32 (zlib) of image bytes [0, headerOffset) followed by [headerOffset + 32, 32 + data_size):
 * the image without its header; data_size = image length − 32.
 */
export const STM32_IMAGE_HEADER = {
  magic: 0xcafe,
  headerVersion: 1,
  imageTypeApp: 2,
  at: { magic: 0, headerVersion: 2, crc: 4, dataSize: 8, imageType: 12, major: 13, minor: 14, patch: 15, vectorAddr: 16, reserved: 20, gitSha: 24 },
} as const;

/** Regions `hil dump` reads from a stm32-dualbank rig and `hil inspect` expects, in this order. */
export const STM32_DUMP_REGIONS = [
  { name: 'bank1', base: STM32_BANKS.bank1.base, size: STM32F429.bankSize },
  { name: 'bank2', base: STM32_BANKS.bank2.base, size: STM32F429.bankSize },
  { name: 'options', base: STM32F429.optionBytes.base, size: STM32F429.optionBytes.size },
] as const;

export type Stm32DumpRegionName = (typeof STM32_DUMP_REGIONS)[number]['name'];
