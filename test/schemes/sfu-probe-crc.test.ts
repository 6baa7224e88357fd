/**
 * The SFU inspection takes both slots' CRCs from a probe that can tell them (Probe.crc32, a
 * sweep's twin probe) and then gives exactly the reading it gives from the dumped bytes alone.
 * The probe here is a plain one over the twin's NOR flash model (no mock: dump = the flash's bytes).
 */
import { describe, expect, it } from '@jest/globals';
import type { MemoryRegion, Probe } from '../../src/drivers/capabilities.js';
import { buildSamplePair } from '../../src/firmware/sample-app.js';
import { sfuAbSetups } from '../../src/schemes/sfu-ab/setups.js';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';
import { crc32 } from 'node:zlib';

function flashProbe(flash: NorFlash, withCrc: boolean, asked: string[]): Probe {
  const probe: Probe = {
    async dump(regions: readonly MemoryRegion[]) {
      return Object.fromEntries(regions.map((r) => [r.name, flash.read(r.base, r.size)]));
    },
    async program(address, data) {
      flash.writeRaw(address, data);
    },
    async massErase() {
      flash.eraseAll();
    },
  };
  if (withCrc)
    probe.crc32 = async (r) => {
      asked.push(r.name);
      return flash.crc32(r.base, r.size);
    };
  return probe;
}

describe('SFU inspection with a CRC-telling probe', () => {
  it('reads the same slots, boot choice and table as from the dump, and asks the probe for both slot CRCs', async () => {
    const v1 = buildSamplePair('1.0.0', 40_000, 1);
    const v2 = buildSamplePair('2.0.0', 40_000, 2);
    const flash = new NorFlash(W25Q32);
    flash.writeRaw(SFU_SLOTS.A.base, v1.a);
    // Slot B part written (a cut mid-update), slot A signed with its real CRC, B with a stale one.
    flash.writeRaw(SFU_SLOTS.B.base, v2.b.subarray(0, 12_000));
    const metaA = Buffer.alloc(8);
    metaA.writeUInt32LE(flash.crc32(SFU_SLOTS.A.base, SFU_SLOTS.A.size), 0);
    metaA.writeUInt32LE(1, 4);
    flash.writeRaw(SFU_SLOTS.A.metaBase, metaA);
    const metaB = Buffer.from([1, 2, 3, 4, 2, 0, 0, 0]);
    flash.writeRaw(SFU_SLOTS.B.metaBase, metaB);
    flash.snapshot(); // as in a sweep: the sectors are shared, their CRCs kept
    const known = [
      { name: 'v1', slotImage: { A: v1.a, B: v1.b } },
      { name: 'v2', slotImage: { A: v2.a, B: v2.b } },
    ] as unknown as Parameters<typeof sfuAbSetups.inspect>[1];
    const asked: string[] = [];
    const plain = await sfuAbSetups.inspect(flashProbe(flash, false, asked), known);
    const told = await sfuAbSetups.inspect(flashProbe(flash, true, asked), known);
    expect(asked).toEqual(['slotA', 'slotB']);
    expect(told).toEqual(plain);
    expect(plain.bootsNext).toBe('A');
    expect(plain.slots[1]!.scheme).toMatchObject({ actualCrc: crc32(flash.read(SFU_SLOTS.B.base, SFU_SLOTS.B.size)) >>> 0, crcOk: false });
  });
});
