/** The loader-app twin: seed 001's bootloader, Loader, Application and Updater on a single-bank STM32F429. */
export { LoaderAppTwin, type LoaderAppTwinOptions } from './device.js';
export { LOADER_APP_VARIANTS, LOADER_APP_VARIANT_NAMES, type LoaderAppVariant } from './variants.js';
export { MAX_BOOT_ATTEMPTS } from './boot.js';
export { DfuServer, LOADER_APP_RX_RING } from './dfu.js';
export { SharedRam, SHARED_MAGIC } from './shared-ram.js';
