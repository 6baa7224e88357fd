/** The stm32-dualbank twin: an STM32F429 with BFB2 dual-bank boot and a self-updating app. */
export { Stm32DualBankTwin, type Stm32DualBankOptions, type Stm32Snapshot } from './device.js';
export { STM32_VARIANTS, STM32_VARIANT_NAMES, type Stm32Variant } from './variants.js';
export { STM32F429_FLASH } from './geometry.js';
export { OPTION_PROGRAM_MS, Stm32OptionBytes } from './option-bytes.js';
export { OTHER_BANK_ALIAS, STM32_RX_RING } from './ota-app.js';
export { ROM_BOOT_MS, romSelect } from './rom.js';
