import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSfuDump } from '../../src/schemes/sfu-ab/dump.js';
import { inspectSfu } from '../../src/schemes/sfu-ab/inspect.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { A_BASE, B_BASE, erasedDump, putApp, sign, wholeFlash, type HandDump } from './hand-dump.js';

let dir: string;

/** A dump where B (generation 2) is newer than A (generation 1); both good. */
function twoSlotDump(): HandDump {
  const d = erasedDump();
  putApp(d.slotA, A_BASE, { fill: 0x11 });
  sign(d.metaA, d.slotA, 1);
  putApp(d.slotB, B_BASE, { fill: 0x22 });
  sign(d.metaB, d.slotB, 2);
  return d;
}

async function writeRegions(sub: string, d: HandDump, skip: string[] = []): Promise<string[]> {
  const folder = join(dir, sub);
  await mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (const [name, buf] of Object.entries(d)) {
    if (!buf || skip.includes(name)) continue;
    const file = join(folder, `${name}.bin`);
    await writeFile(file, buf);
    files.push(file);
  }
  return files;
}

async function rejection(p: Promise<unknown>): Promise<InspectError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InspectError);
    return err as InspectError;
  }
  throw new Error('expected an InspectError');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hilrig-dump-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadSfuDump', () => {
  it('loads the five region files, in any order and any directory', async () => {
    const files = await writeRegions('regions', twoSlotDump());
    const dump = await loadSfuDump([...files].reverse());
    expect(dump.slotA.length).toBe(0x1ef000);
    expect(dump.nvParam?.length).toBe(0x1000);
    expect(inspectSfu(dump)).toMatchObject({ bootsNext: 'B', jumps: true });
  });

  it('nvParam.bin is optional; the four others are not', async () => {
    const files = await writeRegions('no-nv', twoSlotDump(), ['nvParam']);
    const dump = await loadSfuDump(files);
    expect(dump.nvParam).toBeUndefined();
    const err = await rejection(loadSfuDump(files.filter((f) => !f.endsWith('metaB.bin'))));
    expect(err.message).toMatch(/missing metaB\.bin/);
  });

  it('loads a whole 4 MiB flash file and slices it by address', async () => {
    const d = twoSlotDump();
    d.nvParam![0] = 0xff; // first start pending
    const file = join(dir, 'flash.bin');
    await writeFile(file, wholeFlash(d));
    const dump = await loadSfuDump({ wholeFlash: file });
    expect(dump.slotA.equals(d.slotA)).toBe(true);
    expect(dump.metaB.equals(d.metaB)).toBe(true);
    expect(inspectSfu(dump)).toMatchObject({ firstStartPending: true, bootsNext: 'A' });
  });

  it('a truncated whole-flash file', async () => {
    const file = join(dir, 'short-flash.bin');
    await writeFile(file, wholeFlash(twoSlotDump()).subarray(0, 3 * 1024 * 1024));
    const err = await rejection(loadSfuDump({ wholeFlash: file }));
    expect(err.message).toBe(`whole-flash dump ${file} is 3145728 bytes (0x300000), expected 4194304 bytes (0x400000)`);
    expect(err).toMatchObject({ file, expected: 4194304, actual: 3145728 });
  });

  it('a region file of the wrong size names the region and both sizes', async () => {
    const files = await writeRegions('wrong-size', twoSlotDump());
    const metaA = files.find((f) => f.endsWith('metaA.bin'))!;
    await writeFile(metaA, Buffer.alloc(0));
    const err = await rejection(loadSfuDump(files));
    expect(err.message).toMatch(/region metaA: .*metaA\.bin is 0 bytes \(0x0\), expected 4096 bytes \(0x1000\)/);
    expect(err).toMatchObject({ region: 'metaA', expected: 4096, actual: 0 });
  });

  it('missing, unreadable, unknown and duplicate files', async () => {
    const files = await writeRegions('bad', twoSlotDump());
    const gone = join(dir, 'nowhere', 'slotA.bin');
    expect((await rejection(loadSfuDump([gone, ...files.slice(1)]))).message).toMatch(/nowhere\/slotA\.bin: cannot read it \(no such file\)/);
    expect((await rejection(loadSfuDump([...files, join(dir, 'bad', 'extra.bin')]))).message).toMatch(
      /unexpected file .*extra\.bin; region files are named slotA\.bin, metaA\.bin, slotB\.bin, metaB\.bin, nvParam\.bin/,
    );
    expect((await rejection(loadSfuDump([...files, files[0]!]))).message).toMatch(/region slotA given twice/);
    expect((await rejection(loadSfuDump({ wholeFlash: dir }))).message).toMatch(/not a regular file/);
    expect((await rejection(loadSfuDump([]))).message).toMatch(/missing slotA\.bin, metaA\.bin, slotB\.bin, metaB\.bin/);
    expect((await rejection(loadSfuDump(null as never))).message).toMatch(/expected a list of region files or \{ wholeFlash: file \}/);
    if (process.getuid?.() !== 0) {
      const locked = files.find((f) => f.endsWith('slotB.bin'))!;
      await chmod(locked, 0o000);
      expect((await rejection(loadSfuDump(files))).message).toMatch(/slotB\.bin: cannot read it \(permission denied\)/);
    }
  });
});
