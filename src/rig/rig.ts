import type { Clock } from '../core/clock.js';
import type { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import type { Power, Probe, Updater } from '../drivers/capabilities.js';
import type { Console } from '../drivers/console/console.js';
import type { BenchGpio } from './bench-gpio.js';
import type { TwinSweep } from '../drivers/device/twin-sweep.js';

/** A product twin's flash operation at a marker edge: the processor that ran it, the memory (dump region name) it hit. */
export interface MarkerOp {
  mcu?: string;
  memory?: string;
}

/** Twin-only extras: what a simulated bench can do that a real one cannot. */
export interface TwinHandle {
  variant: string;
  /** Copy-on-write flash snapshots: a sweep restores its baseline in microseconds. */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  /** Flash operations started so far (the marker pin's edge count). */
  flashOps(): number;
  /** Reseeds the twin's random choices (power-loss mode, torn bits) for a reproducible cut. */
  reseed(seed: number): void;
  /** The marker pin: an edge at the start of every flash operation (on a product: whose, and in which memory). */
  onMarker(listener: (op?: MarkerOp) => void): () => void;
  /**
   * Baselines the cut scenario installed on this twin (by setup and images), as flash snapshots:
   * after the first, a cut restores one. Kept here so that the cache lives and dies with the rig.
   */
  readonly baselines: Map<string, unknown>;
  /** Op log and cut-state loading for sweeps (src/scenario/sweep/). */
  sweep: TwinSweep;
}

/** One processor of a product rig (`mcus:` in its file). */
export interface RigMcu {
  readonly name: string;
  readonly target: string;
  /** Its own console: its lines unprefixed (the rig's console has them as `<name>| <text>`). */
  readonly console: Console;
  /** Its own debug port, at its own (real) addresses. */
  readonly probe?: Probe;
  /** A pulse on its reset line; without one, a short power cycle of the whole product. */
  reset(): Promise<void>;
}

/** A bench with its capabilities bound. Scenarios use these, never a backend. */
export interface Rig {
  readonly name: string;
  readonly config: RigConfig;
  readonly clock: Clock;
  readonly timeline: Timeline;
  readonly power: Power;
  readonly console: Console;
  readonly updater: Updater;
  /**
   * On a product rig: the debug access of the whole product, by the product's virtual addresses
   * (each member's flash and the shared flash side by side, as the scheme's dump regions name them).
   */
  readonly probe?: Probe;
  /**
   * A product rig's processors by member name, in the scheme's order (the first is the host: the
   * rig's console writes to it, the fota updater speaks to it). Absent on a single-MCU rig.
   */
  readonly mcus?: Readonly<Record<string, RigMcu>>;
  readonly twin?: TwinHandle;
  /** The bench's GPIO pins by rig-file name (real rigs with a gpio: section). */
  readonly gpio?: BenchGpio;
  /** Edges of the marker input: the twin's flash operations, or the rig's marker pin. */
  readonly marker?: (listener: (op?: MarkerOp) => void) => () => void;
  /** Resets the target: a pulse on the reset pin, or a short power cycle. */
  reset(): Promise<void>;
  /** Puts the rig in its declared safe state (power as configured). Never throws. */
  safe(): Promise<void>;
  /** Safe state, then releases ports and processes. */
  close(): Promise<void>;
}
