import { describe, expect, it } from '@jest/globals';
import { Bin2PageDecoder, decodeBin2PageStream, encodeBin2Page, isBin2Page } from '../../../src/protocols/sfu/bin2page.js';
import { seededBytes } from './helpers.js';

const MAGIC = Buffer.from('BIN2Page', 'latin1');

/** The blocks of an encoded stream, each as (n_pad, offsets, substitutions, data). */
function parseBlocks(stream: Buffer) {
  const blocks = [];
  for (let at = 8; at < stream.length; at += 256) {
    const block = stream.subarray(at, at + 256);
    const count = block[0]! & 0x7f;
    let pad = 0;
    while (pad < count && block[1 + pad] === 0xff) pad++;
    const n = count - pad;
    blocks.push({
      header: block[0]!,
      pad,
      offsets: [...block.subarray(1 + pad, 1 + pad + n)],
      data: block.subarray(1 + pad + 2 * n),
    });
  }
  return blocks;
}

/** B = A with roughly one byte in `every` changed, at seeded places. */
function variantOf(a: Buffer, seed: number, every: number): Buffer {
  const b = Buffer.from(a);
  const noise = seededBytes(seed, a.length);
  for (let i = 0; i < a.length; i++) if (noise[i]! % every === 0) b[i] = b[i]! ^ (noise[i]! | 1);
  return b;
}

function expectImage(decoded: Buffer, image: Buffer): void {
  expect(decoded.subarray(0, image.length).equals(image)).toBe(true);
  expect(decoded.subarray(image.length).every((byte) => byte === 0xff)).toBe(true);
  expect(decoded.length % 256).toBe(0);
  expect(decoded.length).toBeGreaterThanOrEqual(image.length);
}

describe('encodeBin2Page', () => {
  it('reproduces the worked example of the reference byte for byte', () => {
    const a = Buffer.from([...Array(16).keys()]);
    const b = Buffer.from(a);
    b[3] = 0xaa;
    const expected = Buffer.concat([MAGIC, Buffer.from([0x83, 0xff, 0xff, 0x03, 0xaa]), a, Buffer.alloc(235, 0xff)]);
    const stream = encodeBin2Page(a, b);
    expect(stream).toHaveLength(264);
    expect(stream.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeBin2PageStream(stream, 'A').toString('hex')).toBe(Buffer.concat([a, Buffer.alloc(240, 0xff)]).toString('hex'));
    expect(decodeBin2PageStream(stream, 'B').toString('hex')).toBe(Buffer.concat([b, Buffer.alloc(240, 0xff)]).toString('hex'));
  });

  it('emits one block for an empty input and whole blocks only', () => {
    expect(encodeBin2Page(Buffer.alloc(0), Buffer.alloc(0))).toEqual(Buffer.concat([MAGIC, Buffer.from([0x82, 0xff, 0xff]), Buffer.alloc(253, 0xff)]));
    expect(encodeBin2Page(Buffer.alloc(253), Buffer.alloc(253))).toHaveLength(8 + 256);
    expect(encodeBin2Page(Buffer.alloc(254), Buffer.alloc(254))).toHaveLength(8 + 512);
  });

  it('refuses images of different lengths', () => {
    expect(() => encodeBin2Page(Buffer.alloc(4), Buffer.alloc(5))).toThrow(RangeError);
  });

  it('never puts more than 85 diffs in a block', () => {
    const a = seededBytes(31, 3000);
    const b = Buffer.from(a.map((x) => x ^ 0x5a));
    const blocks = parseBlocks(encodeBin2Page(a, b));
    for (const block of blocks) {
      expect(block.header & 0x80).toBe(0x80);
      expect(block.header & 0x7f).toBeLessThanOrEqual(87);
      expect(block.offsets.length).toBeLessThanOrEqual(85);
      expect(block.offsets.every((o, i) => o !== 0xff && (i === 0 || o > block.offsets[i - 1]!))).toBe(true);
    }
    expect(Math.max(...blocks.map((b) => b.offsets.length))).toBe(85);
  });
});

describe('BIN2Page round trips', () => {
  const sizes = [0, 1, 100, 253, 254, 255, 256, 1000, 5000, 65543];
  it.each(sizes)('size %i: slot A gets A, slot B gets B, the rest is 0xFF', (size) => {
    const a = seededBytes(100 + size, size);
    for (const [seed, every] of [
      [200 + size, 7],
      [300 + size, 1],
    ] as const) {
      const b = variantOf(a, seed, every);
      const stream = encodeBin2Page(a, b);
      expect((stream.length - 8) % 256).toBe(0);
      expect(isBin2Page(stream)).toBe(true);
      expectImage(decodeBin2PageStream(stream, 'A'), a);
      expectImage(decodeBin2PageStream(stream, 'B'), b);
    }
  });
});

