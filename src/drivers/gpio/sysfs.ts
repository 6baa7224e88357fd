/**
 * sysfs GPIO through `onoff` (reference §3.1). Deprecated interface, kept for boards where
 * the character device tools are not available; prefer ./libgpiod.ts.
 *
 * The global number is never configured: it is base + offset, with the base read from
 * <root>/gpiochip*\/base for the chip whose <root>/gpiochip*\/label matches (512 on Pi 4-class
 * kernels, 571 on a Pi 5, 399 on 6.1-era Pi 5 kernels). Line names come from the debugfs
 * listing (/sys/kernel/debug/gpio), since sysfs itself has none.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from '../../core/errors.js';
import {
  checkSpecs,
  describeLine,
  physical,
  type EdgeEvent,
  type GpioBackend,
  type GpioLines,
  type GpioWatch,
  type InputWatchSpec,
  type Level,
  type LineRef,
  type OutputLineSpec,
  type ResolvedLine,
} from './lines.js';

/** The part of onoff's Gpio class used here. */
export interface OnoffGpio {
  writeSync(value: 0 | 1): void;
  readSync(): 0 | 1;
  watch(cb: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export interface OnoffModule {
  Gpio: new (gpio: number, direction: 'in' | 'out' | 'high' | 'low', edge?: 'none' | 'rising' | 'falling' | 'both', options?: { activeLow?: boolean }) => OnoffGpio;
}

export interface SysfsGpioOptions {
  /** Default /sys/class/gpio. */
  root?: string;
  /** debugfs GPIO listing used for line names. Default /sys/kernel/debug/gpio. */
  debugGpio?: string;
  /** Loads onoff; default a lazy `import('onoff')`. Tests inject a fake. */
  loadOnoff?: () => Promise<OnoffModule>;
}

export interface SysfsChip {
  dir: string;
  label: string;
  base: number;
  ngpio: number;
}

export class SysfsGpio implements GpioBackend {
  readonly name = 'sysfs';
  readonly root: string;
  private readonly debugGpio: string;
  private readonly loadOnoff: () => Promise<OnoffModule>;
  private onoff?: OnoffModule;

  constructor(opts: SysfsGpioOptions = {}) {
    this.root = opts.root ?? '/sys/class/gpio';
    this.debugGpio = opts.debugGpio ?? '/sys/kernel/debug/gpio';
    this.loadOnoff = opts.loadOnoff ?? (async () => (await import('onoff')) as unknown as OnoffModule);
  }

  /** The chips under the sysfs root, from gpiochipNNN/{label,base,ngpio}. */
  chips(): SysfsChip[] {
    if (!existsSync(this.root)) {
      throw new RigError(`gpio sysfs: ${this.root} does not exist (kernel without CONFIG_GPIO_SYSFS?); use the libgpiod backend`);
    }
    const chips: SysfsChip[] = [];
    for (const dir of readdirSync(this.root)) {
      if (!/^gpiochip\d+$/.test(dir)) continue;
      const read = (f: string) => readFileSync(join(this.root, dir, f), 'utf8').trim();
      try {
        chips.push({ dir, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) });
      } catch (cause) {
        throw new RigError(`gpio sysfs: cannot read ${join(this.root, dir)}`, { cause });
      }
    }
    return chips;
  }

  /** chip label + offset (or line name) -> global sysfs number. */
  resolve(ref: LineRef): { chip: string; offset: number; global: number } {
    const chips = this.chips();
    if ('name' in ref) {
      const global = this.globalForName(ref.name);
      const chip = chips.find((c) => global >= c.base && global < c.base + c.ngpio);
      if (!chip) throw new RigError(`gpio sysfs: line ${JSON.stringify(ref.name)} (gpio-${global}) is on no chip under ${this.root}`);
      return { chip: chip.label, offset: global - chip.base, global };
    }
    const matches = chips.filter((c) => c.label === ref.chip);
    if (matches.length === 0) {
      const labels = chips.map((c) => `${c.label} (base ${c.base})`).join(', ') || 'none';
      throw new RigError(`gpio sysfs: no chip labelled ${JSON.stringify(ref.chip)} under ${this.root}; chips: ${labels}`);
    }
    if (matches.length > 1) throw new RigError(`gpio sysfs: ${matches.length} chips labelled ${JSON.stringify(ref.chip)}; name the line instead`);
    const chip = matches[0];
    if (ref.offset >= chip.ngpio) throw new RigError(`gpio sysfs: offset ${ref.offset} out of range for ${chip.label} (${chip.ngpio} lines)`);
    return { chip: chip.label, offset: ref.offset, global: chip.base + ref.offset };
  }

  private globalForName(name: string): number {
    let text: string;
    try {
      text = readFileSync(this.debugGpio, 'utf8');
    } catch (cause) {
      throw new RigError(`gpio sysfs: line names need ${this.debugGpio} (debugfs, root); name the line by chip label + offset instead`, { cause });
    }
    // " gpio-529 (GPIO17              )" or " gpio-529 (GPIO17   |sysfs   ) out hi"
    for (const m of text.matchAll(/^\s*gpio-(\d+)\s+\(([^|)]*)/gm)) {
      if (m[2].trim() === name) return Number(m[1]);
    }
    throw new RigError(`gpio sysfs: no line named ${JSON.stringify(name)} in ${this.debugGpio}`);
  }

  private async module(): Promise<OnoffModule> {
    if (this.onoff) return this.onoff;
    try {
      this.onoff = await this.loadOnoff();
    } catch (cause) {
      throw new RigError(`gpio sysfs: cannot load the onoff package (${(cause as Error)?.message ?? String(cause)}); install it or use the libgpiod backend`, { cause });
    }
    return this.onoff;
  }

  async requestOutputs(specs: readonly OutputLineSpec[]): Promise<GpioLines> {
    checkSpecs(specs);
    const resolved = specs.map((s) => {
      try {
        return { spec: s, ...this.resolve(s.line) };
      } catch (e) {
        if (e instanceof RigError) throw new RigError(`${e.message} (line ${JSON.stringify(s.id)}: ${describeLine(s.line)})`, { cause: e.cause });
        throw e;
      }
    });
    const { Gpio } = await this.module();
    const opened: { spec: OutputLineSpec; gpio: OnoffGpio }[] = [];
    try {
      for (const r of resolved) {
        // 'high'/'low' sets direction and the initial physical level in one write: no glitch.
        const gpio = new Gpio(r.global, physical(r.spec.initial, r.spec.activeLow) ? 'high' : 'low');
        opened.push({ spec: r.spec, gpio });
      }
    } catch (cause) {
      for (const o of opened) safeUnexport(o.gpio, o.spec);
      throw new RigError(`gpio sysfs: cannot export line: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    return new SysfsLines(
      opened,
      resolved.map((r) => ({ id: r.spec.id, chip: r.chip, offset: r.offset, global: r.global })),
    );
  }

  async watch(spec: InputWatchSpec, onEdge: (e: EdgeEvent) => void): Promise<GpioWatch> {
    const r = this.resolve(spec.line);
    const { Gpio } = await this.module();
    let gpio: OnoffGpio;
    try {
      gpio = new Gpio(r.global, 'in', spec.edge);
    } catch (cause) {
      throw new RigError(`gpio sysfs: cannot watch gpio-${r.global}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    gpio.watch((err, value) => {
      if (err) return;
      onEdge({ edge: value ? 'rising' : 'falling', level: physical(value, spec.activeLow) });
    });
    let closed = false;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        gpio.unwatchAll();
        gpio.unexport();
      },
    };
  }
}

function safeUnexport(gpio: OnoffGpio, spec: OutputLineSpec): void {
  try {
    gpio.writeSync(physical(spec.safe, spec.activeLow));
  } catch {
    // best effort
  }
  try {
    gpio.unexport();
  } catch {
    // best effort
  }
}

class SysfsLines implements GpioLines {
  readonly backend = 'sysfs';
  private readonly levels = new Map<string, Level>();
  private readonly byId = new Map<string, { spec: OutputLineSpec; gpio: OnoffGpio }>();
  private released = false;

