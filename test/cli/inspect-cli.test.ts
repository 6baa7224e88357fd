/**
 * `hil inspect` on dumps laid out by hand from the reference's maps (not taken from the twin):
 * what a lab engineer gets after `dump_image`, per scheme, and clear errors for bad dumps.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcubootTrailerWrites } from '../../src/firmware/mcuboot-image.js';
import { NRF52840_PARTITIONS } from '../../src/targets/nrf52840.js';
import { STM32F429, STM32_FACTORY_OPTIONS, withBfb2 } from '../../src/targets/stm32f429.js';
import { hil } from './hil.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-inspect-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function region(size: number, ...parts: [number, Buffer][]): Buffer {
  const b = Buffer.alloc(size, 0xff);
  for (const [at, data] of parts) data.copy(b, at);
  return b;
}

describe('hil inspect', () => {
  it('stm32-dualbank: BFB2 set and a valid bank 2 -> the ROM boots bank 2, bit-exact v2', async () => {
    const v1 = readFileSync('firmware/stm32-app-v1.bin');
    const v2 = readFileSync('firmware/stm32-app-v2.bin');
    const dir = join(tmp, 'stm32');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bank1.bin'), region(STM32F429.bankSize, [0, v1]));
    writeFileSync(join(dir, 'bank2.bin'), region(STM32F429.bankSize, [0, v2]));
    writeFileSync(join(dir, 'options.bin'), withBfb2(STM32_FACTORY_OPTIONS, true));
    const r = await hil([
      'inspect',
      '--scheme',
      'stm32-dualbank',
      join(dir, 'bank1.bin'),
      join(dir, 'bank2.bin'),
      join(dir, 'options.bin'),
      '--known',
      'firmware/stm32-app-v1.bin',
      '--known',
      'firmware/stm32-app-v2.bin',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ bootsNext: 'bank2', jumps: true, bfb2: true });
    expect(doc.slots.map((s: { matches?: string }) => s.matches)).toEqual(['stm32-app-v1.bin', 'stm32-app-v2.bin']);
    // The same flash with factory option bytes (BFB2 clear): the core starts bank 1 directly.
    writeFileSync(join(dir, 'options.bin'), Buffer.from(STM32_FACTORY_OPTIONS));
    const again = JSON.parse((await hil(['inspect', '--scheme', 'stm32-dualbank', join(dir, 'bank1.bin'), join(dir, 'bank2.bin'), join(dir, 'options.bin'), '--json'])).stdout);
    expect(again.bootsNext).toBe('bank1');
  });

  it('mcuboot-swap: a secondary marked pending TEST -> next boot swaps it in', async () => {
    const v1 = readFileSync('firmware/mcuboot-app-v1.signed.bin');
    const v2 = readFileSync('firmware/mcuboot-app-v2.signed.bin');
    const size = NRF52840_PARTITIONS.secondary.size;
    const trailer = mcubootTrailerWrites(size, { permanent: false }).map((w) => [w.offset, w.bytes] as [number, Buffer]);
    const primary = join(tmp, 'primary.bin');
    const secondary = join(tmp, 'secondary.bin');
    writeFileSync(primary, region(NRF52840_PARTITIONS.primary.size, [0, v1]));
    writeFileSync(secondary, region(size, [0, v2], ...trailer));
    const r = await hil(['inspect', '--scheme', 'mcuboot-swap', primary, secondary, '--known', 'firmware/mcuboot-app-v1.signed.bin', '--known', 'firmware/mcuboot-app-v2.signed.bin', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.nextAction).toBe('test');
    expect(doc.runs).toMatchObject({ matches: 'mcuboot-app-v2.signed.bin', valid: true });
    const table = await hil(['inspect', '--scheme', 'mcuboot-swap', primary, secondary]);
    expect(table.stdout).toMatch(/primary/);
    expect(table.stdout).toMatch(/secondary/);
  });

  it('a dump of the wrong size, a wrong target and an image of another scheme are usage errors, named', async () => {
    const small = join(tmp, 'bank1.bin');
    writeFileSync(small, Buffer.alloc(1000, 0xff));
    const r = await hil(['inspect', '--scheme', 'stm32-dualbank', small, small, small]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/bank1\.bin/);
    const t = await hil(['inspect', '--scheme', 'mcuboot-swap', '--target', 'rp2040', small]);
    expect(t.exitCode).toBe(2);
    expect(t.stderr).toMatch(/mcuboot-swap runs on nrf52840/);
    const k = await hil(['inspect', '--scheme', 'mcuboot-swap', small, '--known', 'firmware/stm32-app-v1.bin']);
    expect(k.exitCode).toBe(2);
    expect(k.stderr).toMatch(/not a signed MCUboot image/);
  });
});
