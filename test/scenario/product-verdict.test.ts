// A product's observation and verdict (issue 13 item 3), on hand-made merged-console transcripts
// (`<member>| <text>`, the lines a MergedConsole gives) and hand-made member FlashViews: each member
// judged as a device, then the versions as a set against the suite's compatible: sets.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { Listeners, type ByteLink } from '../../src/drivers/console/byte-link.js';
import { observeBoot, type BootObservation } from '../../src/scenario/observe-boot.js';
import { judge, judgeConsoleOnly } from '../../src/scenario/verdict.js';
import { acceptedLine, judgeSet } from '../../src/scenario/version-set.js';
import { updateImageFrom } from '../../src/scenario/update-image.js';
import { parseVersionPattern, type CompatibleSet, type VersionPattern } from '../../src/config/version-pattern.js';
import type { FlashView } from '../../src/schemes/scheme.js';
import type { SlotReport } from '../../src/images/slot-report.js';

const FIRMWARE = path.join(import.meta.dirname, '..', '..', 'firmware');
const image = (file: string) => updateImageFrom(readFileSync(path.join(FIRMWARE, file)), path.join(FIRMWARE, file), 'multi-mcu-dfu');
const from = image('product-v1.tar');
const to = image('product-v2.tar');

const pattern = (t: string): VersionPattern => parseVersionPattern(t) as VersionPattern;
const set = (index: number, host: string, radio: string): CompatibleSet => ({ index, members: { host: pattern(host), radio: pattern(radio) }, at: { host: 0, radio: 1 } });
/** The example: [[host 1.x, radio 1.x], [host 2.x, radio 2.x], [host 2.x, radio 1.x]]. */
const COMPATIBLE = [set(0, '1.x', '1.x'), set(1, '2.x', '2.x'), set(2, '2.x', '1.x')];

const banner = (v: string) => `hilrig-app ${v} running from slot primary @0xc200`;

let clock: VirtualClock | undefined;
afterEach(() => clock?.dispose());

/** A console of a product with these lines already received: a hand-made merged transcript. */
function mergedConsole(lines: string[]): { console: Console; clock: VirtualClock } {
  clock = new VirtualClock();
  const data = new Listeners<Buffer>();
  const link: ByteLink = { description: 'hand-made product transcript', write: async () => {}, onData: (l) => data.add(l), onClose: () => () => {}, close: async () => {} };
  const console = new Console({ link, clock });
  // What a MergedConsole carries: its members, in scheme order.
  Object.assign(console, { members: [{ name: 'host' }, { name: 'radio' }] });
  for (const line of lines) data.emit(Buffer.from(`${line}\n`, 'latin1'));
  return { console, clock };
}

async function observe(lines: string[]): Promise<BootObservation> {
  const { console, clock } = mergedConsole(lines);
  return observeBoot(console, clock, { fromLine: 0, timeoutMs: 60_000 });
}

const BOOT = (m: string) => `${m}| I: Starting bootloader`;

describe('observing a product', () => {
  it('ends at the settled line after both banners, the later boot of a member replacing its first', async () => {
    const obs = await observe([
      BOOT('host'),
      BOOT('radio'),
      `host| ${banner('1.0.0')}`,
      `radio| ${banner('1.0.0')}`,
      'host| fota: progress radio 12000/25180',
      BOOT('radio'),
      'radio| I: Swap type: test',
      `radio| ${banner('2.0.0')}`,
      BOOT('host'),
      `host| ${banner('2.0.0')}`,
      'host| fota: complete host=2.0.0 radio=2.0.0',
      'host| something after it',
    ]);
    expect(obs.state).toBe('running');
    expect(obs.settled).toBe('fota: complete host=2.0.0 radio=2.0.0');
    expect(obs.banner?.version).toBe('host=2.0.0,radio=2.0.0');
    expect(obs.members!.radio!.banner!.version).toBe('2.0.0');
    expect(obs.members!.radio!.boots).toBe(2);
  });

  it('a settled line before every member runs is not the end: the product waits for its members', async () => {
    const obs = await observe([BOOT('host'), `host| ${banner('1.0.0')}`, 'host| fota: idle host=1.0.0 radio=?', BOOT('radio'), 'radio| E: Unable to find bootable image']);
    expect(obs.settled).toBeUndefined();
    expect(obs.state).toBe('hung');
    expect(obs.members!.radio!.state).toBe('hung');
    expect(obs.banner).toBeUndefined();
  });

  it('a single device console (no members) is watched as before: the banner ends it', async () => {
    clock = new VirtualClock();
    const data = new Listeners<Buffer>();
    const console = new Console({ link: { description: 'x', write: async () => {}, onData: (l) => data.add(l), onClose: () => () => {}, close: async () => {} }, clock });
    data.emit(Buffer.from(`I: Starting bootloader\n${banner('2.0.0')}\n`, 'latin1'));
    const obs = await observeBoot(console, clock, { fromLine: 0, timeoutMs: 1000 });
    expect(obs).toMatchObject({ state: 'running', banner: { version: '2.0.0' } });
    expect(obs.members).toBeUndefined();
  });
});

