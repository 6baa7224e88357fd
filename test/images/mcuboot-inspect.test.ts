/**
 * MCUboot dumps built by hand from reference/bootloader-formats-and-faults.md §2.1–2.4 with
 * literal offsets (slot 0x67000, scratch 0x1E000, A = 8, w = 4, 128 sectors × 3 states), plus
 * dumps taken from the twin after a cut, checked against what the twin then does.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/core/clock.js';
import { buildMcubootImage, mcubootPendingBlock } from '../../src/firmware/mcuboot-image.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { loadMcubootDump } from '../../src/schemes/mcuboot-swap/dump.js';
import { formatMcubootInspection } from '../../src/schemes/mcuboot-swap/format.js';
import { inspectMcuboot } from '../../src/schemes/mcuboot-swap/inspect.js';
import { McubootSwapTwin } from '../../src/twin/mcuboot-swap/device.js';

const SLOT = 0x6_7000;
const SCRATCH = 0x1_e000;
const MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
const STATUS = SLOT - (128 * 3 * 4 + 48); // S - 1584
const SCRATCH_STATUS = SCRATCH - (3 * 4 + 48);
const V1 = buildMcubootImage('1.0.0', 16 * 1024);
const V2 = buildMcubootImage('2.0.0+7', 16 * 1024, { seed: 1 });
const known = [
  { name: 'v1', slotImage: { primary: V1, secondary: V1 } },
  { name: 'v2', slotImage: { primary: V2, secondary: V2 } },
];

function erased(n: number): Buffer {
  return Buffer.alloc(n, 0xff);
}
function slotWith(image?: Buffer): Buffer {
  const s = erased(SLOT);
  image?.copy(s, 0);
  return s;
}
/** Trailer fields, each a whole word: magic at S-16, image_ok S-24, copy_done S-32, swap_info S-40, swap_size S-48. */
function trailer(area: Buffer, t: { magic?: boolean; imageOk?: number; copyDone?: number; swapInfo?: number; swapSize?: number; records?: number[]; statusAt?: number }) {
  const S = area.length;
  if (t.magic) MAGIC.copy(area, S - 16);
  if (t.imageOk !== undefined) area[S - 24] = t.imageOk;
  if (t.copyDone !== undefined) area[S - 32] = t.copyDone;
  if (t.swapInfo !== undefined) area[S - 40] = t.swapInfo;
  if (t.swapSize !== undefined) area.writeUInt32LE(t.swapSize, S - 48);
  (t.records ?? []).forEach((v, i) => {
    if (v !== 0xff) area[(t.statusAt ?? STATUS) + 4 * i] = v;
  });
  return area;
}
/** A minimal image by hand: header, zero payload, TLV info + SHA-256. */
function handImage(payload: number, version = [3, 1, 4, 1]): Buffer {
  const h = Buffer.alloc(0x200);
  h.writeUInt32LE(0x96f3b83d, 0);
  h.writeUInt16LE(0x200, 8);
  h.writeUInt32LE(payload, 12);
  h[20] = version[0]!;
  h[21] = version[1]!;
  h.writeUInt16LE(version[2]!, 22);
  h.writeUInt32LE(version[3]!, 24);
  const body = Buffer.concat([h, Buffer.alloc(payload, 0x5a)]);
  const tlv = Buffer.alloc(40);
  tlv.writeUInt16LE(0x6907, 0);
  tlv.writeUInt16LE(40, 2);
  tlv.writeUInt16LE(0x10, 4);
  tlv.writeUInt16LE(32, 6);
  createHash('sha256').update(body).digest().copy(tlv, 8);
  return Buffer.concat([body, tlv]);
}

