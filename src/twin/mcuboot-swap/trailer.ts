/**
 * The nRF52840 MCUboot swap-scratch twin's flash areas (the Zephyr nrf52840dk layout, all in the
 * MCU's own flash) and MCUboot build constants; the trailer code itself is ../mcuboot/trailer.ts.
 */
import { NRF52840_PARTITIONS } from '../../targets/nrf52840.js';
import type { NorFlash } from '../flash/nor-flash.js';
import { NRF52840_MCUBOOT_CONFIG, type FlashArea as McubootFlashArea, type McubootAreas } from '../mcuboot/flash-area.js';
import { readSwapState as readAreaSwapState, type SwapState } from '../mcuboot/trailer.js';

/** A slot of the nRF52840 layout (its flash is the board's). */
export interface FlashArea {
  name: 'primary' | 'secondary' | 'scratch';
  base: number;
  size: number;
}

export const PRIMARY: FlashArea = { name: 'primary', ...NRF52840_PARTITIONS.primary };
export const SECONDARY: FlashArea = { name: 'secondary', ...NRF52840_PARTITIONS.secondary };
export const SCRATCH: FlashArea = { name: 'scratch', ...NRF52840_PARTITIONS.scratch };

/** The three areas in `flash` (the board's NVMC). */
export function nrf52840Areas(flash: NorFlash): McubootAreas {
  const at = (a: FlashArea): McubootFlashArea => ({ ...a, flash, config: NRF52840_MCUBOOT_CONFIG });
  return { primary: at(PRIMARY), secondary: at(SECONDARY), scratch: at(SCRATCH) };
}

/** boot_read_swap_state of one of the board's areas. */
export function readSwapState(flash: NorFlash, area: FlashArea): SwapState {
  return readAreaSwapState({ ...area, flash, config: NRF52840_MCUBOOT_CONFIG });
}
