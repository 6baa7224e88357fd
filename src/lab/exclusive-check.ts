/**
 * "Was a rig ever driven by two jobs at once?", answered from the rig's own event log (one line per
 * hardware action, written by the fence in src/rig/fence.ts), not from what the queue believes.
 */
import type { RigEvent } from '../rig/fence.js';

export type { RigEvent };

export interface Overlap {
  rig: string;
  /** The earlier token's span and the later one's, which overlap or are out of order. */
  a: { token: number; holder: string; first: number; last: number };
  b: { token: number; holder: string; first: number; last: number };
  why: 'overlap' | 'token-order';
}

export function readRigEvents(_eventLog: string): RigEvent[] {
  throw new Error('not yet');
}

export function findDoubleBooking(_events: readonly RigEvent[]): Overlap[] {
  throw new Error('not yet');
}
