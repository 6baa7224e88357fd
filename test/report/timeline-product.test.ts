// A two-processor product's cut (issue 13 item 5) on one time axis: the picture's lanes for power,
// the updater, each processor's phases, the bus lock, the link between the processors, the flash ops
// per memory by the processor that issued them and each processor's console; the cut's words name
// each processor's phase and the lock's holder; the transcript interleaves the link's messages.
// A single device's recording (no processor named) keeps its five lanes: see cut-timeline.test.ts.
import { describe, expect, it } from '@jest/globals';
import { esc } from '../../src/report/maps/svg.js';
import { cutMoments, fireWhere } from '../../src/report/timeline/recording.js';
import { cutTimelineSvg } from '../../src/report/timeline/svg.js';
import { CUT_MARK, cutTranscript } from '../../src/report/timeline/transcript.js';
import { productRecording } from './timeline-product-fixture.js';

const lanesOf = (svg: string) => [...svg.matchAll(/<g class="lane" data-lane="([\w-]+)" data-count="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);

describe("a product's cut on one time axis", () => {
  it('has a lane for power, the updater, each processor, the lock, the link, each memory and each console', () => {
    const svg = cutTimelineSvg(productRecording(), { heading: 'product: marker:122 -> updated' });
    expect(svg).toContain('class="cut-timeline product"');
    expect(lanesOf(svg)).toEqual([
      ['power', 3],
      ['updater', 1],
      ['phase-host', 9],
      ['phase-radio', 6],
      ['lock', 3],
      ['link', 4],
      ['flash-host-flash', 10],
      ['flash-radio-flash', 48],
      ['flash-shared-flash', 139],
      ['console-host', 46],
      ['console-radio', 4],
    ]);
    // The shared flash's ops in two paths, one per processor, each titled with who issued them.
    expect(svg).toMatch(/<path class="tick flash-op by-host" d="[^"]+" style="stroke:#1565c0"><title>92 flash ops by host in shared-flash<\/title>/);
    expect(svg).toMatch(/<path class="tick flash-op by-radio" d="[^"]+" style="stroke:#e65100"><title>47 flash ops by radio in shared-flash<\/title>/);
    // Who held the lock, in the holder's colour.
    expect(svg).toMatch(/<g class="band lock lock-host"><rect [^>]+ fill="#1565c0"><title>lock held by host: 20\.000 ms to 480\.000 ms<\/title>/);
    expect(svg).toMatch(/<g class="band lock lock-radio"><rect [^>]+ fill="#e65100"><title>lock held by radio: 520\.000 ms to 700\.000 ms<\/title>/);
  });

  it("marks where both processors were on the shared bus at once, and draws a download's thousand lock takes as one band in its holder's colour", () => {
    const rec = productRecording();
    const svg = cutTimelineSvg(rec);
    expect(svg).toContain('<g class="bus-conflict" data-count="1"><title>bus conflict (host): busy: program at 0x220000 with radio (600.000 ms)</title>');
    const takes = Array.from({ length: 1000 }, (_, i) => [
      { t: 1020 + i * 0.4, source: 'twin' as const, kind: 'lock', detail: 'host', data: { holder: 'host', mcu: 'host' } },
      { t: 1020 + i * 0.4 + 0.3, source: 'twin' as const, kind: 'lock', detail: 'released', data: { holder: null } },
    ]).flat();
    const busy = cutTimelineSvg({ ...rec, events: [...rec.events.filter((e) => e.kind !== 'lock' || e.t > 1500), ...takes].sort((a, b) => a.t - b.t) });
    expect(busy).toMatch(/<g class="band lock lock-host many"><rect [^>]+ fill="#1565c0"><title>lock taken 1000 times by host: 20\.000 ms to 419\.\d+ ms<\/title>/);
    expect(busy.length).toBeLessThan(svg.length + 2_000);
  });

  it("draws each link message as an arrow its way, with the message's words in its title", () => {
    const svg = cutTimelineSvg(productRecording());
    const arrows = [...svg.matchAll(/<g class="link-msg" data-from="(\w+)" data-to="(\w+)" data-count="1"><title>([^<]+)<\/title>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(arrows).toEqual([
      ['host', 'radio', 'host → radio: dfu ready 24576 9f86d081884c7d65 (505.000 ms)'],
      ['radio', 'host', 'radio → host: dfu ok (506.000 ms)'],
      ['radio', 'host', 'radio → host: version 2.0.0 (1320.000 ms)'],
      ['host', 'radio', 'host → radio: confirm (1321.000 ms)'],
    ]);
  });

  it("marks each processor's banners on its console lane, with the line in the title", () => {
    const svg = cutTimelineSvg(productRecording());
    const banners = [...svg.matchAll(/<g class="banner" data-member="(\w+)"><title>([^<]+)<\/title>/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(banners).toEqual([
      'host: host| fota: accepted 9f86d081 (1.000 ms)',
      'host: host| I: Starting bootloader (905.000 ms)',
      'host: host| hilrig-app 1.0.0 running from slot primary @0xc000 (960.000 ms)',
      'host: host| I: Starting bootloader (1400.000 ms)',
      'host: host| hilrig-app 2.0.0 running from slot primary @0xc000 (1700.000 ms)',
      'host: host| fota: complete host=2.0.0 radio=2.0.0 (1790.000 ms)',
      'radio: radio| I: Starting bootloader (510.000 ms)',
      'radio: radio| I: Starting bootloader (905.000 ms)',
      'radio: radio| hilrig-app 2.0.0 running from slot primary @0xc000 (1310.000 ms)',
    ]);
  });

  it("says where the cut landed: the op in flight and whose it was, each processor's phase, the lock's holder", () => {
    const rec = productRecording();
    const fire = cutMoments(rec).fire!;
    expect(fire).toMatchObject({ op: 122, devicePhases: { host: 'wait radio', radio: 'swap idx 1 state 0' }, lockHolder: 'radio' });
    expect(fire.devicePhase).toBeUndefined();
    expect(fireWhere(fire)).toBe(
      "flash op 122, radio's erase at 0x100c000 (4096 B) 40% done -> torn; updater phase download, host phase wait radio, radio phase swap idx 1 state 0; lock held by radio",
    );
    expect(cutTimelineSvg(rec)).toContain(`<g class="cut" data-ms="700.000" data-op="122"><title>${esc(`power cut at 700.000 ms (${fireWhere(fire)})`)}</title>`);
  });

  it("interleaves the link's messages with both consoles in the transcript", () => {
    const text = cutTranscript(productRecording());
    const at = (s: string) => text.indexOf(s);
    expect(text).toContain('[    0.5050] [link host → radio] dfu ready 24576 9f86d081884c7d65\n[    0.5060] [link radio → host] dfu ok\n[    0.5100] radio| I: Starting bootloader');
    expect(at('[link radio → host] version 2.0.0')).toBeGreaterThan(at('radio| hilrig-app 2.0.0'));
    expect(at(CUT_MARK)).toBeGreaterThan(at('radio| I: Swap type: test'));
    expect(text).toMatch(/── power cut at 700\.000 ms \(.*radio phase swap idx 1 state 0; lock held by radio\) ──/);
  });

  it('draws a product recording without op owners (a marker that names no processor) with one flash lane', () => {
    const { flashOpInfo: _, ...rec } = productRecording();
    const lanes = lanesOf(cutTimelineSvg(rec));
    expect(lanes.filter(([k]) => String(k).startsWith('flash'))).toEqual([['flash-flash', 197]]);
  });

  it('stays small for a cut of 20,000 ops and lines on both processors', () => {
    const rec = productRecording();
    const many = Array.from({ length: 20_000 }, (_, i) => 1000 + i * 0.09);
    const svg = cutTimelineSvg({
      ...rec,
      flashOps: many,
      flashOpInfo: many.map((_, i) => ({ mcu: i % 2 ? 'radio' : 'host', memory: i % 3 ? 'shared-flash' : `${i % 2 ? 'radio' : 'host'}-flash` })),
      lines: [...rec.lines, ...many.map((t, i) => ({ t, text: `${i % 2 ? 'radio' : 'host'}| line ${i}` }))].sort((a, b) => a.t - b.t),
    });
    expect(svg.length).toBeLessThan(60_000);
  });
});