describe('Bin2PageDecoder', () => {
  function chunks(stream: Buffer): Buffer[] {
    const out = [];
    for (let at = 0; at < stream.length; at += 256) {
      const chunk = Buffer.alloc(256, 0xff);
      chunk.set(stream.subarray(at, at + 256));
      out.push(chunk);
    }
    return out;
  }

  it('announces the variant on the first chunk only', () => {
    const stream = encodeBin2Page(seededBytes(41, 600), seededBytes(42, 600));
    for (const [shift, line] of [
      [true, 'with shifting'],
      [false, 'NO shifting'],
    ] as const) {
      const decoder = new Bin2PageDecoder({ shift });
      const [first, ...rest] = chunks(stream);
      expect(decoder.pushChunk(first!).message).toBe(`BIN2Page: OK, activated, ${line}\n`);
      expect(decoder.mode).toBe('active');
      for (const chunk of rest) expect(decoder.pushChunk(chunk).message).toBeUndefined();
      expect(decoder.finish().errors).toBe(0);
    }
  });

  it('writes a RAW stream through unchanged in bypass mode', () => {
    const raw = seededBytes(43, 1000);
    const decoder = new Bin2PageDecoder({ shift: true });
    const [first, ...rest] = chunks(raw);
    const out = decoder.pushChunk(first!);
    expect(out).toEqual({ pages: [first], message: 'BIN2Page: Bypass mode\n' });
    for (const chunk of rest) expect(decoder.pushChunk(chunk)).toEqual({ pages: [chunk] });
    expect(decoder.finish()).toEqual({ pages: [], paddingAdded: 0, errors: 0, messages: [] });
    expect(decodeBin2PageStream(raw, 'B')).toEqual(Buffer.concat([raw, Buffer.alloc(24, 0xff)]));
  });

  it('decides only on the first chunk: a later magic is data, a lower-case one is RAW', () => {
    const raw = Buffer.alloc(256, 0x11);
    const decoder = new Bin2PageDecoder({ shift: false });
    decoder.pushChunk(raw);
    const late = Buffer.concat([MAGIC, Buffer.alloc(248, 0x22)]);
    expect(decoder.pushChunk(late)).toEqual({ pages: [late] });
    expect(decoder.mode).toBe('bypass');
    const lower = Buffer.concat([Buffer.from('bin2page'), Buffer.alloc(248)]);
    expect(new Bin2PageDecoder({ shift: false }).pushChunk(lower).message).toBe('BIN2Page: Bypass mode\n');
  });

  it('starts over after reset', () => {
    const decoder = new Bin2PageDecoder({ shift: false });
    decoder.pushChunk(Buffer.alloc(256));
    decoder.reset();
    expect(decoder.mode).toBe('detect');
    expect(decoder.pushChunk(chunks(encodeBin2Page(Buffer.alloc(1), Buffer.alloc(1)))[0]!).message).toMatch(/activated/);
  });

  it('counts a small-format block header as an error and outputs it after the padding', () => {
    const a = seededBytes(44, 100);
    const stream = encodeBin2Page(a, variantOf(a, 45, 5));
    const block = stream.subarray(8, 264);
    const count = block[0]! & 0x7f;
    stream[8] = count; // bit 7 cleared: "small" format
    const pad = parseBlocks(encodeBin2Page(a, variantOf(a, 45, 5)))[0]!.pad;
    for (const slot of ['A', 'B'] as const) {
      const decoder = new Bin2PageDecoder({ shift: slot === 'B' });
      const pages = chunks(stream).flatMap((c) => decoder.pushChunk(c).pages);
      const end = decoder.finish();
      expect(end.errors).toBe(1);
      expect(decoder.errors).toBe(1);
      expect(end.messages).toContain('bin2page_finish: Finished with 1 errors\n');
      const out = Buffer.concat([...pages, ...end.pages]);
      expect(out.subarray(0, 255 - pad)).toEqual(stream.subarray(8 + 1 + pad, 264));
    }
  });

  it('skips and counts substitutions whose targets go backwards (slot B only)', () => {
    const a = Buffer.alloc(20, 0x33);
    const b = Buffer.from(a);
    b[2] = 0x44;
    b[9] = 0x55;
    const stream = encodeBin2Page(a, b);
    expect(stream.subarray(8, 16)).toEqual(Buffer.from([0x84, 0xff, 0xff, 0x02, 0x09, 0x44, 0x55, 0x33]));
    stream[12] = 0x01; // second offset 1 < first offset 2: not increasing
    const toB = new Bin2PageDecoder({ shift: true });
    const outB = Buffer.concat([...chunks(stream).flatMap((c) => toB.pushChunk(c).pages), ...toB.finish().pages]);
    expect(toB.errors).toBe(1);
    const expectedB = Buffer.from(a);
    expectedB[2] = 0x44; // the first substitution still applies; the bad one is dropped
    expect(outB.subarray(0, 20)).toEqual(expectedB);

    const toA = new Bin2PageDecoder({ shift: false });
    chunks(stream).forEach((c) => toA.pushChunk(c));
    expect(toA.finish().errors).toBe(0);
  });

  it('pads the last output page at finish and drops a partial input block', () => {
    const stream = encodeBin2Page(seededBytes(46, 300), seededBytes(46, 300)); // 2 blocks, no diffs
    const decoder = new Bin2PageDecoder({ shift: false });
    const [first, second] = chunks(stream);
    const pages = [...decoder.pushChunk(first!).pages, ...decoder.pushChunk(second!).pages];
    expect(pages).toEqual([]); // block 1 gave 253 bytes: no full page yet; block 2 is incomplete
    const end = decoder.finish();
    expect(end.paddingAdded).toBe(3);
    expect(end.messages).toEqual(['bin2page_finish: 3 bytes padding added\n']);
    expect(end.pages).toHaveLength(1);
    expect(end.pages[0]!.subarray(0, 253)).toEqual(seededBytes(46, 253));
    expect(end.pages[0]!.subarray(253)).toEqual(Buffer.alloc(3, 0xff));
  });

  it('takes 256-byte chunks only', () => {
    expect(() => new Bin2PageDecoder({ shift: false }).pushChunk(Buffer.alloc(255))).toThrow(RangeError);
  });
});
