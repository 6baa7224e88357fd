/**
 * The rig file's power section on a real bench: a relay on a gpio pin, a uhubctl hub port, or a
 * programmable supply.
 */
import type { PowerConfig, RigConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, RigError } from '../core/errors.js';
import type { Timeline } from '../core/timeline.js';
import type { Power } from '../drivers/capabilities.js';
import { RelayPower } from '../drivers/power/relay.js';
import { openSupply } from '../drivers/power/supply/index.js';
import { UhubctlPower } from '../drivers/power/uhubctl.js';
import type { BenchGpio } from './bench-gpio.js';
import { rigRelative } from './bench-probe.js';

export interface BenchPower {
  power: Power;
  close?: () => Promise<void>;
}

export async function openBenchPower(config: RigConfig, gpio: BenchGpio | undefined, clock: Clock, timeline: Timeline): Promise<BenchPower> {
  const p: PowerConfig = config.power;
  switch (p.driver) {
    case 'twin':
      throw new ConfigError(`${config.file}: power.driver twin needs a twin: section`);
    case 'relay':
      if (!gpio) throw new ConfigError(`${config.file}: power.driver relay needs a gpio: section`);
      return {
        power: new RelayPower({
          lines: gpio.lines,
          line: p.pin,
          poweredLevel: p.poweredLevel,
          onSettleMs: p.onSettleMs,
          offSettleMs: p.offSettleMs,
          ...(p.minOffMs !== undefined && { minOffMs: p.minOffMs }),
          clock,
          timeline,
        }),
      };
    case 'uhubctl':
      return { power: new UhubctlPower({ hub: p.hub, port: p.port, uhubctl: rigRelative(config.file, p.binary), ...(p.minOffMs !== undefined && { minOffMs: p.minOffMs }), clock, timeline }) };
    case 'supply': {
      const supply = await openSupply({
        protocol: p.protocol,
        port: p.port,
        baud: p.baud,
        channel: p.channel,
        volts: p.volts,
        amps: p.amps,
        ...(p.maxVolts !== undefined && { maxVolts: p.maxVolts }),
        ...(p.minOffMs !== undefined && { minOffMs: p.minOffMs }),
        clock,
        timeline,
      }).catch((err: Error) => Promise.reject(new RigError(`${config.file}: power: ${err.message}`, { cause: err })));
      const sag = p.sag;
      const power: Power = {
        get state() {
          return supply.state;
        },
        on: () => supply.on(),
        off: () => supply.off(),
        cycle: (offMs) => supply.cycle(offMs),
        // A sag instead of a hard cut, held for the cut's off time.
        ...(sag && { cut: async (offMs: number) => void (await supply.sag({ volts: sag.volts, holdMs: offMs, steps: sag.steps, rampMs: sag.rampMs })) }),
      };
      return { power, close: () => supply.close() };
    }
  }
}
