/**
 * One cut's event timeline as a picture: lanes for power, the updater's phases, the device's phases,
 * flash operations and console lines on one time axis (ms after the update's start), a red line
 * where power was cut and a dashed one for a second cut. Plain SVG text like the resilience maps
 * (../maps/): it opens in any browser, and a cut of 10,000 console lines stays a few KB because
 * instants are drawn per pixel column, not per event. A product's cut (its events name their
 * processor) gets the product's lanes: see product-svg.ts.
 */
import { esc } from '../maps/svg.js';
import { GAP, LANE, STYLE, TOP, band, cutLinesSvg, frame, laneBackground, mergeNarrow, ticks, timeAxisSvg, timelineDocument } from './draw.js';
import { cutLanes, timeRange } from './lanes.js';
import { isProductRecording } from './product-lanes.js';
import { productTimelineSvg } from './product-svg.js';
import { cutMoments, msText, type CutMoments, type CutRecording } from './recording.js';

export { TIMELINE_WIDTH } from './draw.js';

const LEFT = 110;

const LANES = [
  { key: 'power', label: 'power' },
  { key: 'updater', label: 'update phase' },
  { key: 'device', label: 'device phase' },
  { key: 'flash', label: 'flash ops' },
  { key: 'console', label: 'console lines' },
] as const;

export interface TimelineSvgOptions {
  /** The heading: what cut this is (test name, rig, outcome). */
  heading?: string;
}

/** The SVG document of one cut's timeline. */
export function cutTimelineSvg(rec: CutRecording, opts: TimelineSvgOptions = {}, moments: CutMoments = cutMoments(rec)): string {
  if (isProductRecording(rec)) return productTimelineSvg(rec, opts, moments);
  const m = moments;
  const { lo, hi } = timeRange(m);
  const f = frame(LEFT, lo, hi);
  const { x } = f;
  const lanes = cutLanes(rec, m);
  const laneY = (i: number) => TOP + i * (LANE + GAP);
  const axisY = laneY(LANES.length) + 2;
  const height = axisY + 34;
  const body: string[] = [];

  if (opts.heading) body.push(`<text class="heading" x="8" y="18">${esc(opts.heading)}</text>`);

  LANES.forEach((lane, i) => {
    const y = laneY(i);
    const inner = laneBackground(f, y, lane.label);
    if (lane.key === 'power' || lane.key === 'updater' || lane.key === 'device') {
      for (const s of mergeNarrow(lanes[lane.key], x)) inner.push(band(s, lane.key, y, x, m.origin));
    } else {
      const ts = lane.key === 'flash' ? lanes.flashOps : lanes.console;
      inner.push(ticks(ts, lane.key === 'flash' ? 'flash-op' : 'console-line', y, x, lane.key === 'flash' ? 'flash op' : 'console line'));
    }
    const count = lane.key === 'flash' ? lanes.flashOps.length : lane.key === 'console' ? lanes.console.length : lanes[lane.key].length;
    body.push(`<g class="lane" data-lane="${lane.key}" data-count="${count}">${inner.join('')}</g>`);
  });

  body.push(timeAxisSvg(f, m, lo, hi, axisY));
  body.push(...cutLinesSvg(f, m, axisY));

  const desc = `Power, update phases, device phases, ${lanes.flashOps.length} flash ops and ${lanes.console.length} console lines from ${msText(lo, m.origin)} to ${msText(hi, m.origin)} after the update's start${m.fire ? `; power cut at ${msText(m.fire.t, m.origin)}` : ''}${m.second ? `; second cut at ${msText(m.second.t, m.origin)}` : ''}.`;
  return timelineDocument({ ...(opts.heading !== undefined && { heading: opts.heading }), desc, height, spanMs: hi - lo, style: STYLE, body });
}
