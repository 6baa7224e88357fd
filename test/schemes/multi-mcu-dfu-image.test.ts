/**
 * The product update image (seed 000): a plain ustar tar of one signed MCUboot image per member,
 * read by the scheme's readImage; every bad tar is an ImageProblem that says what is wrong.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageProblem, readImage, schemeMeta } from '../../src/schemes/registry.js';
import { writeUstar } from '../../src/firmware/ustar-writer.js';
import { buildMcubootImage } from '../../src/firmware/mcuboot-image.js';

const SCHEME = 'multi-mcu-dfu';
const host1 = readFileSync('firmware/product-host-v1.signed.bin');
const radio1 = readFileSync('firmware/product-radio-v1.signed.bin');
const host2 = readFileSync('firmware/product-host-v2.signed.bin');
const radio2 = readFileSync('firmware/product-radio-v2.signed.bin');
const tar = (...entries: [string, Buffer][]) => writeUstar(entries.map(([name, data]) => ({ name, data })));
const problem = (bytes: Buffer) => {
  try {
    readImage(SCHEME, bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageProblem);
    return (e as Error).message;
  }
  throw new Error('expected an ImageProblem');
};

describe('multi-mcu-dfu images', () => {
  it('the meta names the members in scheme order with their targets, and the fota update path', () => {
    const meta = schemeMeta(SCHEME);
    expect(meta.members).toEqual([
      { name: 'host', target: 'nrf9160' },
      { name: 'radio', target: 'nrf52840' },
    ]);
    expect(meta.target).toBe('nrf9160');
    expect(meta.updaters).toEqual(['fota']);
    expect(meta.dumpRegions.map((r) => [r.name, r.base, r.size])).toEqual([
      ['host-flash', 0, 0x10_0000],
      ['radio-flash', 0x10_0000, 0x10_0000],
      ['shared-flash', 0x20_0000, 0x40_0000],
    ]);
  });

  it('product-v2.tar: both members with version, sha256, size and bytes; the product version string; member slot images', () => {
    const r = readImage(SCHEME, readFileSync('firmware/product-v2.tar'));
    expect(r.version).toBe('host=2.0.0,radio=2.0.0');
    expect(Object.keys(r.members!)).toEqual(['host', 'radio']);
    expect(r.members!.host).toMatchObject({ version: '2.0.0', size: host2.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.members!.host!.image.equals(host2)).toBe(true);
    expect(r.members!.radio!.image.equals(radio2)).toBe(true);
    expect(Object.keys(r.slotImage).sort()).toEqual(['host:primary', 'host:secondary', 'radio:primary', 'radio:secondary']);
    expect(r.slotImage['radio:secondary']!.equals(radio2)).toBe(true);
  });

  it('a tar made by GNU tar (its own header format, in a folder, members in any order) reads the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'product-tar-'));
    try {
      writeFileSync(join(dir, 'radio.signed.bin'), radio2);
      writeFileSync(join(dir, 'host.signed.bin'), host1);
      execFileSync('tar', ['cf', join(dir, 'mixed.tar'), '-C', dir, 'radio.signed.bin', 'host.signed.bin']);
      const r = readImage(SCHEME, readFileSync(join(dir, 'mixed.tar')));
      expect(r.version).toBe('host=1.0.0,radio=2.0.0');
      expect(Object.keys(r.members!)).toEqual(['host', 'radio']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing member, an unknown member, a member twice', () => {
    expect(problem(tar(['host.signed.bin', host1]))).toMatch(/no radio member \(entries: host\.signed\.bin; expected host\.signed\.bin, radio\.signed\.bin\)/);
    expect(problem(tar(['host.signed.bin', host1], ['radio.signed.bin', radio1], ['modem.signed.bin', radio1]))).toMatch(
      /tar entry modem\.signed\.bin: "modem" is not a member of this product \(members: host, radio\)/,
    );
    expect(problem(tar(['host.signed.bin', host1], ['radio.bin', radio1], ['x/radio.signed.bin', radio2]))).toBe('tar entries radio.bin and x/radio.signed.bin are both member radio');
  });

  it('a member that is not a signed MCUboot image, or whose hash is wrong', () => {
    expect(problem(tar(['host.signed.bin', Buffer.alloc(4096, 0x11)], ['radio.signed.bin', radio1]))).toMatch(
      /member host \(host\.signed\.bin\) is not a signed MCUboot image \(no image header: magic is 0x11111111/,
    );
    const tampered = Buffer.from(radio1);
    tampered[0x1000] ^= 1;
    expect(problem(tar(['host.signed.bin', host1], ['radio.signed.bin', tampered]))).toMatch(/member radio \(radio\.signed\.bin\) is not a valid signed MCUboot image \(SHA-256 mismatch/);
    expect(problem(tar(['host.signed.bin', host1], ['radio.signed.bin', Buffer.alloc(0)]))).toMatch(/member radio \(radio\.signed\.bin\) is empty/);
  });

  it('an image bigger than its slot (128 KiB), or that leaves no room for the trailer', () => {
    expect(problem(tar(['host.signed.bin', Buffer.concat([host1, Buffer.alloc(0x2_0000)])], ['radio.signed.bin', radio1]))).toMatch(
      /member host \(host\.signed\.bin\) is 156252 bytes, larger than the host slot \(131072 bytes\)/,
    );
    // An image built for the nRF52840 board's bigger slot: valid, but it would run over this product's trailer.
    const big = buildMcubootImage('3.0.0', 0x2_0000 - 0x300);
    expect(problem(tar(['host.signed.bin', host1], ['radio.signed.bin', big]))).toBe(
      'member radio (radio.signed.bin): its image (130816+ bytes) does not fit the radio slot (131072 bytes less its 1584-byte trailer)',
    );
  });

  it('garbage, a bare signed image, an empty tar', () => {
    expect(problem(Buffer.alloc(2048, 0x5a))).toMatch(/^not a product update \(a ustar tar of host\.signed\.bin, radio\.signed\.bin\): /);
    expect(problem(host1)).toMatch(/not a product update.*no "ustar" magic/);
    expect(problem(Buffer.alloc(1024, 0))).toMatch(/not a product update.*no files/);
    expect(problem(readFileSync('firmware/product-v1.tar').subarray(0, 20_000))).toMatch(/not a product update.*truncated/);
  });
});
