/**
 * The controls of a real bench, without its console or probe: gpio pins, power, the reset pulse
 * and the marker input. `hil power` and `hil pins` need only these (and must work while the
 * target, and with it an on-board USB-serial adapter, is unpowered); openRig adds the rest.
 */
import type { RigConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { Timeline } from '../core/timeline.js';
import type { Power } from '../drivers/capabilities.js';
import { openBenchGpio, type BenchGpio } from './bench-gpio.js';
import { openBenchPower } from './bench-power.js';
export { toSafeState } from './safe-state.js';

export interface BenchControls {
  gpio?: BenchGpio;
  power: Power;
  /** A pulse on the reset pin, when the rig has one. */
  reset?: () => Promise<void>;
  marker?: (listener: () => void) => () => void;
  /** Releases pins (to their safe levels) and processes; does not switch power. */
  close(): Promise<void>;
}

/** Asserts a pin for `ms`, then deasserts it (levels are logical: activeLow inverts on the wire). */
export async function pulsePin(gpio: BenchGpio, pin: string, ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  await gpio.lines.set(pin, 1);
  try {
    await clock.sleep(ms, signal);
  } finally {
    await gpio.lines.set(pin, 0);
  }
}

export async function openBenchControls(config: RigConfig, clock: Clock, timeline: Timeline): Promise<BenchControls> {
  const gpio = config.gpio ? await openBenchGpio(config.gpio, config.file, timeline) : undefined;
  try {
    const bench = await openBenchPower(config, gpio, clock, timeline);
    const controls: BenchControls = {
      power: bench.power,
      async close() {
        await bench.close?.().catch(() => {});
        await gpio?.close();
      },
    };
    if (gpio) controls.gpio = gpio;
    if (gpio && config.reset) {
      const { pin, pulseMs } = config.reset;
      controls.reset = async () => {
        timeline.add('power', 'reset', `${pin} pulse ${pulseMs} ms`);
        await pulsePin(gpio, pin, pulseMs, clock);
      };
    }
    if (gpio && config.marker) {
      const pin = config.marker.pin;
      controls.marker = (listener) => {
        let off: (() => void) | undefined;
        let gone = false;
        void gpio.onEdge(pin, listener).then((o) => (gone ? o() : (off = o)));
        return () => {
          gone = true;
          off?.();
        };
      };
    }
    return controls;
  } catch (err) {
    await gpio?.close().catch(() => {});
    throw err;
  }
}
