/**
 * A product's op log on a map: which processor issued each op, and what each processor was doing
 * at it (its own phase, from the op log's `phases`; without them, carried from that processor's
 * own last op). Nothing here knows a product: a log whose ops name no processor (`mcu`) has no
 * members and the map is drawn as for one device.
 */
import { classSafe, memberColour } from '../timeline/members.js';
import type { OpAxis } from './layout.js';
import { bandRowSvg, calloutHeight } from './layout.js';
import type { MapOp } from './map-types.js';
import { NO_PHASE, phaseBands, phaseLabel, type Band } from './phase-bands.js';
import { esc, n, textWidth, title } from './svg.js';
import { opsText } from './document.js';

export { NO_PHASE };

/** The processors that issued ops, in order of their first op. */
export function mapMembers(ops: readonly MapOp[]): string[] {
  const seen = new Set<string>();
  for (const op of ops) if (op.mcu) seen.add(op.mcu);
  for (const op of ops) for (const m of Object.keys(op.phases ?? {})) if (m) seen.add(m);
  return [...seen];
}

/** A phase without the progress count an app appends to it (`download radio 7000/25180` -> `download radio`): one phase, not a band per chunk. */
function withoutCount(phase: string): string {
  return phase.replace(/\s+\d+\/\d+$/, '');
}

/** Each processor's phase label at each op (index for index), as phaseLabel words it. */
export function memberPhases(ops: readonly MapOp[], members: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of members) {
    let carried: string | undefined;
    out.set(
      m,
      ops.map((op) => {
        const raw = op.phases?.[m] ?? (op.mcu === m ? op.phase : undefined) ?? carried;
        carried = raw;
        return raw ? phaseLabel({ index: op.index, kind: op.kind, phase: withoutCount(raw) }) : NO_PHASE;
      }),
    );
  }
  return out;
}

/** Runs of ops by the processor that issued them (`host`, `radio`; `?` for an op that names none). */
function issuerRuns(ops: readonly MapOp[]): Band[] {
  const runs: Band[] = [];
  for (const op of ops) {
    const who = op.mcu ?? '?';
    const last = runs.at(-1);
    if (last && last.label === who) last.to = op.index;
    else runs.push({ from: op.index, to: op.index, label: who, parts: [who] });
  }
  return runs;
}

/**
 * The issuer runs as drawn: where ops are narrower than a pixel (a radio appending its log between
 * the host's chunks makes thousands of runs), each pixel column's processors make one run, and
 * neighbouring columns with the same set merge: `host+radio` where both issued ops there.
 */
function issuerColumns(runs: readonly Band[], axis: OpAxis): Band[] {
  if (axis.column >= 1) return [...runs];
  const out: Band[] = [];
  const col = (op: number) => Math.floor(axis.x(op) - axis.left);
  let i = 0;
  while (i < runs.length) {
    const c = col(runs[i]!.from);
    const who = new Set<string>();
    let to = runs[i]!.to;
    let j = i;
    // Every run that starts in column c belongs to it (a long run also covers the columns after).
    while (j < runs.length && col(runs[j]!.from) === c) {
      who.add(runs[j]!.label);
      to = runs[j]!.to;
      j++;
    }
    const label = [...who].sort().join('+');
    const last = out.at(-1);
    if (last && last.label === label) last.to = to;
    else out.push({ from: runs[i]!.from, to, label, parts: [...who].sort() });
    i = j;
  }
  return out;
}

export interface ProductBands {
  members: string[];
  /** Runs of ops by the processor that issued them (the band's label is its name). */
  issuer: Band[];
  /** One band row per processor. */
  rows: { member: string; bands: Band[] }[];
  /** The issuing processor's phase per op run (`radio: swap region 2`), for the columns behind the marks and the windows' names. */
  issued: Band[];
  /** Where an op's cut lands, for a mark's title: `by radio; radio: swap region 2, host: wait radio`. */
  where: (op: number) => string | undefined;
  /** The issuing processor's phase at one op, unmerged (`radio: swap region 2`): what a window is named by. */
  issuedAt: (op: number) => string | undefined;
}

