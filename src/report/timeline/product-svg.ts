/**
 * A product's cut as one picture, both processors on one time axis: power (one switch for the
 * product), the updater's phases, each processor's phases, who held the bus lock, the messages on
 * the link between them, the flash ops per memory (each processor's internal flash, the shared
 * one) coloured by the processor that issued them, and each processor's console with its banners
 * written out. Instants are drawn per pixel column, as on a single device's picture, so a cut of
 * thousands of ops and lines stays small.
 */
import { esc, n, textWidth, title } from '../maps/svg.js';
import { BIN, GAP, LANE, STYLE, band, cutLinesSvg, frame, laneBackground, mergeNarrow, ticks, timeAxisSvg, timelineDocument, type Frame } from './draw.js';
import { timeRange, type Span } from './lanes.js';
import { classSafe, memberColour } from './members.js';
import { productLanes, type Banner, type BusConflict, type FlashLane, type LinkMessage } from './product-lanes.js';
import { msText, type CutMoments, type CutRecording } from './recording.js';

const LEFT = 150;
/** Below the heading and the key of the processors' colours. */
const TOP = 62;
/** Banners written on a lane at most; past that they are ticks like any line (the title counts them). */
const MAX_BANNERS = 60;

const PRODUCT_STYLE =
  STYLE +
  `.band.lock rect{fill-opacity:0.45}.link-msg path{fill:none;stroke-width:1.5}.link-msg .head{stroke:none}.banner-label{font-size:9px;fill:#222;pointer-events:none}` +
  `.key-label{font-size:11px;fill:#333}`;

/** A phase's shorter name for a band too narrow for the whole one: MCUboot's `swap idx 2 state 1` is `swap 2`, else the first word. */
function shortPhase(label: string): string {
  const step = /^(swap|revert) idx (\d+)\b/.exec(label);
  return step ? `${step[1]} ${step[2]}` : (label.split(' ')[0] ?? label);
}

interface Row {
  key: string;
  label: string;
  count: number;
  member?: string;
  memory?: string;
  draw: (y: number) => string[];
}

/** The picture of a product's cut (cutTimelineSvg sends a recording here when its events name processors). */
export function productTimelineSvg(rec: CutRecording, opts: { heading?: string }, m: CutMoments): string {
  const { lo, hi } = timeRange(m);
  const f = frame(LEFT, lo, hi);
  const lanes = productLanes(rec, m);
  const { members } = lanes;
  const colour = (member: string | undefined) => memberColour(members, member);
  const rows: Row[] = [
    { key: 'power', label: 'power', count: lanes.power.length, draw: (y) => mergeNarrow(lanes.power, f.x).map((s) => band(s, 'power', y, f.x, m.origin)) },
    { key: 'updater', label: 'update phase', count: lanes.updater.length, draw: (y) => mergeNarrow(lanes.updater, f.x).map((s) => band(s, 'updater', y, f.x, m.origin)) },
    ...lanes.phases.map(({ member, spans }): Row => ({
      key: `phase-${member}`,
      label: `${member} phase`,
      count: spans.length,
      member,
      draw: (y) => mergeNarrow(spans, f.x).map((s) => band(s, 'device', y, f.x, m.origin, { tipLabel: `${member}: ${s.label}`, extraClass: `member-${classSafe(member)}`, short: shortPhase })),
    })),
    {
      key: 'lock',
      label: 'bus lock held by',
      count: lanes.lock.length,
      draw: (y) => [...lockBands(lanes.lock, f, y, m.origin, colour), ...conflictMarks(lanes.conflicts, f, y, m.origin)],
    },
    { key: 'link', label: `link ${members.join(' ↔ ')}`, count: lanes.link.length, draw: (y) => linkMarks(lanes.link, members, f, y, m.origin, colour) },
    ...lanes.flash.map((lane): Row => flashRow(lane, f, colour)),
    ...lanes.console.map((c): Row => ({
      key: `console-${c.member}`,
      label: `${c.member} console`,
      count: c.lines.length,
      member: c.member,
      draw: (y) => [ticks(c.lines, 'console-line', y, f.x, `${c.member} console line`), ...bannerMarks(c.banners, c.member, f, y, m.origin, colour(c.member))],
    })),
  ];

  const laneY = (i: number) => TOP + i * (LANE + GAP);
  const axisY = laneY(rows.length) + 2;
  const body: string[] = [];
  if (opts.heading) body.push(`<text class="heading" x="8" y="18">${esc(opts.heading)}</text>`);
  body.push(memberKey(members, colour));
  rows.forEach((row, i) => {
    const y = laneY(i);
    const attrs = `data-lane="${esc(row.key)}" data-count="${row.count}"${row.member ? ` data-member="${esc(row.member)}"` : ''}${row.memory ? ` data-memory="${esc(row.memory)}"` : ''}`;
    body.push(`<g class="lane" ${attrs}>${[...laneBackground(f, y, row.label), ...row.draw(y)].join('')}</g>`);
  });
  body.push(timeAxisSvg(f, m, lo, hi, axisY));
  body.push(...cutLinesSvg(f, m, axisY, TOP));

  const ops = lanes.flash.map((l) => `${l.memory} ${l.ops.length}`).join(', ');
  const lines = lanes.console.map((c) => `${c.member} ${c.lines.length}`).join(', ');
  const desc =
    `Both processors (${members.join(', ')}) on one time axis: power, update phases, each processor's phases, the bus lock, ${lanes.link.length} link messages, ` +
    `flash ops (${ops}) and console lines (${lines}) from ${msText(lo, m.origin)} to ${msText(hi, m.origin)} after the update's start` +
    `${m.fire ? `; power cut at ${msText(m.fire.t, m.origin)}` : ''}${m.second ? `; second cut at ${msText(m.second.t, m.origin)}` : ''}.`;
  return timelineDocument({ ...(opts.heading !== undefined && { heading: opts.heading }), desc, height: axisY + 34, spanMs: hi - lo, style: PRODUCT_STYLE, body, cls: 'product' });
}

