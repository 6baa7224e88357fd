/**
 * Each member's boot chain: MCUboot swap-scratch with primary and scratch in the member's own
 * flash and the secondary in the shared NOR (reached through the member's bus port, under the
 * lock), then the member's app.
 */
import { NRF52840_MCUBOOT } from '../../targets/nrf52840.js';
import { NRF9160_MCUBOOT } from '../../targets/nrf9160.js';
import { PRODUCT_MEMBERS, productSlotAddress, type ProductMemberName } from '../../targets/nrf91-nrf52-product.js';
import type { NorFlash } from '../flash/nor-flash.js';
import { McubootBootloader } from '../mcuboot/bootloader.js';
import type { FlashArea, McubootAreas, McubootConfig } from '../mcuboot/flash-area.js';
import type { Mcu } from '../mcu.js';
import type { SpiPort } from '../spi-bus/shared-flash.js';

export interface BootChainOptions {
  /** The member's internal flash (primary and scratch). */
  flash: NorFlash;
  /** The member's port on the shared bus (its secondary). */
  port: SpiPort;
  /** false: the bootloader is built without validating the secondary before a swap (the unchecked-apply radio). */
  validateSecondary: boolean;
  /** The board's checkpoint at each swap checkpoint (McubootBootloaderOptions.checkpoint). */
  checkpoint?(ram: string): void;
  runApp(mcu: Mcu): Promise<void>;
}

const BUILD = { host: NRF9160_MCUBOOT, radio: NRF52840_MCUBOOT } as const;

/** The member's three MCUboot areas at their virtual addresses. */
export function memberAreas(member: ProductMemberName, flash: NorFlash, port: SpiPort): McubootAreas {
  const b = BUILD[member];
  const config: McubootConfig = { sector: 4096, writeSize: b.writeSize, maxAlign: b.maxAlign, maxSectors: b.maxSectors, erasedValue: 0xff };
  const slots = PRODUCT_MEMBERS.find((m) => m.name === member)!.slots;
  const area = (name: 'primary' | 'secondary' | 'scratch'): FlashArea => ({
    name,
    base: productSlotAddress(member, name),
    size: slots[name].size,
    flash: name === 'secondary' ? port.bus.flash : flash,
    ...(name === 'secondary' && { port }),
    config,
  });
  return { primary: area('primary'), secondary: area('secondary'), scratch: area('scratch') };
}

export function memberBootChain(member: ProductMemberName, opts: BootChainOptions): (mcu: Mcu) => Promise<void> {
  const areas = memberAreas(member, opts.flash, opts.port);
  return McubootBootloader.program({
    areas,
    validateSecondary: opts.validateSecondary,
    chainloadOffset: areas.primary.base - opts.flash.base,
    ...(opts.checkpoint && { checkpoint: opts.checkpoint }),
    runApp: (mcu) => opts.runApp(mcu),
  });
}
