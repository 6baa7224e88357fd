// A two-processor product's cut recording made by hand, as the rig records it (the events' data.mcu,
// lock and link events, the op owners and memories, the merged console's `<member>| ` lines): the host
// downloads the radio's image into the shared flash under the lock, tells the radio over the link, the
// radio reboots and swaps (its internal flash and the shared one, under the lock), and the cut lands
// in the radio's swap while the radio holds the lock. After power returns the radio finishes, reports
// its version, and the host swaps its own image.
import type { TimelineEvent } from '../../src/core/timeline.js';
import type { CutRecording, FlashOpInfo, RecordedLine } from '../../src/report/timeline/recording.js';

const ev = (t: number, source: TimelineEvent['source'], kind: string, detail?: string, data?: Record<string, unknown>): TimelineEvent => ({
  t,
  source,
  kind,
  ...(detail !== undefined && { detail }),
  ...(data && { data }),
});
const twin = (t: number, mcu: string, kind: string, detail?: string) => ev(t, 'twin', kind, detail, { mcu });
const lock = (t: number, holder: string | null) => ev(t, 'twin', 'lock', holder ?? 'released', { holder, ...(holder && { mcu: holder }) });
const link = (t: number, from: string, to: string, text: string) => ev(t, 'twin', 'link', text, { from, to });

export const CUT_AT = 1700;

/** Flash ops every `step` ms from `from` to `to` (exclusive) by `mcu` in `memory`. */
function ops(from: number, to: number, step: number, mcu: string, memory: string): { t: number; info: FlashOpInfo }[] {
  const out: { t: number; info: FlashOpInfo }[] = [];
  for (let t = from; t < to; t += step) out.push({ t, info: { mcu, memory } });
  return out;
}

export function productRecording(): CutRecording {
  const events = [
    ev(0, 'power', 'on'),
    twin(5, 'host', 'boot:bootloader'),
    twin(5, 'radio', 'boot:bootloader'),
    twin(60, 'host', 'boot:app', 'primary'),
    twin(60, 'radio', 'boot:app', 'primary'),
    ev(1000, 'scenario', 'update-start', 'product-v2.tar (49664 bytes)'),
    ev(1000, 'updater', 'phase:download'),
    twin(1010, 'host', 'phase:download radio'),
    lock(1020, 'host'),
    lock(1480, null),
    twin(1500, 'host', 'phase:wait radio'),
    link(1505, 'host', 'radio', 'dfu ready 24576 9f86d081884c7d65'),
    link(1506, 'radio', 'host', 'dfu ok'),
    twin(1510, 'radio', 'boot:bootloader'),
    twin(1520, 'radio', 'phase:swap idx 1 state 0'),
    lock(1520, 'radio'),
    ev(1600, 'twin', 'bus-conflict', 'busy: program at 0x220000 with radio', { mcu: 'host' }),
    ev(CUT_AT, 'cut', 'fire', '700.000 ms after update start'),
    ev(CUT_AT, 'power', 'off'),
    ev(CUT_AT, 'twin', 'flash-interrupted', 'erase at 0x100c000 (4096 B) 40% done -> torn', { mcu: 'radio' }),
    ev(1900, 'power', 'on'),
    twin(1905, 'host', 'boot:bootloader'),
    twin(1905, 'radio', 'boot:bootloader'),
    twin(1910, 'radio', 'phase:swap idx 1 state 1'),
    lock(1910, 'radio'),
    lock(2300, null),
    twin(2310, 'radio', 'boot:app', 'primary'),
    twin(1960, 'host', 'boot:app', 'primary'),
    twin(1965, 'host', 'phase:wait radio'),
    link(2320, 'radio', 'host', 'version 2.0.0'),
    link(2321, 'host', 'radio', 'confirm'),
    twin(2330, 'host', 'phase:swap idx 1 state 0'),
    twin(2400, 'host', 'boot:bootloader'),
    twin(2700, 'host', 'boot:app', 'primary'),
    ev(2800, 'scenario', 'step:judged'),
  ].sort((a, b) => a.t - b.t);
  const lines: RecordedLine[] = [
    { t: 5, text: 'host| I: Starting bootloader' },
    { t: 5, text: 'radio| I: Starting bootloader' },
    { t: 60, text: 'host| hilrig-app 1.0.0 running from slot primary @0xc000' },
    { t: 60, text: 'radio| hilrig-app 1.0.0 running from slot primary @0xc000' },
    { t: 80, text: 'host| fota: idle host=1.0.0 radio=1.0.0' },
    { t: 1001, text: 'host| fota: accepted 9f86d081' },
    ...Array.from({ length: 40 }, (_, i) => ({ t: 1020 + i * 11, text: `host| fota: progress radio ${(i + 1) * 500}/24576` })),
    { t: 1510, text: 'radio| I: Starting bootloader' },
    { t: 1520, text: 'radio| I: Swap type: test' },
    { t: 1905, text: 'host| I: Starting bootloader' },
    { t: 1905, text: 'radio| I: Starting bootloader' },
    { t: 1960, text: 'host| hilrig-app 1.0.0 running from slot primary @0xc000' },
    { t: 2310, text: 'radio| hilrig-app 2.0.0 running from slot primary @0xc000' },
    { t: 2400, text: 'host| I: Starting bootloader' },
    { t: 2700, text: 'host| hilrig-app 2.0.0 running from slot primary @0xc000' },
    { t: 2790, text: 'host| fota: complete host=2.0.0 radio=2.0.0' },
    { t: 2795, text: 'serial gap', host: true },
  ];
  const all = [
    ...ops(1020, 1480, 5, 'host', 'shared-flash'),
    ...ops(1520, CUT_AT, 12, 'radio', 'radio-flash'),
    ...ops(1526, CUT_AT, 12, 'radio', 'shared-flash'),
    ...ops(1910, 2300, 12, 'radio', 'radio-flash'),
    ...ops(1916, 2300, 12, 'radio', 'shared-flash'),
    ...ops(2330, 2400, 7, 'host', 'host-flash'),
  ].sort((a, b) => a.t - b.t);
  return { events, lines, flashOps: all.map((o) => o.t), flashOpInfo: all.map((o) => o.info), members: ['host', 'radio'] };
}