export function productBands(ops: readonly MapOp[]): ProductBands | undefined {
  const members = mapMembers(ops);
  if (members.length === 0) return undefined;
  const phases = memberPhases(ops, members);
  const at = new Map(ops.map((op, i) => [op.index, i]));
  const label = (m: string) => (op: MapOp) => phases.get(m)![at.get(op.index)!]!;
  return {
    members,
    issuer: issuerRuns(ops),
    rows: members.map((m) => ({ member: m, bands: phaseBands(ops, undefined, label(m)) })),
    issued: phaseBands(ops, undefined, (op) => (op.mcu ? `${op.mcu}: ${label(op.mcu)(op)}` : phaseLabel(op))),
    issuedAt: (index) => {
      const i = at.get(index);
      const op = i === undefined ? undefined : ops[i]!;
      return op?.mcu ? `${op.mcu}: ${phases.get(op.mcu)![i!]}` : undefined;
    },
    where: (index) => {
      const i = at.get(index);
      if (i === undefined) return undefined;
      const op = ops[i]!;
      const own = op.mcu ? [op.mcu, ...members.filter((m) => m !== op.mcu)] : members;
      return `${op.mcu ? `by ${op.mcu}; ` : ''}${own.map((m) => `${m}: ${phases.get(m)![i]}`).join(', ')}`;
    },
  };
}

const ISSUER_ROW = 12;
/** Callout lines above a processor's row: a product's phases are many and short next to its download. */
const CALLOUTS = 3;
const MIXED = 'issuers-mixed';
const MEMBER_ROW = 22;

/**
 * The product's rows above the marks: a thin row coloured by the processor that issued each op,
 * then one labelled phase row per processor (their narrow bands' labels call out above them).
 * Returns the svg and the height used from `y`.
 */
export function productRowsSvg(pb: ProductBands, axis: OpAxis, y: number, rowLabel: (text: string, y: number, height: number) => string): { svg: string; height: number } {
  const out: string[] = [];
  let top = y;
  out.push(rowLabel('op issued by', top, ISSUER_ROW));
  // Two processors issuing ops within one pixel column: their colours in stripes.
  const [a, b] = pb.members;
  const mixed = pb.members.length === 2 ? `url(#${MIXED})` : '#9e9e9e';
  if (a && b)
    out.push(
      `<defs><pattern id="${MIXED}" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
        `<rect width="2" height="4" fill="${memberColour(pb.members, a)}"/><rect x="2" width="2" height="4" fill="${memberColour(pb.members, b)}"/></pattern></defs>`,
    );
  const rects = issuerColumns(pb.issuer, axis).map((band) => {
    const x0 = axis.x(band.from);
    const w = Math.max(axis.x(band.to + 1) - x0, 0.5);
    const who = band.parts.length > 1 ? band.parts.join(' and ') : band.label;
    const fill = band.parts.length > 1 ? mixed : memberColour(pb.members, band.label);
    const text =
      textWidth(band.label, 9) + 4 <= w && band.parts.length === 1
        ? `<text class="issuer-label" x="${n(x0 + 2)}" y="${n(top + ISSUER_ROW - 3)}" font-size="9" fill="#fff">${esc(band.label)}</text>`
        : '';
    return `<g class="issuer" data-member="${esc(band.label)}"><rect class="band issuer" x="${n(x0)}" y="${n(top)}" width="${n(w)}" height="${ISSUER_ROW}" fill="${fill}">${title(`${opsText(band.from, band.to)} issued by ${who}`)}</rect>${text}</g>`;
  });
  out.push(`<g class="issuers">${rects.join('')}</g>`);
  top += ISSUER_ROW + calloutHeight(CALLOUTS);
  pb.rows.forEach(({ member, bands }, i) => {
    // The row's label names the processor; its bands' titles name it again (a title is read alone).
    out.push(rowLabel(`${member} phase`, top, MEMBER_ROW));
    out.push(bandRowSvg(bands, axis, top, MEMBER_ROW, `phase member-${classSafe(member)}`, (band) => `${member}: ${band.parts.join(' / ')}: ${opsText(band.from, band.to)}`, CALLOUTS));
    top += MEMBER_ROW + (i + 1 < pb.rows.length ? calloutHeight(CALLOUTS) : 8);
  });
  return { svg: out.join(''), height: top - y };
}
