/**
 * nRF9160 (the LTE MCU of a two-processor product): 1 MiB flash at address 0 in 4 KiB pages and
 * 256 KiB SRAM. Pure data, no twin imports, like ./nrf52840.ts: the twin, the sample builder and
 * the host-side readers each read it on their own.
 */
import { NRF52840_NVMC } from './nrf52840.js';

export const NRF9160 = {
  name: 'nrf9160',
  flashBase: 0,
  flashSize: 1024 * 1024,
  sramBase: 0x2000_0000,
  /** One past the last SRAM byte (256 KiB): the highest legal initial SP. */
  sramTop: 0x2004_0000,
  /** NVMC page: the erase unit and MCUboot's sector. */
  pageSize: 4096,
  erasedValue: 0xff,
} as const;

/**
 * MCUboot build constants for the product's nRF9160 image (Zephyr defaults, as on the nRF52840):
 * the NVMC writes whole 32-bit words.
 */
export const NRF9160_MCUBOOT = {
  maxAlign: 8,
  writeSize: 4,
  maxSectors: 128,
  headerSize: 0x200,
} as const;

/**
 * The NVMC as a flash geometry (structurally a twin FlashGeometry). nWRITE 2 per word is the
 * nRF9160 product specification's figure (a word may be written twice between page erases). The
 * timings are INFERRED: the nRF9160 figures were not at hand, so tWRITE 41 us per word and
 * tERASEPAGE 85 ms are the nRF52840's (same NVMC family); a cut lands on the same op either way,
 * only the timeline's durations would shift.
 */
export const NRF9160_NVMC = { ...NRF52840_NVMC, name: 'nRF9160 NVMC' };
