/**
 * The host app's persisted download/update record (dfu-state, 2 pages at 0xF_8000 of the host's
 * flash). Its byte layout belongs to the product's host app; until it is documented the host side
 * only tells erased from written, so inspection never guesses at a pending update.
 */
import { HOST_PARTITIONS } from '../../targets/nrf91-nrf52-product.js';

export interface DfuStateReading {
  /** Erased (no update record) or holding something. */
  state: 'erased' | 'written';
  /** What an unfinished update the record holds (absent when there is none or the layout is unknown). */
  pending?: string;
  /** One line for the table. */
  text: string;
}

/** Reads the record from the host's whole flash. */
export function readDfuState(hostFlash: Buffer): DfuStateReading | undefined {
  const p = HOST_PARTITIONS.dfuState;
  if (hostFlash.length < p.base + p.size) return undefined;
  const area = hostFlash.subarray(p.base, p.base + p.size);
  if (area.every((b) => b === 0xff)) return { state: 'erased', text: 'dfu-state: erased (no update record)' };
  let used = 0;
  for (let i = 0; i < area.length; i++) if (area[i] !== 0xff) used = i + 1;
  return { state: 'written', text: `dfu-state: written (${used} bytes used of ${p.size})` };
}
