/**
 * Sample firmware of the two-processor product (seed 000): each member's app as a signed MCUboot
 * image for its 128 KiB slot, and the update bundles (ustar tars of `host.signed.bin` +
 * `radio.signed.bin`) a suite names.
 *
 * Both members run their app from primary + header = 0xC200 in their own flash with 256 KiB SRAM,
 * so one image layout serves both; the members differ by seed (different code bytes, build id),
 * so a host image in the radio's slot is told apart by its hash, not by a version.
 */
import { HOST_PARTITIONS, PRODUCT_RUN_ADDRESS, RADIO_PARTITIONS } from '../targets/nrf91-nrf52-product.js';
import { NRF9160 } from '../targets/nrf9160.js';
import { NRF52840 } from '../targets/nrf52840.js';
import { buildMcubootImage } from './mcuboot-image.js';
import { writeUstar } from './ustar-writer.js';

/** About 24 KiB of app: six 4 KiB pages and a part, so every swap has several sectors to cut in. */
export const PRODUCT_SAMPLE_SIZE = 24 * 1024 + 52;

const SEED = { host: 9160, radio: 52840 } as const;

export const PRODUCT_MEMBER_SAMPLES = [
  { file: 'product-host-v1.signed.bin', member: 'host', version: '1.0.0' },
  { file: 'product-host-v2.signed.bin', member: 'host', version: '2.0.0' },
  { file: 'product-radio-v1.signed.bin', member: 'radio', version: '1.0.0' },
  { file: 'product-radio-v2.signed.bin', member: 'radio', version: '2.0.0' },
] as const;

export const PRODUCT_BUNDLES = [
  { file: 'product-v1.tar', host: 'product-host-v1.signed.bin', radio: 'product-radio-v1.signed.bin' },
  { file: 'product-v2.tar', host: 'product-host-v2.signed.bin', radio: 'product-radio-v2.signed.bin' },
] as const;

/** One member's signed image, linked to run at its primary + 0x200. */
export function buildProductMemberImage(member: 'host' | 'radio', version: string): Buffer {
  // Both members: the same SRAM top as the nRF52840 builder's vector table uses.
  if (NRF9160.sramTop !== NRF52840.sramTop) throw new Error('product samples assume the same SRAM top on both members');
  const slotSize = member === 'host' ? HOST_PARTITIONS.primary.size : RADIO_PARTITIONS.primary.size;
  return buildMcubootImage(version, PRODUCT_SAMPLE_SIZE, { slotSize, linkBase: PRODUCT_RUN_ADDRESS[member], seed: SEED[member] });
}

/** An update bundle as a lab's `tar cf bundle.tar host.signed.bin radio.signed.bin` gives it (fixed metadata). */
export function buildProductBundle(host: Buffer, radio: Buffer): Buffer {
  return writeUstar([
    { name: 'host.signed.bin', data: host },
    { name: 'radio.signed.bin', data: radio },
  ]);
}
