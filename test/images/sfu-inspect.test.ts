import { describe, it, expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { inspectSfu, type SfuInspection } from '../../src/schemes/sfu-ab/inspect.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { formatInspection } from '../../src/schemes/sfu-ab/format.js';
import { buildSamplePair } from '../../src/firmware/sample-app.js';
import { A_BASE, B_BASE, ERASED_SLOT_CRC, SLOT_SIZE, erasedDump, putApp, sign, type HandDump } from './hand-dump.js';

const slotOf = (i: SfuInspection, name: 'A' | 'B') => i.slots.find((s) => s.slot === name)!;
/** The selection verdict: the log after the four tstamp/crc lines and the blank one. */
const verdict = (i: SfuInspection) => i.selectionLog.slice(5);

function errorOf(fn: () => unknown): InspectError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InspectError);
    return err as InspectError;
  }
  throw new Error('expected an InspectError');
}

describe('inspectSfu: boot selection (reference §3.2–§3.4)', () => {
  it('erased flash: nothing present, nothing boots', () => {
    const i = inspectSfu(erasedDump());
    expect(i.scheme).toBe('sfu-ab');
    expect(i.bootsNext).toBeNull();
    expect(i.jumps).toBe(false);
    expect(i.firstStartPending).toBe(false);
    expect(i.selectionLog).toEqual(['tstamp_a\tFFFFFFFF', 'tstamp_b\tFFFFFFFF', 'crc32_a \tFFFFFFFF', 'crc32_b \tFFFFFFFF', '', 'No any variant']);
    for (const s of i.slots) {
      expect(s).toMatchObject({ present: false, valid: false, problems: ['erased (no image)'] });
      expect(s.scheme).toMatchObject({ signed: false, generation: 0xffffffff, actualCrc: ERASED_SLOT_CRC, crcOk: false });
      expect(s.version).toBeUndefined();
      expect(s.sha256).toBe(createHash('sha256').update('').digest('hex'));
    }
    expect(i.slots.map((s) => [s.slot, s.base])).toEqual([
      ['A', A_BASE],
      ['B', B_BASE],
    ]);
    expect(formatInspection(i).split('\n')).toEqual([
      'slot  present  signed  generation  CRC ok  vector ok  version  matches',
      'A     no       no      -           -       -          -        -',
      'B     no       no      -           -       -          -        -',
      'boots next: none (no valid slot; the bootloader stays in SFU mode)',
      'slot A: erased (no image)',
      'slot B: erased (no image)',
    ]);
  });

  it('A signed and valid: selected as single and jumps', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    sign(d.metaA, d.slotA, 1);
    const i = inspectSfu(d);
    expect(i.bootsNext).toBe('A');
    expect(i.jumps).toBe(true);
    expect(i.selectionLog).toEqual([
      'tstamp_a\t00000001',
      'tstamp_b\tFFFFFFFF',
      `crc32_a \t${crc32(d.slotA).toString(16).toUpperCase().padStart(8, '0')}`,
      'crc32_b \tFFFFFFFF',
      '',
      'Variant A selected as single',
    ]);
    const a = slotOf(i, 'A');
    expect(a).toMatchObject({ present: true, valid: true, problems: [] });
    expect(a.scheme).toMatchObject({ signed: true, generation: 1, crcOk: true, vectorOk: true, storedCrc: crc32(d.slotA) });
    expect(slotOf(i, 'B').valid).toBe(false);
  });

  it('both signed, newer B corrupted: falls back to A', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    sign(d.metaA, d.slotA, 1);
    putApp(d.slotB, B_BASE, { fill: 0x33 });
    sign(d.metaB, d.slotB, 2);
    d.slotB[0x1234] ^= 0x01; // one flipped bit after signing
    const i = inspectSfu(d);
    expect(verdict(i)).toEqual(['Check Variant B: Broken', '  ...Check another Variant: GOOD, selected from two']);
    expect(i.bootsNext).toBe('A');
    expect(i.jumps).toBe(true);
    const b = slotOf(i, 'B');
    expect(b.valid).toBe(false);
    expect(b.scheme).toMatchObject({ signed: true, generation: 2, crcOk: false, vectorOk: true });
    expect(b.problems).toEqual([expect.stringMatching(/^CRC mismatch: metadata says 0x[0-9A-F]{8}, the slot area gives 0x[0-9A-F]{8}$/)]);
  });

  it('the CRC covers the whole slot area, erased tail included', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    sign(d.metaA, d.slotA, 5);
    d.slotA[SLOT_SIZE - 1] = 0xfe; // the very last byte before the metadata sector
    const i = inspectSfu(d);
    expect(verdict(i)).toEqual(['Variant A is single, but also broken']);
    expect(i.bootsNext).toBeNull();
  });

  it('both signed and good: the newer one wins; a tie goes to A', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    putApp(d.slotB, B_BASE);
    sign(d.metaA, d.slotA, 7);
    sign(d.metaB, d.slotB, 8);
    expect(inspectSfu(d)).toMatchObject({ bootsNext: 'B', jumps: true });
    expect(verdict(inspectSfu(d))).toEqual(['Check Variant B: GOOD, selected from two']);

    sign(d.metaB, d.slotB, 7);
    const tie = inspectSfu(d);
    expect(tie.bootsNext).toBe('A');
    expect(verdict(tie)).toEqual(['Check Variant A: GOOD, selected from two']);

    sign(d.metaA, d.slotA, 9);
    expect(inspectSfu(d).bootsNext).toBe('A');
  });

  it('generation 0 counts as signed; the comparison is unsigned', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    putApp(d.slotB, B_BASE);
    sign(d.metaA, d.slotA, 0);
    sign(d.metaB, d.slotB, 0x8000_0000);
    const i = inspectSfu(d);
    expect(i.bootsNext).toBe('B');
    expect(i.selectionLog[0]).toBe('tstamp_a\t00000000');
    expect(i.selectionLog[1]).toBe('tstamp_b\t80000000');
  });

  it('both signed, both broken: nothing boots', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    putApp(d.slotB, B_BASE);
    sign(d.metaA, d.slotA, 1, 0x1234_5678);
    sign(d.metaB, d.slotB, 2, 0x1234_5678);
    const i = inspectSfu(d);
    expect(verdict(i)).toEqual(['Check Variant B: Broken', '  ...Check another Variant: Broken also']);
    expect(i).toMatchObject({ bootsNext: null, jumps: false });
  });

  it('single signed but broken: B is not rescued by a good unsigned A', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE); // present and fine, but never signed
    putApp(d.slotB, B_BASE);
    sign(d.metaB, d.slotB, 3);
    d.slotB[0x100] ^= 0xff;
    const i = inspectSfu(d);
    expect(verdict(i)).toEqual(['Variant B is single, but also broken']);
    expect(i.bootsNext).toBeNull();
    expect(slotOf(i, 'A').problems).toEqual(['not signed (metadata generation word is 0xFFFFFFFF)']);
  });

  it('a signed slot with a bad vector table is selected but does not jump, and blocks the fallback', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    sign(d.metaA, d.slotA, 1);
    putApp(d.slotB, B_BASE, { sp: 0x2004_1ffe }); // misaligned stack
    sign(d.metaB, d.slotB, 2);
    const i = inspectSfu(d);
    expect(verdict(i)).toEqual(['Check Variant B: GOOD, selected from two']);
    expect(i).toMatchObject({ bootsNext: 'B', jumps: false });
    const b = slotOf(i, 'B');
    expect(b).toMatchObject({ valid: false, problems: ['initial SP 0x20041FFE is not 4-byte aligned'] });
    expect(b.scheme).toMatchObject({ crcOk: true, vectorOk: false, sp: 0x2004_1ffe });
    expect(formatInspection(i)).toMatch(/boots next: B \(generation 2\)\n {2}but its vector table fails the context check/);
  });

  it.each([
    ['SP in flash', { sp: 0x1004_2000 }, false],
    ['SP at the SRAM base', { sp: 0x2000_0000 }, true],
    ['SP above SRAM top but top byte 0x20', { sp: 0x2010_0000 }, true],
    ['PC even', { pc: A_BASE + 0x300 }, false],
    ['PC at MAIN_RUN_FROM + 1', { pc: A_BASE + 0x101 }, true],
    ['PC at MAIN_RUN_FROM - 1 (odd, but not above)', { pc: A_BASE + 0xff }, false],
    ['PC just below MAIN_END', { pc: A_BASE + SLOT_SIZE - 1 }, true],
    ['PC at MAIN_END + 1', { pc: A_BASE + SLOT_SIZE + 1 }, false],
    ['PC linked for slot B', { pc: B_BASE + 0x301 }, false],
  ])('vector check in slot A: %s', (_name, vec, ok) => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE, vec);
    sign(d.metaA, d.slotA, 1);
    const i = inspectSfu(d);
    expect(i.bootsNext).toBe('A');
    expect(i.jumps).toBe(ok);
    expect(slotOf(i, 'A').scheme.vectorOk).toBe(ok);
  });

  it('first start pending: the bootloader will sign A if its vectors pass, whatever the metadata says', () => {
    const d = erasedDump();
    d.nvParam![0] = 0xff;
    putApp(d.slotA, A_BASE);
    putApp(d.slotB, B_BASE);
    sign(d.metaB, d.slotB, 4);
    const i = inspectSfu(d);
    expect(i).toMatchObject({ firstStartPending: true, bootsNext: 'A', jumps: true });
    expect(i.selectionLog).toEqual([
      'check_first_start_once unset',
      'erase sign block #1',
      'erase sign block #1 DONE',
      'erase sign block #0',
      'erase sign block #0 DONE',
      'NEW CRC32 IEEE802.3 SIGNED',
    ]);
    expect(formatInspection(i)).toMatch(/boots next: A \(first start: the bootloader signs it with generation 1\)/);

    const bad = erasedDump();
    bad.nvParam![0] = 0xff;
    const j = inspectSfu(bad);
    expect(j).toMatchObject({ firstStartPending: true, bootsNext: null, jumps: false });
    expect(j.selectionLog.at(-1)).toBe('Fisrt start, context erorr, no any variant');

    const noNv: HandDump = { ...d, nvParam: undefined };
    expect(inspectSfu(noNv)).toMatchObject({ firstStartPending: false, bootsNext: 'B' });
  });
});

