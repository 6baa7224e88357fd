/**
 * The shared-flash reader with the real flashrom binary, on flashrom's dummy programmer emulating a
 * Winbond W25Q128FV whose contents live in a file (what a Pi's linux_spi programmer reads from the
 * real part). The bus hold (both MCUs in reset) is a mocked hook here: no GPIO on this machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, RigError } from '../src/core/errors.js';
import { FlashromProbe, flashromProblem } from '../src/drivers/flasher/flashrom.js';
import { stopAllSocat, tempDir } from './helpers/socat.js';

const MiB = 1024 * 1024;
let image: string;
const has = existsSync('/usr/sbin/flashrom') || existsSync('/usr/bin/flashrom');

beforeAll(async () => {
  image = join(await tempDir('flashrom-'), 'w25q128.bin');
  const content = Buffer.alloc(16 * MiB, 0xff);
  content.write('radio-log record 1', 0x10_0000, 'latin1');
  writeFileSync(image, content);
});
afterAll(() => stopAllSocat());

const probe = (extra: Partial<ConstructorParameters<typeof FlashromProbe>[0]> = {}) =>
  new FlashromProbe({ programmer: `dummy:emulate=W25Q128FV,image=${image}`, name: 'shared flash reader', ...extra });

(has ? describe : describe.skip)('flashrom shared-flash reader (real flashrom, dummy W25Q128FV)', () => {
  it('dumps regions at SPI addresses from one read of the chip, holding the bus (mocked reset hook) for the run', async () => {
    const events: string[] = [];
    const p = probe({
      holdBus: async () => {
        events.push('hold');
        return async () => void events.push('release');
      },
    });
    const d = await p.dump([
      { name: 'radio-log', base: 0x10_0000, size: 18 },
      { name: 'host-secondary', base: 0, size: 256 },
    ]);
    expect(d['radio-log']!.toString('latin1')).toBe('radio-log record 1');
    expect(d['host-secondary']!.every((b) => b === 0xff)).toBe(true);
    expect(events).toEqual(['hold', 'release']);
  });

  it('programs bytes at an address (read, patch, write back), and they read back', async () => {
    const p = probe();
    const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff));
    await p.program(0x2_0000 + 100, bytes);
    expect(
      readFileSync(image)
        .subarray(0x2_0000 + 100, 0x2_0000 + 700)
        .equals(bytes),
    ).toBe(true);
    expect((await p.dump([{ name: 'x', base: 0x2_0000 + 100, size: 600 }])).x!.equals(bytes)).toBe(true);
    // What was there before is kept.
    expect(readFileSync(image).subarray(0x10_0000, 0x10_0012).toString('latin1')).toBe('radio-log record 1');
  });

  it('refuses a region beyond the chip, and says what a missing chip or a wrong chip name means', async () => {
    await expect(probe().dump([{ name: 'big', base: 16 * MiB - 4, size: 8 }])).rejects.toThrow('shared flash reader: big (0xfffffc+8) is outside the 16777216-byte chip');
    await expect(probe({ chip: 'W25Q999' }).readAll()).rejects.toThrow(ConfigError);
    const none = new FlashromProbe({ programmer: 'dummy:emulate=NONE_SUCH', name: 'r' });
    await expect(none.readAll()).rejects.toThrow(/^r: flashrom read failed/);
  });

  it('a missing binary is a rig error naming the package', async () => {
    await expect(probe({ binary: '/nonexistent/flashrom' }).readAll()).rejects.toThrow(RigError);
    await expect(probe({ binary: '/nonexistent/flashrom' }).readAll()).rejects.toThrow('no /nonexistent/flashrom binary (sudo apt-get install -y flashrom)');
  });

  it('stops at an abort with its reason', async () => {
    const abort = new AbortController();
    abort.abort(new Error('ctrl-c'));
    await expect(probe().readAll({ signal: abort.signal })).rejects.toThrow('ctrl-c');
  });
});

describe('flashromProblem', () => {
  it('reads what flashrom says into the rig words', () => {
    expect(flashromProblem('No EEPROM/flash device found.')?.blame).toBe('rig');
    expect(flashromProblem('Multiple flash chip definitions match the detected chip(s): "W25Q32BV/W25Q32CV/W25Q32DV", "W25Q32JV"')).toEqual({
      blame: 'config',
      text: 'several chip definitions match the part (W25Q32BV/W25Q32CV/W25Q32DV, W25Q32JV): name one with shared.flash.reader.chip',
    });
    expect(flashromProblem('Reading flash... done.')).toBeUndefined();
  });
});
