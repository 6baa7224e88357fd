/**
 * The GPIO side of a real bench: every output pin of the rig file requested once, for the whole
 * run, by one owner (a v2 `gpioset` that exits releases its lines), and the marker input watched.
 * Safe levels come back on close, on process exit and on Ctrl-C, whatever else failed.
 */
import type { GpioConfig, GpioPinConfig } from '../config/index.js';
import { RigError } from '../core/errors.js';
import { signalsClaimed } from '../core/signals.js';
import type { Timeline } from '../core/timeline.js';
import { Libgpiod, SysfsGpio, releaseOnExit, type GpioBackend, type GpioLines, type GpioWatch, type Level, type LineRef } from '../drivers/gpio/index.js';

export interface BenchGpio {
  readonly backend: GpioBackend;
  /** Output pins by their rig-file name. */
  readonly lines: GpioLines;
  readonly outputs: readonly string[];
  /** Subscribes to the edges of an input pin (one watch process per pin, fanned out). */
  onEdge(pin: string, listener: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export function lineRef(pin: GpioPinConfig): LineRef {
  return pin.line !== undefined ? { name: pin.line } : { chip: pin.chip!, offset: pin.offset! };
}

async function openBackend(gpio: GpioConfig): Promise<GpioBackend> {
  return gpio.backend === 'sysfs' ? new SysfsGpio() : Libgpiod.open({ consumer: gpio.consumer });
}

export async function openBenchGpio(gpio: GpioConfig, file: string, timeline?: Timeline): Promise<BenchGpio> {
  const backend = await openBackend(gpio).catch((err: Error) => Promise.reject(new RigError(`${file}: gpio (${gpio.backend}): ${err.message}`, { cause: err })));
  const outputs = Object.entries(gpio.pins).filter(([, p]) => p.direction === 'out');
  if (outputs.length === 0) throw new RigError(`${file}: gpio.pins declares no output pin (relay, reset, BOOT straps are outputs)`);
  // One owner per chip (gpioset -c takes one chip; lines by name form their own group).
  const groups = new Map<string, typeof outputs>();
  for (const o of outputs) {
    const key = o[1].line !== undefined ? '' : o[1].chip!;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const held: GpioLines[] = [];
  try {
    for (const group of groups.values()) {
      held.push(await backend.requestOutputs(group.map(([id, p]) => ({ id, line: lineRef(p), initial: (p.initial ?? p.safe) as Level, safe: p.safe as Level, activeLow: p.activeLow }))));
    }
  } catch (err) {
    for (const h of held) await h.release().catch(() => {});
    throw new RigError(`${file}: gpio (${backend.name}): ${(err as Error).message}`, { cause: err });
  }
  const lines = held.length === 1 ? held[0]! : combineLines(held);
  // The CLI closes the rig on Ctrl-C itself (the relay then switches with its settle time);
  // elsewhere the hook takes the signal, drives the safe levels and exits. The exit hook is the
  // backstop for both (a forced exit, a crash).
  const unhook = releaseOnExit(lines, signalsClaimed() ? { signals: [], exit: null } : {});
  for (const r of lines.resolved) timeline?.add('gpio', 'line', `${r.id} = ${r.chip} offset ${r.offset}${r.global !== undefined ? ` (global ${r.global})` : ''}`);

  const watches = new Map<string, { watch: Promise<GpioWatch>; listeners: Set<() => void> }>();
  return {
    backend,
    lines,
    outputs: outputs.map(([id]) => id),
    async onEdge(pin, listener) {
      const cfg = gpio.pins[pin];
      if (!cfg || cfg.direction !== 'in') throw new RigError(`${file}: pin ${pin} is not an input in gpio.pins`);
      let w = watches.get(pin);
      if (!w) {
        const listeners = new Set<() => void>();
        const watch = backend.watch({ line: lineRef(cfg), edge: cfg.edge ?? 'rising', activeLow: cfg.activeLow }, () => {
          for (const l of [...listeners]) l();
        });
        w = { watch, listeners };
        watches.set(pin, w);
      }
      w.listeners.add(listener);
      await w.watch;
      const entry = w;
      return () => entry.listeners.delete(listener);
    },
    async close() {
      for (const w of watches.values()) await w.watch.then((x) => x.close()).catch(() => {});
      watches.clear();
      await lines.release();
      unhook();
    },
  };
}

/** Several owners (one per chip) behind one GpioLines. */
function combineLines(parts: GpioLines[]): GpioLines {
  const owner = (id: string): GpioLines => {
    for (const p of parts) {
      try {
        p.get(id);
        return p;
      } catch {
        // not this chip's line
      }
    }
    throw new RigError(`gpio: no output line ${JSON.stringify(id)}`);
  };
  return {
    backend: parts[0]!.backend,
    resolved: parts.flatMap((p) => p.resolved),
    set: (id, level) => owner(id).set(id, level),
    get: (id) => owner(id).get(id),
    release: async () => {
      await Promise.allSettled(parts.map((p) => p.release()));
    },
    releaseSync: () => {
      for (const p of parts) p.releaseSync();
    },
  };
}
