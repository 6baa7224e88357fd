/**
 * The STM32F429 twin's ROM dual-bank check (AN2606) at the top of SRAM: 192 KiB of SRAM1-3 at
 * 0x2000_0000 end at 0x2002_FFFF, and CubeIDE's linker script puts `_estack` one past it, at
 * 0x2003_0000. A Cortex-M stack is full-descending (the first push lands on the last SRAM word), so
 * that initial SP is valid: the ROM must start the bank. Literal addresses on purpose.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { buildStm32Image } from '../../src/firmware/stm32-image.js';
import { STM32_FACTORY_OPTIONS, withBfb2 } from '../../src/targets/stm32f429.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { Stm32DualBankTwin } from '../../src/twin/stm32-dualbank/device.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

const BANK1 = 0x0800_0000;
const BANK2 = 0x0810_0000;
const OPTION_BYTES = 0x1fff_c000;

/** A sample image whose initial SP (word 0) is `sp`. */
function withSp(version: string, seed: number, sp: number): Buffer {
  const image = buildStm32Image(version, 48 * 1024, seed);
  image.writeUInt32LE(sp, 0);
  return image;
}

const clocks: VirtualClock[] = [];
afterEach(() => clocks.splice(0).forEach((c) => c.dispose()));

/** Bank 1 holds v1 (SP well inside SRAM), bank 2 v2 with the SP under test, BFB2 set: who runs? */
async function bootWithBank2Sp(sp: number) {
  const clock = new VirtualClock();
  clocks.push(clock);
  const twin = new Stm32DualBankTwin({ clock, powerLoss: 'skip', seed: 1 });
  twin.programMemory(BANK1, withSp('1.0.0', 1, 0x2001_0000));
  twin.programMemory(BANK2, withSp('2.0.0', 2, sp));
  twin.programMemory(OPTION_BYTES, withBfb2(STM32_FACTORY_OPTIONS, true));
  const console = new Console({ link: connectInProcess(twin, { baud: 921600 }), clock, sfuFrames: true });
  const boots: TwinEvent[] = [];
  twin.onEvent((e) => e.kind === 'boot' && boots.push(e));
  twin.powerOn();
  const banner = (await console.expect(/^hilrig-app /, { timeoutMs: 3000, fromLine: 0 })).line.text;
  console.close();
  return { banner, boots };
}

describe('stm32-dualbank twin: the ROM accepts an initial SP at the very top of SRAM', () => {
  it('SP 0x2003_0000 (CubeIDE _estack) in bank 2: the ROM remaps and starts bank 2, and its app runs', async () => {
    const r = await bootWithBank2Sp(0x2003_0000);
    expect(r.boots).toEqual([
      { kind: 'boot', image: 'bootloader', slot: 'rom' },
      { kind: 'boot', image: 'app', slot: 'bank2' },
    ]);
    expect(r.banner).toMatch(/^hilrig-app 2\.0\.0 running from slot bank2 @0x08100000/);
  });

  it('SP 0x2002_FFFC (the last word) is valid too; 0x2003_0004 (above SRAM) is not: the ROM falls back to bank 1', async () => {
    expect((await bootWithBank2Sp(0x2002_fffc)).banner).toMatch(/2\.0\.0 running from slot bank2/);
    const above = await bootWithBank2Sp(0x2003_0004);
    expect(above.boots.at(-1)).toEqual({ kind: 'boot', image: 'app', slot: 'bank1' });
    expect(above.banner).toMatch(/1\.0\.0 running from slot bank1/);
  });
});