describe('inspectMcuboot on hand-built dumps', () => {
  it('an empty device: nothing present, nothing boots', () => {
    const i = inspectMcuboot({ primary: erased(SLOT), secondary: erased(SLOT), scratch: erased(SCRATCH) });
    expect(i.scheme).toBe('mcuboot-swap');
    expect(i.slots.map((s) => [s.slot, s.present, s.valid])).toEqual([
      ['primary', false, false],
      ['secondary', false, false],
    ]);
    expect([i.bootsNext, i.jumps, i.nextAction, i.statusSource]).toEqual([null, false, 'none', 'primary']);
  });

  it('a hand-made image: header, TLV walk and SHA-256 read independently; version major.minor.rev+build', () => {
    const i = inspectMcuboot({ primary: slotWith(handImage(0x800)), secondary: erased(SLOT) });
    expect(i.slots[0]).toMatchObject({ present: true, valid: true, version: '3.1.4+1' });
    expect(i.slots[0]!.scheme).toMatchObject({ hdrSize: 0x200, imgSize: 0x800, totalSize: 0xa28, hashOk: true, tlvTypes: [0x10] });
    expect(i.bootsNext).toBe('primary');
  });

  it('directly flashed primary: boots it, matches the known image bit-exactly', () => {
    const i = inspectMcuboot({ primary: slotWith(V1), secondary: erased(SLOT) }, { known });
    expect(i.slots[0]).toMatchObject({ valid: true, version: '1.0.0+0', matches: 'v1' });
    expect(i.slots[0]!.scheme.state).toBe('flashed directly; no revert possible, effectively confirmed');
    expect(i.slots[0]!.scheme.appVersion).toBe('1.0.0');
    expect(i.slots[0]!.scheme.vectorOk).toBe(true);
    expect([i.bootsNext, i.willRun, i.runs?.matches, i.nextAction]).toEqual(['primary', 'primary', 'v1', 'none']);
  });

  it('the imgtool --pad trap: magic GOOD, copy_done UNSET, no status record = flashed directly, not mid-swap', () => {
    const primary = trailer(slotWith(V1), { magic: true });
    const i = inspectMcuboot({ primary, secondary: erased(SLOT), scratch: erased(SCRATCH) }, { known });
    expect(i.statusSource).toBe('primary');
    expect(i.swapInProgress).toBeUndefined();
    expect(i.nextAction).toBe('none');
    expect(i.slots[0]!.scheme.state).toBe('flashed directly; no revert possible, effectively confirmed');
    expect(i.willRun).toBe('primary');
  });

  it('secondary pending TEST / PERM: the secondary image will run', () => {
    const test = inspectMcuboot({ primary: slotWith(V1), secondary: trailer(slotWith(V2), { magic: true, swapInfo: 0x02 }) }, { known });
    expect([test.nextAction, test.willRun, test.runs?.matches, test.runs?.version]).toEqual(['test', 'secondary', 'v2', '2.0.0+7']);
    expect(test.slots[1]!.scheme.state).toBe('pending TEST');
    const perm = inspectMcuboot({ primary: slotWith(V1), secondary: trailer(slotWith(V2), { magic: true, imageOk: 0x01, swapInfo: 0x03 }) }, { known });
    expect([perm.nextAction, perm.slots[1]!.scheme.state]).toEqual(['perm', 'pending PERM']);
  });

  it('after a test swap: primary runs a test image, the next reset reverts to the secondary', () => {
    const primary = trailer(slotWith(V2), { magic: true, copyDone: 0x01, swapInfo: 0x02, records: [1, 2, 3] });
    const i = inspectMcuboot({ primary, secondary: slotWith(V1), scratch: erased(SCRATCH) }, { known });
    expect(i.slots[0]!.scheme.state).toBe('running a test image; next reset reverts');
    expect([i.statusSource, i.nextAction, i.willRun, i.runs?.matches]).toEqual(['none', 'revert', 'secondary', 'v1']);
    const confirmed = trailer(slotWith(V2), { magic: true, copyDone: 0x01, imageOk: 0x01, records: [1, 2, 3] });
    const c = inspectMcuboot({ primary: confirmed, secondary: slotWith(V1) }, { known });
    expect([c.slots[0]!.scheme.state, c.nextAction, c.runs?.matches]).toEqual(['confirmed', 'none', 'v2']);
  });

  it('mid-swap: status records up to idx 3 state 2 in the primary', () => {
    const primary = trailer(slotWith(V1), { magic: true, swapInfo: 0x02, swapSize: 0x3_0000, records: [1, 2, 3, 1, 2, 3, 1] });
    const i = inspectMcuboot({ primary, secondary: slotWith(V2), scratch: erased(SCRATCH) });
    expect(i.nextAction).toBe('resume');
    expect(i.swapInProgress).toEqual({ idx: 3, state: 2, source: 'primary', swapType: 'test', swapSize: 0x3_0000 });
    expect(i.slots[0]!.scheme).toMatchObject({ statusWritten: 7, statusIdx: 3, statusState: 2 });
    expect(i.slots[0]!.scheme.state).toMatch(/swap in progress/);
    expect(formatMcubootInspection(i)).toMatch(/swap in progress: region 3 state 2, status in primary/);
  });

  it('scratch trailer GOOD: the status lives in the scratch, even over a primary trailer', () => {
    const scratch = trailer(erased(SCRATCH), { magic: true, swapInfo: 0x02, swapSize: 0x6_6000, records: [1], statusAt: SCRATCH_STATUS });
    const primary = trailer(slotWith(V1), { magic: true, copyDone: 0x01, imageOk: 0x01 });
    const i = inspectMcuboot({ primary, secondary: slotWith(V2), scratch });
    expect(i.statusSource).toBe('scratch');
    expect(i.swapInProgress).toMatchObject({ idx: 1, state: 2, source: 'scratch' });
    expect(i.scratch).toMatchObject({ magic: 'good', swapType: 'test', statusWritten: 1 });
    // Same scratch without records: no resume; its swap type (test) starts the swap over.
    const noRec = trailer(erased(SCRATCH), { magic: true, swapInfo: 0x02 });
    const j = inspectMcuboot({ primary: slotWith(V1), secondary: trailer(slotWith(V2), { magic: true }), scratch: noRec });
    expect([j.statusSource, j.nextAction]).toEqual(['scratch', 'test']);
  });

  // MCUboot's swap_read_status reads swap_info from the status trailer even when no record is
  // written, and boot_prepare_image_for_update then restarts a swap of that type (bootutil
  // loader.c, "There was no partial swap": bs->swap_type != NONE -> validate the secondary, go).
  // During the first op states of a revert the request that started it is already gone (copy_done
  // re-initialised, the secondary's trailer long erased), so the swap tables alone say "none".
  it('a revert cut before its first status record (primary trailer re-initialised) restarts the revert', () => {
    // After a test swap: v2 (unconfirmed) in the primary, v1 in the secondary without a trailer. The
    // revert erased the primary's trailer page and wrote swap_info REVERT, swap_size and the magic.
    const primary = trailer(slotWith(V2), { magic: true, swapInfo: 0x04, swapSize: 0x4000 });
    const i = inspectMcuboot({ primary, secondary: slotWith(V1), scratch: erased(SCRATCH) }, { known });
    expect(i.statusSource).toBe('primary');
    expect(i.swapInProgress).toBeUndefined();
    expect(i.swapBegun).toEqual({ source: 'primary', swapType: 'revert' });
    expect([i.nextAction, i.bootsNext, i.willRun, i.runs?.matches]).toEqual(['revert', 'primary', 'secondary', 'v1']);
    expect(i.slots[0]!.scheme.state).toBe('revert swap begun (no status record yet): the next boot starts it over');
    expect(i.summary).toMatch(/^starts over the revert swap .* reverts to the secondary's image 1\.0\.0\+0$/);
  });

  it('a revert cut while its swap type lives only in the scratch (primary trailer page erased) restarts the revert', () => {
    const scratch = trailer(erased(SCRATCH), { magic: true, swapInfo: 0x04, swapSize: 0x4000 });
    const i = inspectMcuboot({ primary: slotWith(V2), secondary: slotWith(V1), scratch }, { known });
    expect(i.statusSource).toBe('scratch');
    expect(i.swapBegun).toEqual({ source: 'scratch', swapType: 'revert' });
    expect([i.nextAction, i.willRun, i.runs?.matches]).toEqual(['revert', 'secondary', 'v1']);
  });

  it('a swap type in a GOOD primary trailer without records is a begun swap, not a directly flashed image', () => {
    const primary = trailer(slotWith(V1), { magic: true, swapInfo: 0x02, swapSize: 0x4000 });
    const i = inspectMcuboot({ primary, secondary: slotWith(V2), scratch: erased(SCRATCH) }, { known });
    expect(i.slots[0]!.scheme.state).not.toMatch(/flashed directly/);
    expect([i.nextAction, i.runs?.matches]).toEqual(['test', 'v2']);
    // A begun swap whose secondary fails validation: MCUboot marks it failed and boots the primary.
    const v2 = Buffer.from(V2);
    v2[0x300] ^= 1;
    const f = inspectMcuboot({ primary, secondary: slotWith(v2), scratch: erased(SCRATCH) }, { known });
    expect([f.nextAction, f.willRun, f.runs?.matches]).toEqual(['test', 'primary', 'v1']);
  });

  it('a pending request for an invalid image: the primary boots, the secondary gets a problem', () => {
    const v2 = Buffer.from(V2);
    v2[0x300] ^= 1;
    const i = inspectMcuboot({ primary: slotWith(V1), secondary: trailer(slotWith(v2), { magic: true }) }, { known });
    expect([i.nextAction, i.willRun, i.runs?.matches]).toEqual(['test', 'primary', 'v1']);
    expect(i.slots[1]!.problems.join(' ')).toMatch(/SHA-256 mismatch/);
  });

  it('honours another erased value and alignment', () => {
    const i = inspectMcuboot({ primary: Buffer.alloc(SLOT, 0), secondary: Buffer.alloc(SLOT, 0) }, { erasedValue: 0 });
    expect(i.slots[0]!.present).toBe(false);
    expect(i.slots[0]!.scheme).toMatchObject({ magic: 'unset', imageOk: 'unset' });
  });
});

describe('inspectMcuboot on hostile dumps', () => {
  const hostile: [string, (img: Buffer) => void, RegExp][] = [
    ['img_size beyond the slot', (b) => b.writeUInt32LE(0x7fff_ffff, 12), /extends beyond/],
    ['hdr_size below 32', (b) => b.writeUInt16LE(8, 8), /smaller than/],
    ['tlv_tot larger than its TLVs', (b) => b.writeUInt16LE(0xffff, 0x200 + 16 * 1024 + 2), /past the end|beyond/],
    ['a TLV longer than its area', (b) => b.writeUInt16LE(0x400, 0x200 + 16 * 1024 + 6), /past the end/],
    ['TLV magic garbage', (b) => b.writeUInt16LE(0x1234, 0x200 + 16 * 1024), /no TLV area/],
  ];
  it.each(hostile)('%s: invalid with a problem, no exception', (_name, damage, re) => {
    const img = slotWith(V1);
    damage(img);
    const i = inspectMcuboot({ primary: img, secondary: erased(SLOT) });
    expect(i.slots[0]!.valid).toBe(false);
    expect(i.slots[0]!.problems.join('\n')).toMatch(re);
    expect(i.bootsNext).toBeNull();
  });

  it('random bytes everywhere and garbage status never throw', () => {
    let x = 12345;
    const rnd = (n: number) => Buffer.from(Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    for (let k = 0; k < 3; k++) {
      const i = inspectMcuboot({ primary: rnd(SLOT), secondary: rnd(SLOT), scratch: rnd(SCRATCH) });
      expect(typeof formatMcubootInspection(i)).toBe('string');
    }
    const primary = trailer(slotWith(V1), { magic: true, records: [1, 0xff, 2, 0x37] });
    const i = inspectMcuboot({ primary, secondary: erased(SLOT) });
    expect(i.slots[0]!.problems.join(' ')).toMatch(/inconsistent swap status/);
  });

  it('bad regions and options are InspectErrors naming the region and sizes', () => {
    expect(() => inspectMcuboot({ primary: erased(SLOT - 4), secondary: erased(SLOT) })).toThrow(/region primary is 421884 bytes .* expected 421888/);
    expect(() => inspectMcuboot({ primary: erased(SLOT) } as never)).toThrow(InspectError);
    expect(() => inspectMcuboot({ primary: erased(SLOT), secondary: erased(SLOT), scratch: erased(10) })).toThrow(/scratch/);
    expect(() => inspectMcuboot({ primary: erased(SLOT), secondary: erased(SLOT) }, { align: 3 })).toThrow(InspectError);
    expect(() => inspectMcuboot({ primary: erased(SLOT), secondary: erased(SLOT) }, { known: [{ name: 'x', slotImage: { A: V1 } }] })).toThrow(/unknown slot/);
  });
});

describe('loadMcubootDump', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  it('loads region files or one whole flash; names file and sizes on bad input', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcuboot-dump-'));
    await writeFile(join(dir, 'primary.bin'), slotWith(V1));
    await writeFile(join(dir, 'secondary.bin'), erased(SLOT));
    await writeFile(join(dir, 'scratch.bin'), erased(SCRATCH - 1));
    const two = await loadMcubootDump([join(dir, 'primary.bin'), join(dir, 'secondary.bin')]);
    expect(inspectMcuboot(two).slots[0]!.version).toBe('1.0.0+0');
    await expect(loadMcubootDump([join(dir, 'primary.bin'), join(dir, 'secondary.bin'), join(dir, 'scratch.bin')])).rejects.toThrow(/scratch.bin is 122879 bytes .* expected 122880/);
    await expect(loadMcubootDump([join(dir, 'primary.bin')])).rejects.toThrow(/missing secondary.bin/);
    await expect(loadMcubootDump([join(dir, 'slotA.bin')])).rejects.toThrow(/unexpected file/);
    const whole = erased(1024 * 1024);
    V1.copy(whole, 0xc000);
    await writeFile(join(dir, 'flash.bin'), whole);
    const w = await loadMcubootDump({ wholeFlash: join(dir, 'flash.bin') });
    expect(inspectMcuboot(w).slots[0]!.version).toBe('1.0.0+0');
    await expect(loadMcubootDump({ wholeFlash: join(dir, 'nope.bin') })).rejects.toThrow(/no such file/);
  });
});