/**
 * Who held the lock. A run of takes too short to draw one by one (a download takes it around every
 * chunk) is one band, in its holder's colour when one processor made them all.
 */
function lockBands(lock: readonly Span[], f: Frame, y: number, origin: number, colour: (m: string | undefined) => string): string[] {
  return mergeNarrow(lock, f.x).map((s) => {
    if (s.kind !== 'many') return band(s, 'lock', y, f.x, origin, { fill: colour(s.label), tipLabel: `lock held by ${s.label}` });
    const inside = lock.filter((x) => x.from >= s.from && x.to <= s.to);
    const holders = [...new Set(inside.map((x) => x.label))];
    const one = holders.length === 1 ? holders[0] : undefined;
    return band({ ...s, label: one ?? s.label, kind: one ? `${classSafe(one)} many` : 'many' }, 'lock', y, f.x, origin, {
      fill: colour(one),
      tipLabel: `lock taken ${inside.length} times by ${holders.join(' and ')}`,
    });
  });
}

/** Where two processors were on the shared bus at once: a red cross on the lock lane (one per pixel column, its title lists them). */
function conflictMarks(conflicts: readonly BusConflict[], f: Frame, y: number, origin: number): string[] {
  const cols = new Map<number, BusConflict[]>();
  for (const c of conflicts) {
    const x = Math.round(f.x(c.t) / BIN) * BIN;
    if (!cols.has(x)) cols.set(x, []);
    cols.get(x)!.push(c);
  }
  return [...cols].map(([x, cs]) => {
    const said = cs
      .slice(0, 5)
      .map((c) => `bus conflict${c.mcu ? ` (${c.mcu})` : ''}: ${c.text} (${msText(c.t, origin)})`)
      .join('\n');
    const tip = cs.length > 5 ? `${said}\n… ${cs.length - 5} more` : said;
    const cy = y + LANE / 2;
    return `<g class="bus-conflict" data-count="${cs.length}">${title(tip)}<path d="M${n(x - 4)} ${n(cy - 4)}l8 8m0 -8l-8 8" style="stroke:#d50000;stroke-width:2.5"/></g>`;
  });
}

/** The processors' colours, top right under the heading. */
function memberKey(members: readonly string[], colour: (m: string) => string): string {
  const parts: string[] = [];
  let x = 8;
  const y = 36;
  parts.push(`<text class="key-label" x="${x}" y="${y + 9}">processors:</text>`);
  x += textWidth('processors:', 11) + 8;
  for (const m of members) {
    parts.push(
      `<g class="member-swatch" data-member="${esc(m)}"><rect x="${n(x)}" y="${y}" width="12" height="12" fill="${colour(m)}"/><text class="key-label" x="${n(x + 16)}" y="${y + 10}">${esc(m)}</text></g>`,
    );
    x += 16 + textWidth(m, 11) + 14;
  }
  return `<g class="member-key">${parts.join('')}</g>`;
}

