import type { Clock } from '../core/clock.js';
import type { FlashSnapshot, NorFlash } from './flash/nor-flash.js';
import type { Mcu, SupplyDrop, TwinEvent } from './mcu.js';

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
  readonly mcu: Mcu;
  readonly flash: NorFlash;
  readonly powered: boolean;
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
  restore(snapshot: FlashSnapshot): void;
}
