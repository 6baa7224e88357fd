/**
 * The fence every hardware action passes when a rig runs under a lab lease. The rig layer may
 * not import the lab, so the lease reaches it as a file (written by the lab's LeaseKeeper after
 * each renewal) named by an environment variable; this also covers the Jest processes `hil run`
 * starts, which inherit the variable.
 */
import type { Rig } from './rig.js';
import { RigError } from '../core/errors.js';

/** Names the fence file; set by the lab worker for everything it starts. */
export const FENCE_ENV = 'HIL_LAB_FENCE';

export interface FenceFile {
  rig: string;
  token: number;
  holder: string;
  /** Epoch ms: no action starts at or after it. */
  validUntil: number;
  /** JSONL file each allowed action is appended to. */
  eventLog: string;
}

/** One line of a rig's event log. */
export interface RigEvent {
  at: number;
  rig: string;
  token: number;
  holder: string;
  pid: number;
  action: string;
}

/** The rig's lease is gone: a rig error (Allure broken, exit 3), never a device failure. */
export class LeaseLostError extends RigError {}

export function writeFenceFile(_path: string, _fence: FenceFile): void {
  throw new Error('not yet');
}

export function fenceRig(_rig: Rig, _fencePath: string): Rig {
  throw new Error('not yet');
}
