/**
 * MCUboot's flash areas as the twin's bootloader and apps see them: each slot is a range of some
 * flash part (device addresses, virtual on a product), reached directly (the MCU's own flash) or
 * over a shared bus (`port`), whose locking driver takes the bus's lock around each access, as
 * an MCUboot built with the IRNAS-style shared-flash driver does.
 */
import { NRF52840, NRF52840_MCUBOOT } from '../../targets/nrf52840.js';
import { NRF9160, NRF9160_MCUBOOT } from '../../targets/nrf9160.js';
import type { NorFlash } from '../flash/nor-flash.js';
import type { Mcu } from '../mcu.js';
import type { SpiPort } from '../spi-bus/shared-flash.js';

/** The image's trailer layout and sector size (reference §2.3): one for all three areas of an image. */
export interface McubootConfig {
  /** MCUboot's sector: the unit it swaps and erases. */
  sector: number;
  /** BOOT_WRITE_SZ: each trailer field and status record is written as one such word. */
  writeSize: number;
  /** BOOT_MAX_ALIGN: spacing of the trailer fields. */
  maxAlign: number;
  /** MCUBOOT_MAX_IMG_SECTORS: sizes the slots' status areas. */
  maxSectors: number;
  erasedValue: number;
}

/** MCUboot as Zephyr builds it for an nRF52840 (NVMC words, 4 KiB pages). */
export const NRF52840_MCUBOOT_CONFIG: McubootConfig = {
  sector: NRF52840.pageSize,
  writeSize: NRF52840_MCUBOOT.writeSize,
  maxAlign: NRF52840_MCUBOOT.maxAlign,
  maxSectors: NRF52840_MCUBOOT.maxSectors,
  erasedValue: NRF52840.erasedValue,
};

/** The same for an nRF9160 (its NVMC writes words too). */
export const NRF9160_MCUBOOT_CONFIG: McubootConfig = {
  sector: NRF9160.pageSize,
  writeSize: NRF9160_MCUBOOT.writeSize,
  maxAlign: NRF9160_MCUBOOT.maxAlign,
  maxSectors: NRF9160_MCUBOOT.maxSectors,
  erasedValue: NRF9160.erasedValue,
};

export type FlashAreaName = 'primary' | 'secondary' | 'scratch';

export interface FlashArea {
  readonly name: FlashAreaName;
  /** Device address of the area's first byte. */
  readonly base: number;
  readonly size: number;
  /** The part that holds it. */
  readonly flash: NorFlash;
  /** Set when the area is on a shared bus: accesses go through this master's port, under the lock. */
  readonly port?: SpiPort;
  readonly config: McubootConfig;
}

export interface McubootAreas {
  readonly primary: FlashArea;
  readonly secondary: FlashArea;
  readonly scratch: FlashArea;
}

/** Programs `data` at `address` in `area`: an op of the MCU's own flash, or page programs on the bus under the lock. */
export function areaProgram(mcu: Mcu, area: FlashArea, address: number, data: Uint8Array): Promise<void> {
  const port = area.port;
  if (!port) return mcu.flashOp(area.flash.program(address, data));
  return port.withLock(() => port.program(address, data));
}

/** Erases one erase unit (an MCUboot sector) of `area`. */
export function areaErase(mcu: Mcu, area: FlashArea, address: number, length: number): Promise<void> {
  const port = area.port;
  if (!port) return mcu.flashOp(area.flash.erase(address, length));
  return port.withLock(() => port.erase(address, length));
}

/**
 * Reads `length` bytes of a bus area under the lock, taking their transfer time: what a
 * decision that reads them costs (the caller then reads the same bytes from the part, as the
 * bus delivered them to a master that holds the lock). Resolves at once for an area of the
 * MCU's own flash (callers skip it there: no await of their own).
 */
export async function areaRead(area: FlashArea, address: number, length: number): Promise<Buffer> {
  const port = area.port;
  if (!port) return area.flash.read(address, length);
  return port.withLock(() => port.read(address, length));
}
