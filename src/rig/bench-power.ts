/**
 * The rig file's power section on a real bench: a relay on a gpio pin, a uhubctl hub port, or a
 * programmable supply.
 */
import type { PowerConfig, RigConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Timeline } from '../core/timeline.js';
import type { Power } from '../drivers/capabilities.js';
import { RelayPower } from '../drivers/power/relay.js';
import { UhubctlPower } from '../drivers/power/uhubctl.js';
import type { BenchGpio } from './bench-gpio.js';

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
      return { power: new UhubctlPower({ hub: p.hub, port: p.port, uhubctl: p.binary, ...(p.minOffMs !== undefined && { minOffMs: p.minOffMs }), clock, timeline }) };
    case 'supply':
      throw new ConfigError(`${config.file}: power.driver supply is not wired yet`);
  }
}