describe('inspectSfu: known images', () => {
  const SIZE = 0x3000;
  const v1 = buildSamplePair('1.0.0', SIZE);
  const v2 = buildSamplePair('2.0.0', SIZE);
  const known = [
    { name: 'app-v1', slotImage: { A: v1.a, B: v1.b } },
    { name: 'app-v2', slotImage: { A: v2.a, B: v2.b } },
  ];

  it('matches the build linked for the slot, with version and link base from the info block', () => {
    const d = erasedDump();
    v1.a.copy(d.slotA);
    sign(d.metaA, d.slotA, 1);
    v2.b.copy(d.slotB);
    sign(d.metaB, d.slotB, 2);
    const i = inspectSfu(d, { known });
    expect(slotOf(i, 'A')).toMatchObject({ matches: 'app-v1', version: '1.0.0', linkBase: A_BASE, valid: true, problems: [] });
    expect(slotOf(i, 'B')).toMatchObject({ matches: 'app-v2', version: '2.0.0', linkBase: B_BASE, valid: true, problems: [] });
    expect(slotOf(i, 'A').sha256).toBe(createHash('sha256').update(v1.a).digest('hex'));
    expect(slotOf(i, 'A').scheme.sha256Length).toBe(SIZE);
    expect(i.bootsNext).toBe('B');
    const table = formatInspection(i);
    expect(table.split('\n')).toEqual([
      expect.stringMatching(/^slot +present +signed +generation +CRC ok +vector ok +version +matches$/),
      expect.stringMatching(/^A +yes +yes +1 +yes +yes +1\.0\.0 +app-v1$/),
      expect.stringMatching(/^B +yes +yes +2 +yes +yes +2\.0\.0 +app-v2$/),
      'boots next: B (generation 2)',
    ]);
  });

  it('a B-linked image in slot A does not match the A entry, and says why it cannot run', () => {
    const d = erasedDump();
    v1.b.copy(d.slotA);
    sign(d.metaA, d.slotA, 1);
    const i = inspectSfu(d, { known });
    const a = slotOf(i, 'A');
    expect(a.matches).toBeUndefined();
    expect(a.version).toBe('1.0.0');
    expect(a.linkBase).toBe(B_BASE);
    expect(a.valid).toBe(false);
    expect(a.problems).toEqual([expect.stringMatching(/^reset PC 0x10210301 is outside slot A/), 'linked for 0x10210000 (slot B), but sits in slot A at 0x10010000']);
    expect(i).toMatchObject({ bootsNext: 'A', jumps: false });
  });

  it('ignores stale data past the image (erase is per 64 KiB block) but not within its last page', () => {
    const d = erasedDump();
    v1.a.copy(d.slotA);
    d.slotA.fill(0x77, 0x10000, 0x18000); // an older, longer image's tail
    expect(slotOf(inspectSfu(d, { known }), 'A').matches).toBe('app-v1');

    const short = v1.a.subarray(0, 1000); // not a multiple of 256: compared up to 1024 with 0xFF
    const k = [{ name: 'short', slotImage: { A: short } }];
    expect(slotOf(inspectSfu(d, { known: k }), 'A').matches).toBeUndefined(); // 1000..1023 hold v1 bytes
    d.slotA.fill(0xff, 1000, 1024);
    const s = slotOf(inspectSfu(d, { known: k }), 'A');
    expect(s.matches).toBe('short');
    expect(s.sha256).toBe(
      createHash('sha256')
        .update(Buffer.concat([short, Buffer.alloc(24, 0xff)]))
        .digest('hex'),
    );
  });

  it('a slot entry missing from a known image never matches', () => {
    const d = erasedDump();
    v1.b.copy(d.slotB);
    expect(slotOf(inspectSfu(d, { known: [{ name: 'only-a', slotImage: { A: v1.a } }] }), 'B').matches).toBeUndefined();
  });

  it('reports a damaged info block', () => {
    const d = erasedDump();
    v1.a.copy(d.slotA);
    d.slotA[0x208] ^= 0x01;
    const a = slotOf(inspectSfu(d), 'A');
    expect(a.version).toBeUndefined();
    expect(a.problems).toEqual(['not signed (metadata generation word is 0xFFFFFFFF)', expect.stringMatching(/^appinfo CRC mismatch/)]);
  });
});

