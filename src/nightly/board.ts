/**
 * Which board a result belongs to. History follows the board, not the Pi it sits on: the key is
 * the board's serial from the rig file (`board: { serial }`), else the rig's name. A board moved
 * to another Pi gets another rig file with the same serial, and keeps its history; a suite's
 * variant of a twin (`twin-rp2040-sfu[erase-running-slot]`) is the same board running other firmware.
 */
import type { RigConfig } from '../config/index.js';

export interface BoardIdentity {
  /** The history key: the board serial, else the rig name (without a suite's variant tags). */
  key: string;
  serial?: string;
  label?: string;
  /** The rig file's name (without variant tags) that last ran it. */
  rig: string;
}

/** A rig's name without a suite's `[variant,…]` tags. */
export function baseRigName(name: string): string {
  return name.replace(/\[[^\]]*\]$/, '');
}

/** The `[variant,…]` tags of a rig's name ('' without). */
export function rigTags(name: string): string {
  return name.slice(baseRigName(name).length);
}

export function boardOf(rig: Pick<RigConfig, 'name' | 'board'>): BoardIdentity {
  const base = baseRigName(rig.name);
  const serial = rig.board?.serial;
  const label = rig.board?.label;
  return { key: serial ?? base, ...(serial !== undefined && { serial }), ...(label !== undefined && { label }), rig: base };
}

/** How a board is named in text: `twin-rp2040-sfu`, `pi-pico-sfu (board E661…, Pico)`. */
export function describeBoard(b: BoardIdentity): string {
  const extra = [b.serial !== undefined && b.serial !== b.rig ? `board ${b.serial}` : undefined, b.label].filter(Boolean);
  return extra.length ? `${b.rig} (${extra.join(', ')})` : b.rig;
}
