/**
 * A product on a real bench (`mcus:` without a twin): one power switch, then per processor its own
 * serial console, its own debug probe (several identical probes told apart by `adapterSerial`) and
 * reset line; the shared SPI NOR read by flashrom from the Pi's SPI controller while every
 * processor is held in reset. The rig's probe routes the product's virtual addresses to them.
 */
import { ScaledClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { Timeline } from '../core/timeline.js';
import { rigMembers, type RigConfig } from '../config/index.js';
import { Console } from '../drivers/console/console.js';
import { FlashromProbe } from '../drivers/flasher/flashrom.js';
import { RoutedProbe, type ProbeRoute } from '../drivers/flasher/routed-probe.js';
import type { Probe } from '../drivers/capabilities.js';
import { schemeMeta } from '../schemes/meta-registry.js';
import { openBenchConsole } from './bench-console.js';
import { openBenchControls, pulsePin } from './bench-controls.js';
import type { BenchGpio } from './bench-gpio.js';
import { openOcdProbeFor } from './bench-probe.js';
import { productMemories, SHARED } from './product-regions.js';
import type { Rig, RigMcu } from './rig.js';
import { openWith } from './rig-parts.js';

export function openBenchProduct(config: RigConfig): Promise<Rig> {
  const mcus = config.mcus;
  if (!mcus) throw new ConfigError(`${config.file}: not a product rig (no mcus:)`);
  return openWith(config, async (cleanups) => {
    const clock = new ScaledClock(1);
    const timeline = new Timeline(clock);
    const names = rigMembers(config);
    // Before any pin or power is touched: every probe value openocd would run as TCL is refused here.
    const probes = memberProbes(config, timeline);
    const controls = await openBenchControls(config, clock, timeline);
    cleanups.push(() => controls.close());
    const { gpio, power } = controls;
    const lock = config.shared?.lock?.pin;
    if (gpio && lock) {
      // The lock line into the timeline: one wire tells when the bus is taken or given back, not by whom.
      const off = await gpio.onEdge(lock, () => timeline.add('gpio', 'lock-edge', lock, { pin: lock }));
      cleanups.push(off);
    }
    const members: RigMcu[] = [];
    for (const name of names) {
      const mcu = mcus[name]!;
      const link = await openBenchConsole({ ...config, console: mcu.console }, power, clock, timeline);
      cleanups.push(() => link.close());
      const console = new Console({ link, clock });
      cleanups.push(() => console.close());
      const pin = mcu.reset;
      const reset =
        gpio && pin
          ? async () => {
              timeline.add('power', 'reset', `${name}: ${pin.pin} pulse ${pin.pulseMs} ms`);
              await pulsePin(gpio, pin.pin, pin.pulseMs, clock);
            }
          : () => power.cycle(config.power.offMs);
      const probe = probes.get(name);
      members.push({ name, target: mcu.target, console, ...(probe && { probe }), reset });
    }
    const probe = productProbe(config, probes, gpio, timeline);
    return {
      clock,
      timeline,
      link: members[0]!.console.link,
      power,
      ...(probe && { probe }),
      ...(gpio && { gpio }),
      ...(controls.marker && { marker: controls.marker }),
      mcus: members,
    };
  });
}

/** Each member's openocd probe (by adapterSerial), refused with file:line before anything runs when a value would run as TCL. */
export function memberProbes(config: RigConfig, timeline: Timeline): Map<string, Probe> {
  const probes = new Map<string, Probe>();
  for (const name of rigMembers(config)) {
    const mcu = config.mcus![name]!;
    const p = mcu.probe;
    if (p?.driver === 'openocd') probes.set(name, openOcdProbeFor(config, p, timeline, { name, target: mcu.target }));
    else if (p) throw new ConfigError(`${config.file}: mcus.${name}.probe.driver ${p.driver} needs a twin: section`);
  }
  return probes;
}

/**
 * The product's probe on a bench: its virtual addresses routed to each member's probe and to the
 * shared flash's reader (flashrom, with every MCU held in reset while it runs). Undefined when the
 * rig reaches no memory at all.
 */
export function productProbe(config: RigConfig, probes: ReadonlyMap<string, Probe>, gpio: BenchGpio | undefined, timeline: Timeline): RoutedProbe | undefined {
  const mcus = config.mcus!;
  const names = rigMembers(config);
  const reader = config.shared?.flash?.reader;
  const shared = reader
    ? new FlashromProbe({
        programmer: reader.programmer,
        ...(reader.chip !== undefined && { chip: reader.chip }),
        binary: reader.binary,
        timeoutMs: reader.timeoutMs,
        name: `${config.name} shared flash reader`,
        timeline,
        // Every MCU in reset: their SPI pins float and the Pi is the bus's only master (flashrom.ts).
        holdBus: async () => {
          const pins = names.map((n) => mcus[n]!.reset?.pin).filter((p): p is string => p !== undefined);
          if (!gpio || pins.length < names.length) throw new ConfigError(`${config.file}: shared.flash.reader needs a reset: pin on every MCU (to hold it off the shared bus)`);
          for (const p of pins) await gpio.lines.set(p, 1);
          timeline.add('power', 'hold-reset', `${pins.join(', ')}: the Pi masters the shared SPI bus`);
          return async () => {
            for (const p of pins) await gpio.lines.set(p, 0);
          };
        },
      })
    : undefined;
  const routes: ProbeRoute[] = productMemories(schemeMeta(config.scheme)).map((m) => {
    const probe = m.owner === SHARED ? shared : probes.get(m.owner);
    return { name: m.name, base: m.base, size: m.size, field: m.owner === SHARED ? 'shared.flash.reader' : `mcus.${m.owner}.probe`, ...(probe && { probe }) };
  });
  return routes.some((r) => r.probe) ? new RoutedProbe(routes) : undefined;
}
