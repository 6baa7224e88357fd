/**
 * The `loader-app` scheme's memory map and image layout on a single-bank STM32F429 (seed 001,
 * Memfault's "Device Firmware Update Cookbook", example/fwup-architecture memory_map.ld and
 * image.h): an immutable bootloader, the Loader in slot 1, the Application (or, for a while, the
 * Updater) in slot 2, and 256 bytes of RAM the programs share.
 *
 * Pure data: the twin (src/twin/loader-app/), the sample builder (src/firmware/fwup-image.ts)
 * and the host-side reader (src/images/fwup-header.ts) each read it on their own.
 */
import { STM32F429 } from './stm32f429.js';

export type LoaderAppSlotName = 'boot' | 'slot1' | 'slot2';

export interface LoaderAppSlot {
  readonly name: LoaderAppSlotName;
  readonly base: number;
  readonly size: number;
  /** Sectors of bank 1 (RM0090 numbering) the region spans. */
  readonly sectors: readonly number[];
}

/**
 * Flash regions, all in bank 1 (sectors 0–11): the sector boundaries are why the example picked
 * these sizes (16 KiB = sector 0; 112 KiB = sectors 1–4; 896 KiB = sectors 5–11).
 */
export const LOADER_APP_SLOTS: Readonly<Record<LoaderAppSlotName, LoaderAppSlot>> = {
  boot: { name: 'boot', base: 0x0800_0000, size: 16 * 1024, sectors: [0] },
  slot1: { name: 'slot1', base: 0x0800_4000, size: 112 * 1024, sectors: [1, 2, 3, 4] },
  slot2: { name: 'slot2', base: 0x0802_0000, size: 896 * 1024, sectors: [5, 6, 7, 8, 9, 10, 11] },
};

export const LOADER_APP_SLOT_NAMES: readonly LoaderAppSlotName[] = ['boot', 'slot1', 'slot2'];

/** The RAM the four programs share (memory_map.ld `sharedram`): kept over resets that keep SRAM powered. */
export const LOADER_APP_SHARED_RAM = { base: STM32F429.sramBase, size: 256 } as const;

/**
 * image_hdr_t at offset 0 of slot 1 and slot 2 (packed, little-endian, 32 bytes), as in the seed:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0  | 2 | image_magic, 0xCAFE |
 * | 2  | 2 | image_hdr_version, 1 |
 * | 4  | 4 | crc: IEEE CRC-32 (zlib) of the data_size bytes that follow the header |
 * | 8  | 4 | data_size: image length − 32 |
 * | 12 | 1 | image_type: 1 Loader, 2 Application, 3 Updater |
 * | 13 | 3 | version major, minor, patch |
 * | 16 | 4 | vector_addr: absolute address of the vector table |
 * | 20 | 4 | reserved (0xFFFFFFFF) |
 * | 24 | 8 | git_sha: 7 hex digits + NUL |
 *
 * The header is the commit: written last, and zeroed (flash programming only clears bits) to
 * invalidate an image. An erased header reads magic 0xFFFF, a zeroed one 0x0000: neither is valid.
 */
export const LOADER_APP_HEADER = {
  size: 32,
  magic: 0xcafe,
  headerVersion: 1,
  at: { magic: 0, headerVersion: 2, crc: 4, dataSize: 8, imageType: 12, major: 13, minor: 14, patch: 15, vectorAddr: 16, reserved: 20, gitSha: 24 },
} as const;

export const LOADER_APP_IMAGE_TYPES = { loader: 1, app: 2, updater: 3 } as const;
export type LoaderAppImageType = keyof typeof LOADER_APP_IMAGE_TYPES;

/**
 * Where things sit in a sample image, from the slot base. The vector table follows the header at
 * 0x200 because VTOR needs it aligned to its size rounded up to a power of two (107 words → 512).
 * The bootloader has no header: the core starts it from its vector table at 0x0800_0000.
 */
export const LOADER_APP_IMAGE_LAYOUT = {
  vectorOffset: 0x200,
  /** 16 system exceptions + 91 IRQs of the F429. */
  vectorWords: 107,
  /** The app info block (src/protocols/appinfo.ts), right after the vector table. */
  appInfoOffset: 0x3c0,
  codeOffset: 0x400,
} as const;

/** Regions `hil dump` reads and `hil inspect` expects, in this order, named as the files. */
export const FWUP_DUMP_REGIONS = LOADER_APP_SLOT_NAMES.map((n) => ({ name: n, base: LOADER_APP_SLOTS[n].base, size: LOADER_APP_SLOTS[n].size }));
