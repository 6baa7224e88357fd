/**
 * `hil inspect --scheme multi-mcu-dfu` on a product's three dumps laid out by hand (each MCU's
 * internal flash and the shared SPI NOR): what each side boots next, the version pair, a pending
 * swap per member, and errors that name the file and the size it should have.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcubootTrailerWrites } from '../../src/firmware/mcuboot-image.js';
import { HOST_PARTITIONS, PRODUCT_REGIONS, RADIO_PARTITIONS, SHARED_PARTITIONS } from '../../src/targets/nrf91-nrf52-product.js';
import { hil } from './hil.js';

let dir: string;
const files = () => ['host-flash', 'radio-flash', 'shared-flash'].map((n) => join(dir, `${n}.bin`));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hil-inspect-product-'));
  const hostFlash = Buffer.alloc(PRODUCT_REGIONS['host-flash'].size, 0xff);
  const radioFlash = Buffer.alloc(PRODUCT_REGIONS['radio-flash'].size, 0xff);
  const shared = Buffer.alloc(PRODUCT_REGIONS['shared-flash'].size, 0xff);
  readFileSync('firmware/product-host-v1.signed.bin').copy(hostFlash, HOST_PARTITIONS.primary.base);
  readFileSync('firmware/product-radio-v1.signed.bin').copy(radioFlash, RADIO_PARTITIONS.primary.base);
  // The host has put the radio's v2 in the shared flash and the radio has marked it pending TEST.
  const at = SHARED_PARTITIONS.radioSecondary.base;
  readFileSync('firmware/product-radio-v2.signed.bin').copy(shared, at);
  for (const w of mcubootTrailerWrites(SHARED_PARTITIONS.radioSecondary.size, { permanent: false })) w.bytes.copy(shared, at + w.offset);
  writeFileSync(join(dir, 'host-flash.bin'), hostFlash);
  writeFileSync(join(dir, 'radio-flash.bin'), radioFlash);
  writeFileSync(join(dir, 'shared-flash.bin'), shared);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hil inspect --scheme multi-mcu-dfu', () => {
  it("says what each side boots next, the version pair and the radio's pending swap", async () => {
    const r = await hil(['inspect', '--scheme', 'multi-mcu-dfu', ...files(), '--known', 'firmware/product-v1.tar', '--known', 'firmware/product-v2.tar']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^host \(nrf9160\): primary host-flash\+0x00c000, secondary shared-flash\+0x000000/);
    expect(r.stdout).toMatch(/next boot: boots the primary's image 1\.0\.0\+0/);
    expect(r.stdout).toMatch(/\nradio \(nrf52840\): primary radio-flash\+0x00c000, secondary shared-flash\+0x020000/);
    expect(r.stdout).toMatch(/secondary +yes +yes +2\.0\.0\+0 +good .*product-v2\.tar:radio +pending TEST/);
    expect(r.stdout).toMatch(/next boot: swaps in \(test\) the secondary's image 2\.0\.0\+0/);
    expect(r.stdout).toMatch(/\nproduct: boots host:primary\+radio:primary, running host=1\.0\.0,radio=2\.0\.0\n/);
    expect(r.stdout).toMatch(/\ndfu-state: erased \(no update record\)$/);
  });

  it('--json: the inspection per member, the product next boot and version', async () => {
    const r = await hil(['inspect', '--scheme', 'multi-mcu-dfu', ...files(), '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ bootsNext: 'host:primary+radio:primary', version: 'host=1.0.0,radio=2.0.0', valid: true });
    expect(doc.members.radio).toMatchObject({ member: 'radio', target: 'nrf52840', nextAction: 'test', willRun: 'secondary' });
    expect(doc.members.host.slots.map((s: { base: number }) => s.base)).toEqual([0xc000, 0x20_0000]);
  });

  it('a dump file of the wrong size names the file and the size it should have; a missing one, the three names', async () => {
    const short = join(dir, 'wrong', 'radio-flash.bin');
    rmSync(join(dir, 'wrong'), { recursive: true, force: true });
    mkdirSync(join(dir, 'wrong'));
    writeFileSync(short, Buffer.alloc(512 * 1024, 0xff));
    let r = await hil(['inspect', '--scheme', 'multi-mcu-dfu', files()[0]!, short, files()[2]!]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`product dump region radio-flash: ${short} is 524288 bytes (0x80000), expected 1048576 bytes (0x100000)`);
    r = await hil(['inspect', '--scheme', 'multi-mcu-dfu', files()[0]!, files()[1]!]);
    expect(r.stderr).toContain('product dump: missing shared-flash.bin (expected host-flash.bin, radio-flash.bin, shared-flash.bin)');
    r = await hil(['inspect', '--scheme', 'multi-mcu-dfu', files()[0]!]);
    expect(r.stderr).toContain(`product dump: got one file (${files()[0]}); a product dump is three, one per memory: host-flash.bin (1 MiB), radio-flash.bin (1 MiB), shared-flash.bin (4 MiB)`);
  });

  it('--help lists the product dump files', async () => {
    const r = await hil(['inspect', '--help']);
    expect(r.stdout).toContain('multi-mcu-dfu (nrf9160 + nrf52840)');
    expect(r.stdout).toContain('hil inspect --scheme multi-mcu-dfu dump/host-flash.bin dump/radio-flash.bin dump/shared-flash.bin --known firmware/product-v2.tar');
  });
});
