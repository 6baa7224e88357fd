/**
 * Host-side inspection of a two-processor product's dump (seed 000): each member's MCUboot slots
 * judged with the one neutral MCUboot reading (src/images/mcuboot-inspect.ts) over that member's
 * slots, whose secondary lies in the shared SPI NOR; then what the product as a whole boots next
 * and which versions it will run. Independent of the twin.
 */
import { InspectError } from '../../images/inspect-error.js';
import type { KnownImage } from '../../images/known-images.js';
import { inspectMcubootSlots, type McubootSlotLayout, type McubootSlotsInspection } from '../../images/mcuboot-inspect.js';
import { NRF52840 } from '../../targets/nrf52840.js';
import { NRF9160, NRF9160_MCUBOOT } from '../../targets/nrf9160.js';
import { PRODUCT_MEMBERS, PRODUCT_REGIONS, PRODUCT_RUN_ADDRESS, type ProductMember, type ProductMemberName } from '../../targets/nrf91-nrf52-product.js';
import { readDfuState, type DfuStateReading } from './dfu-state.js';
import type { ProductDump } from './dump.js';

export interface MemberInspection extends McubootSlotsInspection {
  member: ProductMemberName;
  target: string;
}

export interface ProductInspection {
  /** In scheme order (host, radio). */
  members: Record<string, MemberInspection>;
  /** `host:primary+radio:primary`, or null when any member will hang in its bootloader. */
  bootsNext: string | null;
  /** What will run, as the product version string (`host=2.0.0,radio=1.0.0`; `?` for a member whose version is unknown). */
  version: string;
  /** Every member's next image passes MCUboot's validation. */
  valid: boolean;
  /** The host's dfu-state record, when its layout is known (see ./dfu-state.ts). */
  dfuState?: DfuStateReading;
  summary: string;
}

/** Member-known images: a product image's bytes for this member, named `<image>:<member>`. */
export interface ProductKnownImage {
  name: string;
  /** `host:primary`, `host:secondary`, `radio:primary`, … as a product image reading gives them. */
  slotImage: Partial<Record<string, Buffer>>;
}

const SRAM: Record<ProductMember['target'], { sramBase: number; sramTop: number; pageSize: number; erasedValue: number }> = {
  nrf9160: NRF9160,
  nrf52840: NRF52840,
};

/** A member's slots in the product's virtual address space (what the reports show), running at 0xC200 in its own map. */
export function memberLayout(m: ProductMember): McubootSlotLayout {
  const at = (slot: 'primary' | 'secondary' | 'scratch') => ({ base: PRODUCT_REGIONS[m.slots[slot].region].base + m.slots[slot].offset, size: m.slots[slot].size });
  const chip = SRAM[m.target];
  return {
    regions: { primary: at('primary'), secondary: at('secondary'), scratch: at('scratch') },
    sectorSize: chip.pageSize,
    runAddress: PRODUCT_RUN_ADDRESS[m.name],
    headerSize: NRF9160_MCUBOOT.headerSize,
    sramBase: chip.sramBase,
    sramTop: chip.sramTop,
    erasedValue: chip.erasedValue,
    maxAlign: NRF9160_MCUBOOT.maxAlign,
    writeSize: NRF9160_MCUBOOT.writeSize,
    maxSectors: NRF9160_MCUBOOT.maxSectors,
    label: `${m.name} MCUboot slots`,
  };
}

/** One member's slot contents cut out of the three memories. */
export function memberSlots(dump: ProductDump, m: ProductMember): { primary: Buffer; secondary: Buffer; scratch: Buffer } {
  const cut = (slot: 'primary' | 'secondary' | 'scratch') => {
    const s = m.slots[slot];
    return dump[s.region].subarray(s.offset, s.offset + s.size);
  };
  return { primary: cut('primary'), secondary: cut('secondary'), scratch: cut('scratch') };
}

/** The product's known images as one member's (`primary`/`secondary` slot names), named `<image>:<member>`. */
export function memberKnown(known: readonly ProductKnownImage[], member: string): KnownImage[] {
  return known.flatMap((k) => {
    const primary = k.slotImage[`${member}:primary`];
    const secondary = k.slotImage[`${member}:secondary`];
    if (!primary && !secondary) return [];
    return [{ name: `${k.name}:${member}`, slotImage: { ...(primary && { primary }), ...(secondary && { secondary }) } }];
  });
}

/** `2.0.0+0` → `2.0.0`: the product version string carries major.minor.revision, as the apps' banners print. */
export function shortVersion(v: string | undefined): string | undefined {
  return v === undefined ? undefined : (/^(\d+\.\d+\.\d+)/.exec(v)?.[1] ?? v);
}

function checkProductDump(dump: unknown): ProductDump {
  if (typeof dump !== 'object' || dump === null) throw new InspectError('product dump: expected an object with host-flash, radio-flash and shared-flash');
  for (const r of Object.values(PRODUCT_REGIONS)) {
    const v = (dump as Record<string, unknown>)[r.name];
    if (!(v instanceof Uint8Array)) throw new InspectError(`product dump: region ${r.name} is missing (expected ${r.size} bytes)`, { region: r.name, expected: r.size });
    if (v.length !== r.size) throw new InspectError(`product dump: region ${r.name} is ${v.length} bytes, expected ${r.size}`, { region: r.name, expected: r.size, actual: v.length });
  }
  return dump as ProductDump;
}

/**
 * Judges a product dump. Throws InspectError for a missing or wrongly sized region or unusable
 * known images; otherwise never throws, whatever the bytes are.
 */
export function inspectProduct(dump: ProductDump, opts: { known?: readonly ProductKnownImage[] } = {}): ProductInspection {
  const d = checkProductDump(dump);
  const members: Record<string, MemberInspection> = {};
  for (const m of PRODUCT_MEMBERS) {
    const i = inspectMcubootSlots(memberSlots(d, m), memberLayout(m), { known: memberKnown(opts.known ?? [], m.name) });
    members[m.name] = { member: m.name, target: m.target, ...i };
  }
  const all = PRODUCT_MEMBERS.map((m) => members[m.name]!);
  const bootsNext = all.every((i) => i.bootsNext !== null) ? all.map((i) => `${i.member}:${i.bootsNext}`).join('+') : null;
  const version = all.map((i) => `${i.member}=${shortVersion(i.runs?.version) ?? '?'}`).join(',');
  const valid = all.every((i) => i.runs?.valid === true);
  const dfuState = readDfuState(d['host-flash']);
  const stuck = all.filter((i) => i.bootsNext === null).map((i) => i.member);
  const summary = stuck.length ? `${stuck.join(' and ')} will hang in MCUboot: the product does not start` : `boots ${bootsNext}, running ${version}`;
  return { members, bootsNext, version, valid, ...(dfuState && { dfuState }), summary };
}
