import type { SweepCutPoint } from './points.js';

/**
 * A point as `hil sweep --point` takes it: `OP:MODE[:FRACTION][@MS][/OP2:MODE2[:F2]]`, fractions in
 * full (the shortest text that reads back as the same number), so the line rebuilds the very state.
 * With the sweep's seed (`--seed`), the point's own seed follows (points.ts seedFor).
 */
export function formatPoint(p: SweepCutPoint): string {
  const cut = (c: { op: number; mode: string; fraction?: number }) => `${c.op}:${c.mode}${c.fraction !== undefined ? `:${String(c.fraction)}` : ''}`;
  return `${cut(p)}${p.atMs !== undefined ? `@${String(p.atMs)}` : ''}${p.second ? `/${cut(p.second)}` : ''}`;
}