describe('inspectMcuboot agrees with the twin after a cut', () => {
  it('a dump taken mid-swap predicts the resume, and the twin then runs that image', async () => {
    const big1 = buildMcubootImage('1.0.0', 130 * 1024);
    const big2 = buildMcubootImage('2.0.0', 130 * 1024, { seed: 2 });
    const kn = [
      { name: 'v1', slotImage: { primary: big1, secondary: big1 } },
      { name: 'v2', slotImage: { primary: big2, secondary: big2 } },
    ];
    for (const detail of ['idx 1 state 2', 'idx 2 state 1', 'idx 2 state 3']) {
      const clock = new VirtualClock();
      const twin = new McubootSwapTwin({ clock, powerLoss: 'torn', seed: 5 });
      twin.programMemory(0xc000, big1);
      twin.programMemory(0x73000, big2);
      const blk = mcubootPendingBlock(SLOT, { permanent: false });
      twin.programMemory(0x73000 + blk.offset, blk.bytes);
      let cut = false;
      twin.onEvent((e) => {
        if (!cut && e.kind === 'phase' && e.detail === detail) {
          cut = true;
          clock.setTimer(120, () => twin.powerOff());
        }
      });
      twin.powerOn();
      await clock.sleep(30_000);
      const dump = { primary: twin.readMemory(0xc000, SLOT), secondary: twin.readMemory(0x73000, SLOT), scratch: twin.readMemory(0xda000, SCRATCH) };
      const i = inspectMcuboot(dump, { known: kn });
      expect(i.nextAction).toBe('resume');
      expect([i.bootsNext, i.willRun, i.runs?.matches]).toEqual(['primary', 'resumed', 'v2']);
      let text = '';
      twin.onUartTx((b) => (text += b.toString('latin1')));
      twin.powerOn();
      await clock.sleep(30_000);
      expect(text).toMatch(/hilrig-app 2\.0\.0 running/);
      const after = inspectMcuboot({ primary: twin.readMemory(0xc000, SLOT), secondary: twin.readMemory(0x73000, SLOT), scratch: twin.readMemory(0xda000, SCRATCH) }, { known: kn });
      expect([after.nextAction, after.slots[0]!.matches, after.slots[1]!.matches, after.slots[0]!.scheme.state]).toEqual(['none', 'v2', 'v1', 'confirmed']);
      clock.dispose();
    }
  });
});
