import type { MapOp } from './map-types.js';

/** A run of consecutive ops drawn as one labelled band: [from, to] inclusive op indexes. */
export interface Band {
  from: number;
  to: number;
  label: string;
  /** The phase texts merged into it (for the band's title). */
  parts: string[];
}

/** A processor's phase on a product's map before it reported any. */
export const NO_PHASE = 'no phase yet';

/** More bands than this stop being readable on a map a screen wide: coarser labels, then merging. */
export const MAX_BANDS = 16;

/**
 * The label of one op's phase. MCUboot's twin reports every step of every region
 * (`swap idx 2 state 3`, `revert idx 1 state 2`): a reader wants the region, not its three steps. An op with no phase
 * event before it is named by what it does.
 */
export function phaseLabel(op: MapOp): string {
  const phase = op.phase?.trim();
  if (phase) {
    const step = /^(swap|revert) idx (\d+)\b/.exec(phase);
    if (step) return `${step[1]} region ${step[2]}`;
    return phase;
  }
  if (op.target === 'options') return 'option bytes';
  return op.kind === 'erase' ? 'erase' : 'write';
}

/**
 * A label's broad kind, for a second, coarser pass: `erase bank2 sectors 12-17` -> `erase`, `swap region 3` -> `swap`;
 * a processor's name before it stays (`radio: swap region 2` -> `radio: swap`).
 */
function coarse(label: string): string {
  // A processor that has not reported a phase yet has no kind to coarsen to.
  if (label.endsWith(NO_PHASE)) return label;
  const m = /^([\w-]+: )?([a-z]+)/i.exec(label);
  return m ? `${m[1] ?? ''}${m[2]!.toLowerCase()}` : label;
}

function runs(ops: readonly MapOp[], key: (op: MapOp) => string): Band[] {
  const bands: Band[] = [];
  for (const op of ops) {
    const label = key(op);
    const last = bands.at(-1);
    if (last && last.label === label) last.to = op.index;
    else bands.push({ from: op.index, to: op.index, label, parts: [label] });
  }
  return bands;
}

function mergeSameLabels(bands: Band[], relabel: (label: string) => string): Band[] {
  const out: Band[] = [];
  for (const b of bands) {
    const label = relabel(b.label);
    const last = out.at(-1);
    if (last && last.label === label) {
      last.to = b.to;
      for (const p of b.parts) if (!last.parts.includes(p)) last.parts.push(p);
    } else out.push({ ...b, label, parts: [...b.parts] });
  }
  return out;
}

/**
 * The update's phases as bands over the op axis: consecutive ops with the same phase label form one
 * band, whatever the host's stage (STM32's commit goes on across the host seeing the update end).
 * A sweep of a scheme whose phases alternate (erase one sector, write it, ...) would give hundreds:
 * then labels are made coarser (`erase`, `write`), and if that is still too many the smallest band
 * is folded into its smaller neighbour until MAX_BANDS remain; a merged band is labelled by its first
 * part and how many more (`erase +2`), and lists them all in its title. A band of a single op (SFU's signing, MCUboot's image_ok) survives whenever the count
 * allows: those are often where the window is. `label` names an op's phase (a product's map asks per processor).
 */
export function phaseBands(ops: readonly MapOp[], max = MAX_BANDS, label: (op: MapOp) => string = phaseLabel): Band[] {
  let bands = runs(ops, label);
  if (bands.length > max) bands = mergeSameLabels(bands, coarse);
  while (bands.length > max) {
    let smallest = 0;
    for (let i = 1; i < bands.length; i++) if (size(bands[i]!) < size(bands[smallest]!)) smallest = i;
    const left = bands[smallest - 1];
    const right = bands[smallest + 1];
    const into = !right || (left && size(left) <= size(right)) ? smallest - 1 : smallest + 1;
    const [a, b] = into < smallest ? [bands[into]!, bands[smallest]!] : [bands[smallest]!, bands[into]!];
    const parts = [...a.parts, ...b.parts.filter((p) => !a.parts.includes(p))];
    const merged: Band = { from: a.from, to: b.to, label: a.label === b.label ? a.label : `${a.label.replace(/ \+\d+$/, '')} +${parts.length - 1}`, parts };
    bands.splice(Math.min(into, smallest), 2, merged);
  }
  return bands;
}

/** The host's stages (`update`, then `reboot` once it saw the update finish) as bands. */
export function stageBands(ops: readonly MapOp[]): Band[] {
  return runs(ops, (op) => op.stage ?? 'update');
}

function size(b: Band): number {
  return b.to - b.from + 1;
}
