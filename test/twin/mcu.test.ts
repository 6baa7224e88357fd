import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';
import { Mcu, PowerLost } from '../../src/twin/mcu.js';

function mcu(): Mcu {
  return new Mcu({ clock: new VirtualClock(), flash: new NorFlash(W25Q32), powerLoss: 'skip', seed: 1, rxCapacity: 4096 });
}

describe('MCU power domain', () => {
  it('a program waiting for UART input does not survive a cut and power-on in the same tick', async () => {
    const m = mcu();
    const log: string[] = [];
    const program = (name: string) => async (x: Mcu) => {
      while (true) {
        if (await x.waitRx(1000)) {
          log.push(`${name} got bytes`);
          return;
        }
      }
    };
    m.powerOn(program('old'));
    await Promise.resolve();
    m.powerOff();
    m.powerOn(program('new'));
    m.uartRx(Buffer.from('x'));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(log).toEqual(['new got bytes']);
  });

  it('a reset unwinds the waiting program and only the new one reads', async () => {
    const m = mcu();
    const log: string[] = [];
    const program = (name: string) => async (x: Mcu) => {
      if (await x.waitRx(1000)) log.push(name);
    };
    m.powerOn(program('old'));
    await Promise.resolve();
    expect(() => m.reset(program('new'))).toThrow(PowerLost); // it never returns to its caller
    m.uartRx(Buffer.from('x'));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(log).toEqual(['new']);
  });
});
