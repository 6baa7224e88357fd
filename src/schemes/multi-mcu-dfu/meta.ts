/**
 * The two-processor product of seed 000: an nRF9160 `host` (LTE, downloads the update) and an
 * nRF52840 `radio` (BLE co-processor), each booting MCUboot swap-scratch with its secondary slot in
 * one shared SPI NOR. Pure facts config and the rig need (no images/, no twin).
 */
import { PRODUCT_DUMP_REGIONS, PRODUCT_MEMBERS } from '../../targets/nrf91-nrf52-product.js';
import type { SchemeMeta } from '../scheme.js';
import { readProductImage } from './meta-product-image.js';

export const multiMcuDfuMeta: SchemeMeta = {
  name: 'multi-mcu-dfu',
  target: 'nrf9160',
  // host (nrf9160) then radio (nrf52840): the product version string lists them in this order.
  members: PRODUCT_MEMBERS.map((m) => ({ name: m.name, target: m.target })),
  // factory: each member's image of the `from` tar in its primary, as a factory programmer leaves
  // it (no trailer: confirmed), the secondaries and the host's dfu-state record erased.
  setups: ['factory'],
  updaters: ['fota'],
  // The same names, in the same order, as src/twin/multi-mcu-dfu/'s variants (registry test).
  variants: ['correct', 'lock-not-taken', 'ready-early', 'host-confirms-early', 'unchecked-apply', 'no-resume'],
  consoleFraming: 'text',
  dumpRegions: PRODUCT_DUMP_REGIONS,
  readImage: readProductImage,
  samples: { from: 'product-v1.tar', to: 'product-v2.tar' },
  twinServe: {
    updates: "the host member's console: `fota begin …` then `fota data …` answers to its `fota get` lines (see README, product rigs)",
    idleReset: false,
  },
  // The download runs over the host's console: cut by how much of the tar has been served.
  bench: { rig: 'rigs/twin-nrf9160-nrf52840-product.yaml', trigger: 'progress' },
  inspectHelp: `multi-mcu-dfu (nrf9160 + nrf52840)
                           host-flash.bin (1 MiB) radio-flash.bin (1 MiB) shared-flash.bin (4 MiB):
                           each MCU's internal flash and the shared SPI NOR; known images: product
                           tars (host.signed.bin + radio.signed.bin) or members' signed images`,
};
