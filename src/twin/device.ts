import type { Clock } from '../core/clock.js';
import type { FlashSnapshot, ReusedSnapshot } from './flash/nor-flash.js';
import type { Mcu, SupplyDrop, TwinEvent } from './mcu.js';

/**
 * What orchestrator code (the twin drivers, the sweep, the rig) uses of a device's flash: one
 * NorFlash on a single-MCU twin, a FlashSet over several parts (each processor's internal flash,
 * the shared SPI NOR) at their virtual bases on a product. Addresses are the device's (virtual) ones.
 */
export interface FlashStore {
  readonly base: number;
  readonly geometry: { readonly name: string; readonly size: number };
  read(address: number, length: number): Buffer;
  /** As NorFlash.readInto: `seen` is kept by the caller with `out` (sectors unchanged since its last read are not copied again). */
  readInto(address: number, out: Buffer, seen?: (Buffer | undefined)[]): Buffer;
  crc32(address: number, length: number): number;
  /** Operations started so far (the marker pin's count). */
  readonly opCount: number;
  /**
   * The resume memo a sweep arms for each recovery (src/twin/flash/resume-memo.ts). A FlashSet's
   * is a no-op (never jumps): its firmware's jobs span several flashes, which one memo cannot key.
   */
  readonly resume: { until?: number; readonly jumps: number };
  snapshot(): FlashSnapshot;
  restore(snapshot: FlashSnapshot): void;
}

/**
 * One processor of a board with several (a product): its own MCU (named `name`: the events it
 * emits carry it), target and console UART. TwinDevice's own uartRx/onUartTx are the first member's.
 */
export interface TwinMember {
  readonly name: string;
  readonly target: string;
  readonly mcu: Mcu;
  /** Bytes into this member's console RX (already paced by the transport). */
  uartRx(bytes: Buffer): void;
  onUartTx(listener: (bytes: Buffer) => void): () => void;
}

/**
 * What a rig file says about the board around the MCU, for twins whose programs read it: the
 * app's stable rule (`boot.stable`), how weak its SRAM cells are in a brownout, and what the
 * board's supply does when the app crashes. Twins that have no use for them ignore them.
 */
export interface TwinBoardOptions {
  /** When the application counts as stable: after running this long, or on this console line. */
  stable?: { afterMs: number } | { command: string };
  /** Chance per SRAM bit that a BOR-only brownout flips it. */
  sramFlipRate?: number;
  /** What resets the board after a crash: its watchdog (default), a power cut (POR), or a brownout (BOR only). */
  crashReset?: 'watchdog' | 'power-cut' | 'brownout';
}

/**
 * A simulated board as the rig sees it: a power input, a UART, a debug port that can read and
 * write memory, and a flash whose state can be snapshotted. Drivers (`src/drivers/* /twin*`) are
 * the only orchestrator code that talks to it.
 */
export interface TwinDevice {
  readonly target: string;
  readonly scheme: string;
  readonly variant: string;
  readonly clock: Clock;
  /** The (first) processor: a sweep reseeds it and uses its generator; every member's flash ops reach its op observer. */
  readonly mcu: Mcu;
  readonly flash: FlashStore;
  /** The processors of a board with several, in the scheme's order (absent: a single-MCU twin). */
  readonly members?: readonly TwinMember[];
  readonly powered: boolean;
  /** A board of several processors: its tail memo, which a sweep arms per recovery (board-tail.ts). */
  readonly tail?: {
    arm(on: boolean, onPlay?: (context: string) => void): void;
    end(): boolean;
    playing(): string | undefined;
    learnedContexts(): readonly string[];
    playedState(): FlashSnapshot | undefined;
    readonly jumps: number;
    readonly refused: number;
    readonly moved: number;
  };
  powerOn(): void;
  /** A cut: below the power-on reset by default; `brownout` when the supply only sags below the BOR level. */
  powerOff(drop?: SupplyDrop): void;
  /** What a supply sag down to `volts` does to this board. */
  dropAt(volts: number): SupplyDrop | 'none';
  /** Applies the rig's board options (open-twin-rig.ts); absent on twins that read none. */
  configureBoard?(board: TwinBoardOptions): void;
  /** Bytes into the device's UART RX (already paced by the transport). */
  uartRx(bytes: Buffer): void;
  onUartTx(listener: (bytes: Buffer) => void): () => void;
  onEvent(listener: (e: TwinEvent) => void): () => void;
  /** Debug-port reads and writes, as a probe does them (no flash timing, no power needed). */
  readMemory(address: number, length: number): Buffer;
  /** Probe flash programming: erase the sectors touched, then write. */
  programMemory(address: number, data: Uint8Array): void;
  massErase(): void;
  snapshot(): FlashSnapshot;
  /**
   * As snapshot(), into arrays the caller reuses and keeps nothing of past its next call (a sweep
   * reads the state several times per point; a product's is two arrays of 1,536). Absent: use snapshot().
   */
  snapshotReusing?(into: ReusedSnapshot): FlashSnapshot;
  /** Changes whenever `snapshot()` would give another state (absent: a device that cannot tell). */
  stateVersion?(): number;
  restore(snapshot: FlashSnapshot): void;
}
