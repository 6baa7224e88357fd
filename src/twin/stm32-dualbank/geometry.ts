import { STM32F429_FLASH_GEOMETRY } from '../../targets/stm32f429.js';
import type { FlashGeometry } from '../flash/geometry.js';

/** RM0090 sectors as a sector map (16 KiB granule), x32 word programs of 16 µs, 128-bit rows. */
export const STM32F429_FLASH: FlashGeometry = STM32F429_FLASH_GEOMETRY;
