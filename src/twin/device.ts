import type { Clock } from '../core/clock.js';
import type { FlashSnapshot, NorFlash } from './flash/nor-flash.js';
import type { Mcu, TwinEvent } from './mcu.js';

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
  powerOff(): void;
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