/** A memory's flash ops, one tick path per processor that issued any, in that processor's colour. */
function flashRow(lane: FlashLane, f: Frame, colour: (m: string | undefined) => string): Row {
  const by = new Map<string | undefined, number[]>();
  for (const op of lane.ops) {
    if (!by.has(op.mcu)) by.set(op.mcu, []);
    by.get(op.mcu)!.push(op.t);
  }
  const label = lane.owner ? `${lane.owner} flash ops` : lane.memory === 'flash' ? 'flash ops' : `${lane.memory} ops`;
  return {
    key: `flash-${lane.memory}`,
    label,
    count: lane.ops.length,
    memory: lane.memory,
    ...(lane.owner && { member: lane.owner }),
    draw: (y) =>
      [...by].map(([mcu, ts]) =>
        ticks(ts, `flash-op${mcu ? ` by-${classSafe(mcu)}` : ''}`, y, f.x, 'flash op', {
          stroke: colour(mcu),
          tip: `${ts.length} flash op${ts.length === 1 ? '' : 's'}${mcu ? ` by ${mcu}` : ''} in ${lane.memory}`,
        }),
      ),
  };
}

/**
 * The link's messages as arrows in their sender's colour, pointing the way they went (down: to a
 * processor drawn lower). Messages closer than a tick share one arrow whose title lists them.
 */
function linkMarks(messages: readonly LinkMessage[], members: readonly string[], f: Frame, y: number, origin: number, colour: (m: string) => string): string[] {
  const groups = new Map<string, LinkMessage[]>();
  for (const msg of messages) {
    const key = `${Math.round(f.x(msg.t) / BIN) * BIN}|${msg.from}|${msg.to}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(msg);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const down = members.indexOf(first.from) <= members.indexOf(first.to);
    // A reply a moment after its message would hide under it: the two ways sit a few px apart.
    const xv = Math.round(f.x(first.t) / BIN) * BIN + (down ? -1.5 : 1.5);
    const [y0, y1] = down ? [y + 3, y + LANE - 3] : [y + LANE - 3, y + 3];
    const head = down ? `M${n(xv - 3.5)} ${y1 - 5}L${n(xv + 3.5)} ${y1 - 5}L${n(xv)} ${y1}Z` : `M${n(xv - 3.5)} ${y1 + 5}L${n(xv + 3.5)} ${y1 + 5}L${n(xv)} ${y1}Z`;
    const said = group
      .slice(0, 5)
      .map((msg) => `${msg.from} → ${msg.to}: ${msg.text} (${msText(msg.t, origin)})`)
      .join('\n');
    const tip = group.length > 5 ? `${said}\n… ${group.length - 5} more` : said;
    const c = colour(first.from);
    return (
      `<g class="link-msg" data-from="${esc(first.from)}" data-to="${esc(first.to)}" data-count="${group.length}">${title(tip)}` +
      `<path d="M${n(xv)} ${y0}V${down ? y1 - 4 : y1 + 4}" style="stroke:${c}"/><path class="head" d="${head}" fill="${c}"/></g>`
    );
  });
}

/** A processor's banners: a mark each, its text written after it when it fits before the next one. */
function bannerMarks(banners: readonly Banner[], member: string, f: Frame, y: number, origin: number, colour: string): string[] {
  const shown = banners.slice(0, MAX_BANNERS);
  return shown.map((b, i) => {
    const xv = f.x(b.t);
    const room = (i + 1 < shown.length ? f.x(shown[i + 1]!.t) : f.left + f.plot) - xv - 6;
    const text = textWidth(b.text, 9) <= room ? `<text class="banner-label" x="${n(xv + 4)}" y="${n(y + LANE / 2 + 3)}">${esc(b.text)}</text>` : '';
    return `<g class="banner" data-member="${esc(member)}">${title(`${member}| ${b.text} (${msText(b.t, origin)})`)}<rect x="${n(xv - 1)}" y="${y + 1}" width="2.5" height="${LANE - 2}" fill="${colour}"/>${text}</g>`;
  });
}