/** A member's flash view: its primary holds the image named `<tar>:<member>` of this version. */
function memberView(member: string, version: string, opts: { matches?: string | null; valid?: boolean } = {}): FlashView {
  const tar = version.startsWith('2') ? 'product-v2.tar' : 'product-v1.tar';
  const matches = opts.matches === null ? undefined : (opts.matches ?? `${tar}:${member}`);
  const slot: SlotReport = { slot: `${member}:primary`, base: 0xc000, present: true, valid: opts.valid ?? true, version, sha256: '', ...(matches && { matches }), problems: [], scheme: {} };
  return { slots: [slot], bootsNext: `${member}:primary`, jumps: true, stuckAs: 'boot-loop', noBootAs: 'bricked', table: '' };
}

function productView(host: string, radio: string, extra: Partial<FlashView> & { pending?: string } = {}): FlashView {
  return {
    slots: [],
    bootsNext: 'host:primary+radio:primary',
    jumps: true,
    stuckAs: 'boot-loop',
    noBootAs: 'bricked',
    table: '',
    members: { host: memberView('host', host), radio: memberView('radio', radio) },
    ...extra,
  };
}

async function running(host: string, radio: string, settled = `fota: idle host=${host} radio=${radio}`): Promise<BootObservation> {
  return observe([BOOT('host'), BOOT('radio'), `host| ${banner(host)}`, `radio| ${banner(radio)}`, `host| ${settled}`]);
}

