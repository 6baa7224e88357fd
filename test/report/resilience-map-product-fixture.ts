// A two-processor product's op log made by hand, as the op recorder writes it (each op's `mcu`, its
// `phase` the issuing processor's, `phases` every processor's): the host downloads the radio's image
// into the shared flash, the radio swaps it in (its internal flash and the shared one), the host
// downloads its own and swaps; then cut points over it, failing in the radio's swap region 2.
import type { MapOp, MapResult } from '../../src/report/maps/map-types.js';

interface Step {
  ops: number;
  mcu: string;
  phase: string;
  /** The other processor's phase meanwhile. */
  other: string;
  kind?: (i: number) => MapOp['kind'];
  stage?: string;
}

const STEPS: Step[] = [
  { ops: 60, mcu: 'host', phase: 'download radio', other: 'app', kind: (i) => (i % 16 ? 'program' : 'erase') },
  { ops: 12, mcu: 'radio', phase: 'swap idx 1 state 0', other: 'wait radio', kind: (i) => (i % 2 ? 'program' : 'erase') },
  { ops: 12, mcu: 'radio', phase: 'swap idx 2 state 1', other: 'wait radio', kind: (i) => (i % 2 ? 'program' : 'erase') },
  { ops: 2, mcu: 'radio', phase: 'confirm image_ok', other: 'wait radio' },
  { ops: 60, mcu: 'host', phase: 'download host', other: 'app', kind: (i) => (i % 16 ? 'program' : 'erase') },
  { ops: 24, mcu: 'host', phase: 'swap idx 1 state 0', other: 'app', kind: (i) => (i % 2 ? 'program' : 'erase'), stage: 'reboot' },
];

export function productOps(): MapOp[] {
  const ops: MapOp[] = [];
  for (const s of STEPS)
    for (let i = 0; i < s.ops; i++) {
      const other = s.mcu === 'host' ? 'radio' : 'host';
      ops.push({
        index: ops.length,
        kind: s.kind?.(i) ?? 'program',
        target: 'flash',
        phase: s.phase,
        stage: s.stage ?? 'update',
        mcu: s.mcu,
        phases: { [s.mcu]: s.phase, [other]: s.other },
      });
    }
  return ops;
}

/** Every op, before/after/torn; the radio's swap region 2 (ops 72-83) torn or before: bricked. */
export function productResults(ops: readonly MapOp[]): MapResult[] {
  const out: MapResult[] = [];
  for (const op of ops)
    for (const mode of ['before', 'after', 'torn'] as const) {
      const bad = op.index >= 72 && op.index <= 83 && mode !== 'after';
      out.push({
        point: { op: op.index, mode, ...(mode === 'torn' && { fraction: 0.5 }) },
        outcome: bad ? 'bricked' : op.index < 72 ? 'rolled-back' : 'updated',
        ...(bad && { reasons: ['radio: no valid image in primary'] }),
      });
    }
  return out;
}