describe('inspectSfu: hostile input', () => {
  it.each([
    ['slotA', 0, /region slotA is 0 bytes \(0x0\), expected 2027520 bytes \(0x1EF000\)/],
    ['metaA', 4095, /region metaA is 4095 bytes \(0xFFF\), expected 4096 bytes \(0x1000\)/],
    ['slotB', SLOT_SIZE + 1, /region slotB is 2027521 bytes/],
    ['metaB', 0x2000, /region metaB is 8192 bytes/],
    ['nvParam', 1, /region nvParam is 1 bytes \(0x1\), expected 4096 bytes/],
  ] as const)('%s of %d bytes', (region, size, message) => {
    const d = erasedDump() as unknown as Record<string, Buffer>;
    d[region] = Buffer.alloc(size, 0xff);
    const err = errorOf(() => inspectSfu(d as unknown as HandDump));
    expect(err.message).toMatch(message);
    expect(err).toMatchObject({ region, actual: size });
  });

  it('missing regions and non-buffers', () => {
    const { slotA: _drop, ...rest } = erasedDump();
    expect(errorOf(() => inspectSfu(rest as unknown as HandDump)).message).toMatch(/region slotA is missing \(expected 2027520 bytes/);
    expect(errorOf(() => inspectSfu({ ...erasedDump(), metaB: 'x' as unknown as Buffer })).message).toMatch(/metaB is not a Buffer/);
    expect(errorOf(() => inspectSfu(undefined as unknown as HandDump)).message).toMatch(/expected an object with slotA, metaA, slotB, metaB, nvParam/);
    expect(errorOf(() => inspectSfu({} as HandDump)).message).toMatch(/slotA is missing/);
  });

  it('accepts plain Uint8Arrays', () => {
    const d = erasedDump();
    putApp(d.slotA, A_BASE);
    sign(d.metaA, d.slotA, 1);
    const u8 = { ...d, slotA: new Uint8Array(d.slotA), metaA: new Uint8Array(d.metaA) };
    expect(inspectSfu(u8 as unknown as HandDump).bootsNext).toBe('A');
  });

  it('garbage everywhere never throws', () => {
    const d = erasedDump();
    const pattern = Buffer.alloc(4099); // odd length, so every region sees a different phase
    let x = 99;
    for (let i = 0; i < pattern.length; i++) pattern[i] = (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24;
    for (const buf of [d.slotA, d.metaA, d.slotB, d.metaB, d.nvParam!]) buf.fill(pattern);
    d.slotA.write('HILAPP01', 0x200, 'latin1');
    const i = inspectSfu(d);
    expect(i.slots.every((s) => s.present && !s.valid)).toBe(true);
    expect(typeof formatInspection(i)).toBe('string');
  });

  it('bad known images', () => {
    const d = erasedDump();
    expect(errorOf(() => inspectSfu(d, { known: [{ name: 'big', slotImage: { A: Buffer.alloc(SLOT_SIZE + 1) } }] })).message).toMatch(
      /known image "big" for slot A is 2027521 bytes \(0x1EF001\), larger than the slot's 2027520 bytes/,
    );
    expect(errorOf(() => inspectSfu(d, { known: [{ name: 'e', slotImage: { B: Buffer.alloc(0) } }] })).message).toMatch(/"e" for slot B is empty/);
    expect(errorOf(() => inspectSfu(d, { known: [{ name: '', slotImage: {} }] })).message).toMatch(/known image #0: name/);
    expect(errorOf(() => inspectSfu(d, { known: {} as never })).message).toMatch(/expected an array/);
    expect(errorOf(() => inspectSfu(d, { known: [{ name: 'c', slotImage: { C: Buffer.alloc(4) } as never }] })).message).toMatch(/unknown slot/);
  });
});
