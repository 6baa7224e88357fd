// One cut's transcript and timeline picture (src/report/timeline/) from a recording made by hand:
// time 0 at the update's start, the cut and a second cut marked where they happened, the baseline
// boot left out with its count, and a picture that stays small however many lines a boot loop prints.
import { describe, expect, it } from '@jest/globals';
import type { TimelineEvent } from '../../src/core/timeline.js';
import { cutMoments, type CutRecording } from '../../src/report/timeline/recording.js';
import { cutTimelineSvg } from '../../src/report/timeline/svg.js';
import { CUT_MARK, SECOND_CUT_MARK, cutTranscript } from '../../src/report/timeline/transcript.js';

const ev = (t: number, source: TimelineEvent['source'], kind: string, detail?: string): TimelineEvent => ({ t, source, kind, ...(detail && { detail }) });

/** Baseline at 10,000 ms, update from 12,000, erase then write, cut at 13,500 in a torn op, power back 200 ms later, a second cut 50 ms into the recovery. */
function recording(consoleLines = 0): CutRecording {
  const events = [
    ev(10_000, 'scenario', 'step:baseline'),
    ev(10_000, 'power', 'on'),
    ev(12_000, 'scenario', 'update-start', 'app-v2 (1000 bytes)'),
    ev(12_010, 'updater', 'phase:erase', 'from info'),
    ev(12_010, 'twin', 'phase:erase', 'B'),
    ev(12_600, 'updater', 'phase:write', 'from erase'),
    ev(13_500, 'cut', 'fire', '1500.000 ms after update start, 400 bytes acked, phase write'),
    ev(13_500, 'power', 'off'),
    ev(13_500, 'twin', 'flash-interrupted', 'program at 0x10210000 (256 B) 40% done -> torn'),
    ev(13_700, 'power', 'on'),
    ev(13_700, 'twin', 'boot:bootloader'),
    ev(13_750, 'cut', 'second', '50 ms after power returned'),
    ev(13_750, 'power', 'off'),
    ev(13_950, 'power', 'on'),
    ev(16_000, 'twin', 'boot:app', 'A'),
    ev(16_000, 'scenario', 'step:judged'),
  ];
  const lines = [
    { t: 10_500, text: 'hilrig-app 1.0.0 running from slot A' },
    { t: 12_005, text: 'Erasing' },
    { t: 13_400, text: 'Writing' },
    { t: 13_500, text: 'a line at the very moment of the cut' },
    { t: 14_000, text: 'Check Variant B: Broken' },
    ...Array.from({ length: consoleLines }, (_, i) => ({ t: 14_000 + (i * 2000) / Math.max(1, consoleLines), text: `loop ${i}` })),
    { t: 15_990, text: 'hilrig-app 1.0.0 running from slot A' },
  ];
  const flashOps = [11_000, 12_010, 12_300, 12_600, 12_900, 13_200, 13_499];
  return { events, lines, flashOps };
}

describe("a cut's transcript", () => {
  it("starts at the update's start, leaves the baseline boot out with its count, and marks the cuts and power's return in time order", () => {
    const text = cutTranscript(recording());
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe("(time 0 is the update's start; left out: 1 line of the baseline boot before it)");
    expect(lines[1]).toBe('[    0.0050] Erasing');
    expect(lines.slice(2)).toEqual([
      '[    1.4000] Writing',
      `${CUT_MARK} 1500.000 ms (flash op 6, program at 0x10210000 (256 B) 40% done -> torn; updater phase write, device phase erase) ──`,
      '[    1.5000] a line at the very moment of the cut',
      '── power back at 1700.000 ms: the recovery ──',
      `${SECOND_CUT_MARK} 1750.000 ms (50 ms after power returned) ──`,
      '[    2.0000] Check Variant B: Broken',
      '[    3.9900] hilrig-app 1.0.0 running from slot A',
    ]);
  });

  it("counts the flash op in flight from the update's start (an op before it is the baseline's)", () => {
    expect(cutMoments(recording()).fire).toMatchObject({ op: 6, updaterPhase: 'write', devicePhase: 'erase', forced: false });
  });
});

describe("a cut's timeline picture", () => {
  it('has the five lanes, the cut and the second cut at their times, and an axis from 0', () => {
    const svg = cutTimelineSvg(recording(), { heading: 'rig: after:1500ms -> rolled-back' });
    expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="cut-timeline"/);
    expect([...svg.matchAll(/<g class="lane" data-lane="(\w+)" data-count="(\d+)">/g)].map((m) => [m[1], Number(m[2])])).toEqual([
      ['power', 5],
      ['updater', 3],
      ['device', 2],
      ['flash', 6],
      ['console', 5],
    ]);
    expect(svg).toContain('<g class="cut" data-ms="1500.000" data-op="6">');
    expect(svg).toContain('<g class="second-cut" data-ms="1750.000">');
    expect(svg).toContain('>0 ms</text>');
    expect(svg).toContain('class="band power power-off"');
  });

  it("merges a boot loop's thousands of one-pixel phases into one band that counts them", () => {
    const rec = recording();
    const loop = Array.from({ length: 2000 }, (_, i) => [
      { t: 14_000 + i, source: 'twin' as const, kind: 'boot:bootloader' },
      { t: 14_000 + i + 0.5, source: 'twin' as const, kind: 'boot:app', detail: 'B' },
    ]).flat();
    const svg = cutTimelineSvg({ ...rec, events: [...rec.events, ...loop].sort((a, b) => a.t - b.t) });
    expect(svg).toMatch(/<g class="band device device-many"><rect [^>]+><title>4000 changes: bootloader, app B: /);
    expect(svg.length).toBeLessThan(20_000);
  });

  it('stays small for a boot loop of 10,000 console lines: instants are drawn per pixel column', () => {
    const svg = cutTimelineSvg(recording(10_000));
    expect(svg).toContain('data-lane="console" data-count="10005"');
    expect(svg.length).toBeLessThan(20_000);
  });
});