  constructor(
    lines: { spec: OutputLineSpec; gpio: OnoffGpio }[],
    readonly resolved: readonly ResolvedLine[],
  ) {
    for (const l of lines) {
      this.byId.set(l.spec.id, l);
      this.levels.set(l.spec.id, l.spec.initial);
    }
  }

  private line(id: string) {
    const l = this.byId.get(id);
    if (!l) throw new RigError(`gpio: no output line ${JSON.stringify(id)} (have ${[...this.byId.keys()].join(', ')})`);
    if (this.released) throw new RigError(`gpio: line ${JSON.stringify(id)} already released`);
    return l;
  }

  async set(id: string, level: Level): Promise<void> {
    const l = this.line(id);
    try {
      l.gpio.writeSync(physical(level, l.spec.activeLow));
    } catch (cause) {
      throw new RigError(`gpio sysfs: write to ${JSON.stringify(id)} failed`, { cause });
    }
    this.levels.set(id, level);
  }

  get(id: string): Level {
    if (!this.byId.has(id)) throw new RigError(`gpio: no output line ${JSON.stringify(id)} (have ${[...this.byId.keys()].join(', ')})`);
    return this.levels.get(id)!;
  }

  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    for (const l of this.byId.values()) {
      safeUnexport(l.gpio, l.spec);
      this.levels.set(l.spec.id, l.spec.safe);
    }
  }

  async release(): Promise<void> {
    this.releaseSync();
  }
}
