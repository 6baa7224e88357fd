/**
 * Host-side inspection of an nRF52840 MCUboot swap-scratch dump: the neutral MCUboot reading
 * (src/images/mcuboot-inspect.ts) over this board's partitions.
 */
import { MCUBOOT_DUMP_REGIONS, NRF52840, NRF52840_MCUBOOT } from '../../targets/nrf52840.js';
import { inspectMcubootSlots, type McubootDump, type McubootInspectOptions, type McubootSlotLayout, type McubootSlotsInspection } from '../../images/mcuboot-inspect.js';

export type { McubootDump, McubootInspectOptions, McubootNextAction, McubootRunningImage } from '../../images/mcuboot-inspect.js';

export interface McubootInspection extends McubootSlotsInspection {
  scheme: 'mcuboot-swap';
}

const region = (name: 'primary' | 'secondary' | 'scratch') => MCUBOOT_DUMP_REGIONS.find((r) => r.name === name)!;

/** The nRF52840 dk's "old scratch" layout (src/targets/nrf52840.ts). */
export const NRF52840_MCUBOOT_LAYOUT: McubootSlotLayout = {
  regions: { primary: region('primary'), secondary: region('secondary'), scratch: region('scratch') },
  sectorSize: NRF52840.pageSize,
  runAddress: region('primary').base + NRF52840_MCUBOOT.headerSize,
  headerSize: NRF52840_MCUBOOT.headerSize,
  sramBase: NRF52840.sramBase,
  sramTop: NRF52840.sramTop,
  erasedValue: NRF52840.erasedValue,
  maxAlign: NRF52840_MCUBOOT.maxAlign,
  writeSize: NRF52840_MCUBOOT.writeSize,
  maxSectors: NRF52840_MCUBOOT.maxSectors,
  label: 'MCUboot dump',
};

/**
 * Inspects an MCUboot swap-scratch dump. Throws InspectError for a missing or wrongly sized
 * region, bad options or unusable known images; otherwise never throws, whatever the bytes are.
 */
export function inspectMcuboot(dump: McubootDump, opts: McubootInspectOptions = {}): McubootInspection {
  return { scheme: 'mcuboot-swap', ...inspectMcubootSlots(dump, NRF52840_MCUBOOT_LAYOUT, opts) };
}