describe('the version-set verdict', () => {
  it('every member on its to version: updated; on its from: rolled-back', async () => {
    expect(judge(await running('2.0.0', '2.0.0', 'fota: complete host=2.0.0 radio=2.0.0'), productView('2.0.0', '2.0.0'), from, to, { committed: false, compatible: COMPATIBLE })).toMatchObject({
      outcome: 'updated',
      agree: true,
      product: { versions: { host: '2.0.0', radio: '2.0.0' }, supported: 'compatible[1] { host: 2.x, radio: 2.x }' },
    });
    expect(judge(await running('1.0.0', '1.0.0'), productView('1.0.0', '1.0.0'), from, to, { committed: false, compatible: COMPATIBLE }).outcome).toBe('rolled-back');
  });

  it('a supported mix is rolled-back and the reasons say which member runs what', async () => {
    const v = judge(await running('2.0.0', '1.0.0'), productView('2.0.0', '1.0.0'), from, to, { committed: false, compatible: COMPATIBLE });
    expect(v.outcome).toBe('rolled-back');
    expect(v.reasons).toContain('a supported mix (compatible[2] { host: 2.x, radio: 1.x }): host runs its new 2.0.0, radio its old 1.0.0');
  });

  it('each side valid but the set not supported: version-mismatch', async () => {
    const v = judge(await running('1.0.0', '2.0.0'), productView('1.0.0', '2.0.0'), from, to, { committed: false, compatible: COMPATIBLE });
    expect(v).toMatchObject({ outcome: 'version-mismatch', fromConsole: 'version-mismatch', fromFlash: 'version-mismatch', agree: true });
    expect(v.reasons).toContain('runs host=1.0.0, radio=2.0.0: not a supported set (compatible: { host: 1.x, radio: 1.x }, { host: 2.x, radio: 2.x }, { host: 2.x, radio: 1.x })');
  });

  it('without compatible: only the from set and the to set work, a mix is a mismatch', async () => {
    expect(judge(await running('2.0.0', '1.0.0'), productView('2.0.0', '1.0.0'), from, to, { committed: false }).outcome).toBe('version-mismatch');
  });

  it('a member that is bricked makes the product bricked, whatever the other runs', async () => {
    const obs = await observe([BOOT('host'), `host| ${banner('2.0.0')}`, BOOT('radio'), 'radio| E: Unable to find bootable image']);
    const view = productView('2.0.0', '2.0.0');
    view.members!.radio = { slots: [], bootsNext: null, jumps: false, stuckAs: 'boot-loop', noBootAs: 'bricked', table: '' };
    const v = judge(obs, view, from, to, { committed: false, compatible: COMPATIBLE });
    expect(v.outcome).toBe('bricked');
    expect(v.product!.members.radio!.outcome).toBe('bricked');
    expect(v.product!.members.host!.outcome).toBe('updated');
    expect(v.reasons).toContain('radio is bricked: the product is too');
  });

  it("a member's console and flash must agree as for a single device: a slot not bit-exact is a wrong image", async () => {
    const view = productView('2.0.0', '2.0.0');
    view.members!.radio = memberView('radio', '2.0.0', { matches: null });
    const v = judge(await running('2.0.0', '2.0.0'), view, from, to, { committed: false, compatible: COMPATIBLE });
    expect(v.outcome).toBe('wrong-image');
    expect(v.agree).toBe(false);
    expect(v.reasons.some((r) => r.startsWith('radio: slot primary runs 2.0.0 but does not hold product-v2.tar:radio bit-exactly'))).toBe(true);
  });

  it('an update the host accepted, then idle or failed at the old set: a lost update (wrong-image); not accepted: a rollback', async () => {
    const lost = judge(await running('1.0.0', '1.0.0'), productView('1.0.0', '1.0.0'), from, to, { committed: false, accepted: true, compatible: COMPATIBLE });
    expect(lost.outcome).toBe('wrong-image');
    expect(lost.reasons.at(-1)).toBe(
      'the host accepted product-v2.tar (it had printed fota: accepted before the cut), then settled idle at the old versions: an accepted update was lost (never resumed)',
    );
    const pending = judge(await running('1.0.0', '1.0.0'), productView('1.0.0', '1.0.0', { pending: 'pkg 1a2b3c4d accepted' }), from, to, { committed: false, compatible: COMPATIBLE });
    expect(pending.outcome).toBe('wrong-image');
    const gaveUp = judge(await running('1.0.0', '1.0.0', 'fota: failed radio-bad host=1.0.0 radio=1.0.0'), productView('1.0.0', '1.0.0'), from, to, { committed: false, accepted: true });
    expect(gaveUp.outcome).toBe('wrong-image');
    expect(gaveUp.reasons).toContain('the host gave up: "fota: failed radio-bad host=1.0.0 radio=1.0.0"');
    expect(gaveUp.reasons.at(-1)).toBe('the host accepted product-v2.tar (it had printed fota: accepted before the cut), then gave up at the old versions: an accepted update was lost');
    const early = judge(await running('1.0.0', '1.0.0'), productView('1.0.0', '1.0.0'), from, to, { committed: false, accepted: false });
    expect(early.outcome).toBe('rolled-back');
  });

  it('a supported mix the host gave up at, after accepting: lost too; members running but the host never settling: waiting', async () => {
    const mix = judge(await running('1.0.0', '2.0.0', 'fota: failed host-not-updated host=1.0.0 radio=2.0.0'), productView('1.0.0', '2.0.0'), from, to, {
      committed: false,
      accepted: true,
      compatible: [set(0, '1.x', '1.x'), set(1, '1.x', '2.x'), set(2, '2.x', '2.x')],
    });
    expect(mix.outcome).toBe('wrong-image');
    expect(mix.reasons.at(-1)).toMatch(/then gave up at a mix \(host=1.0.0, radio=2.0.0\): an accepted update was lost$/);
    const stuck = await observe([BOOT('host'), BOOT('radio'), `host| ${banner('1.0.0')}`, `radio| ${banner('2.0.0')}`]);
    const v = judge(stuck, productView('1.0.0', '2.0.0'), from, to, { committed: false, compatible: [set(0, '1.x', '*')] });
    expect(v.outcome).toBe('waiting');
    expect(v.reasons.at(-1)).toMatch(/no settled line .* it is stuck mid-update$/);
  });

  it('the host reporting another version than the member prints is said', async () => {
    const v = judge(await running('2.0.0', '2.0.0', 'fota: complete host=2.0.0 radio=1.0.0'), productView('2.0.0', '2.0.0'), from, to, { committed: false });
    expect(v.reasons).toContain("the host reports radio=1.0.0, radio's own banner says 2.0.0");
  });

  it('console only (no probe): judged per member from the console, said once', async () => {
    const v = judgeConsoleOnly(await running('1.0.0', '2.0.0'), from, to, { committed: false, compatible: COMPATIBLE });
    expect(v).toMatchObject({ outcome: 'version-mismatch', fromFlash: 'not-inspected' });
    expect(v.reasons.filter((r) => r.includes('no probe'))).toHaveLength(1);
  });

  it('judgeSet: the worst member failure wins', () => {
    expect(judgeSet({ host: 'waiting', radio: 'boot-loop' }, from, to, undefined).outcome).toBe('boot-loop');
  });

  it('acceptedLine reads the merged and the host console alike', () => {
    expect(acceptedLine('host| fota: accepted 1a2b3c4d')).toBe(true);
    expect(acceptedLine('fota: accepted 1a2b3c4d')).toBe(true);
    expect(acceptedLine('host| fota: busy')).toBe(false);
  });
});
