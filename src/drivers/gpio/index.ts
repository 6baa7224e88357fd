export * from './lines.js';
export { SysfsGpio, type SysfsGpioOptions, type OnoffModule, type OnoffGpio, type SysfsChip } from './sysfs.js';
export { Libgpiod, detectLibgpiodVersion, type LibgpiodOptions } from './libgpiod.js';
