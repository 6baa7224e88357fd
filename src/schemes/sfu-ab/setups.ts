import { RigError } from '../../core/errors.js';
import { formatInspection } from './format.js';
import { inspectSfu } from './inspect.js';
import { SFU_DUMP_REGIONS, SFU_SLOTS } from '../../targets/rp2040.js';
import type { SchemeHost } from '../scheme.js';

/** RP2040-SFU A/B: baseline = image in slot A with the first-start flag erased (it self-signs). */
export const sfuAbSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  silence: 'bricked',
  settleMs: 0,
  async baseline(probe, { from }, _setup, opts = {}) {
    const image = from.slotImage.A;
    if (!image) throw new RigError(`${from.file}: not an image for slot A (linked for ${Object.keys(from.slotImage).join('/')}); a BIN2Page stream or an A-linked build is needed as the baseline`);
    await probe.massErase(opts);
    await probe.program(SFU_SLOTS.A.base, image, opts);
  },
  async inspect(probe, known) {
    const d = await probe.dump(SFU_DUMP_REGIONS);
    // Both slots' CRCs from the probe when it can tell them without a pass over the dump.
    const slotCrc = probe.crc32 && { A: await probe.crc32(region('slotA')), B: await probe.crc32(region('slotB')) };
    const inspection = inspectSfu(
      { slotA: d.slotA!, metaA: d.metaA!, slotB: d.slotB!, metaB: d.metaB!, nvParam: d.nvParam! },
      { known: known.map((k) => ({ name: k.name, slotImage: k.slotImage })), ...(slotCrc && { slotCrc }) },
    );
    return { slots: inspection.slots, bootsNext: inspection.bootsNext, jumps: inspection.jumps, stuckAs: 'waiting', noBootAs: 'waiting', table: formatInspection(inspection) };
  },
};

function region(name: (typeof SFU_DUMP_REGIONS)[number]['name']) {
  return SFU_DUMP_REGIONS.find((r) => r.name === name)!;
}
