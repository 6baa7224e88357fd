/**
 * Loads a product dump from files: the three region files `hil dump` writes (host-flash.bin,
 * radio-flash.bin, shared-flash.bin, matched by base name, any directory), each exactly its
 * memory's size. A product has no single whole-flash file: its memories sit on different buses.
 */
import { InspectError } from '../../images/inspect-error.js';
import { loadRegionFiles } from '../../images/dump-files.js';
import { PRODUCT_DUMP_REGIONS, type ProductRegionName } from '../../targets/nrf91-nrf52-product.js';

export type ProductDump = Record<ProductRegionName, Buffer>;

const LABEL = 'product dump';

/** Loads a dump for inspectProduct; InspectError (file, region, sizes) on bad input. */
export async function loadProductDump(files: string[]): Promise<ProductDump> {
  if (files.length === 1) {
    throw new InspectError(
      `${LABEL}: got one file (${files[0]}); a product dump is three, one per memory: ${PRODUCT_DUMP_REGIONS.map((r) => `${r.name}.bin (${r.size / 1024 / 1024} MiB)`).join(', ')}`,
      { file: files[0]! },
    );
  }
  return (await loadRegionFiles(files, PRODUCT_DUMP_REGIONS, LABEL)) as ProductDump;
}
