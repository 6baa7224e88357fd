import { RigError } from '../../core/errors.js';
import { HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS, PRODUCT_DUMP_REGIONS, PRODUCT_MEMBERS, PRODUCT_REGIONS, SHARED_PARTITIONS, productSlotAddress } from '../../targets/nrf91-nrf52-product.js';
import type { FlashView, SchemeHost, UpdateImage } from '../scheme.js';
import type { MemoryRegion } from '../../drivers/capabilities.js';
import { formatProductInspection } from './format.js';
import { inspectProduct, type MemberInspection, type ProductInspection } from './inspect.js';
import { formatMcubootInspection } from '../../images/mcuboot-format.js';

/** Each member's app confirms itself after its banner, and the host then asks the radio's version: read after that. */
const CONFIRM_SETTLE_MS = 700;

/**
 * What a factory leaves erased: each member's scratch, both secondaries and the radio's log (in the
 * shared NOR), and the host's update record.
 */
const MUST_BE_ERASED: readonly MemoryRegion[] = [
  ...PRODUCT_MEMBERS.map((m) => ({ name: `${m.name}-scratch`, base: productSlotAddress(m.name, 'scratch'), size: m.slots.scratch.size })),
  ...PRODUCT_MEMBERS.map((m) => ({ name: `${m.name}-secondary`, base: productSlotAddress(m.name, 'secondary'), size: m.slots.secondary.size })),
  { name: 'radio-log', base: PRODUCT_REGIONS['shared-flash'].base + SHARED_PARTITIONS.radioLog.base, size: SHARED_PARTITIONS.radioLog.size },
  { name: 'host-dfu-state', base: HOST_DFU_STATE_ADDRESS, size: HOST_PARTITIONS.dfuState.size },
];

function memberView(m: MemberInspection): FlashView {
  return {
    slots: m.slots,
    bootsNext: m.bootsNext,
    jumps: m.jumps,
    stuckAs: 'boot-loop',
    noBootAs: 'bricked',
    ...(m.runs && { next: { valid: m.runs.valid, ...(m.runs.matches && { matches: m.runs.matches }), ...(m.runs.version && { version: m.runs.version }) } }),
    table: formatMcubootInspection(m),
  };
}

/** The product's FlashView: each member's own, and the product's slots, next boot and version on top. */
export function productFlashView(i: ProductInspection): FlashView {
  const members = Object.fromEntries(Object.entries(i.members).map(([name, m]) => [name, memberView(m)]));
  const slots = Object.values(i.members).flatMap((m) => m.slots.map((s) => ({ ...s, slot: `${m.member}:${s.slot}` })));
  return {
    slots,
    bootsNext: i.bootsNext,
    jumps: Object.values(i.members).every((m) => m.jumps),
    stuckAs: 'boot-loop',
    noBootAs: 'bricked',
    next: { valid: i.valid, version: i.version },
    members,
    ...(i.dfuState?.pending && { pending: i.dfuState.pending }),
    table: formatProductInspection(i),
  };
}

/** The known images' member bytes, as the inspection compares them. */
function knownOf(known: readonly UpdateImage[]) {
  return known.map((k) => ({ name: k.name, slotImage: k.slotImage }));
}

/**
 * The product (seed 000). Baseline `factory`: each member's image of the `from` tar in its
 * primary (no trailer: effectively confirmed), each scratch, both secondaries in the shared NOR,
 * the radio's log and the host's dfu-state record erased, as a production line leaves a board.
 * No mass erase: on a bench that would take each MCU's MCUboot (0x0–0xC000) with it, and the
 * baseline only owns the partitions MCUboot and the apps manage.
 */
export const multiMcuDfuSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  // MCUboot without serial recovery says "Unable to find bootable image" and stops: a brick.
  silence: 'bricked',
  settleMs: CONFIRM_SETTLE_MS,
  async baseline(probe, { from }, _setup, opts = {}) {
    const images = PRODUCT_MEMBERS.map((m) => ({ m, image: from.slotImage[`${m.name}:primary`] }));
    const missing = images.filter((x) => !x.image).map((x) => x.m.name);
    if (missing.length) throw new RigError(`${from.file}: not a product update with ${missing.join(' and ')} (a tar of ${PRODUCT_MEMBERS.map((m) => `${m.name}.signed.bin`).join(' + ')})`);
    // The whole slot, 0xFF after the image: an old trailer at the slot's end would otherwise survive.
    for (const { m, image } of images) {
      const slot = Buffer.alloc(m.slots.primary.size, 0xff);
      image!.copy(slot);
      await probe.program(productSlotAddress(m.name, 'primary'), slot, opts);
    }
    // Read first, write only what is not erased yet: a bench writes the shared NOR through flashrom, slowly.
    const now = await probe.dump(MUST_BE_ERASED, opts);
    for (const r of MUST_BE_ERASED) {
      if (!now[r.name]!.every((b) => b === 0xff)) await probe.program(r.base, Buffer.alloc(r.size, 0xff), opts);
    }
  },
  async inspect(probe, known) {
    const d = await probe.dump(PRODUCT_DUMP_REGIONS);
    const i = inspectProduct({ 'host-flash': d['host-flash']!, 'radio-flash': d['radio-flash']!, 'shared-flash': d['shared-flash']! }, { known: knownOf(known) });
    return productFlashView(i);
  },
};
