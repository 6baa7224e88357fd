/**
 * A twin product rig opened as a test opens it: each member's console on its own link (in process,
 * and a real pty pair per member through socat), the merged console, the member probes at their own
 * addresses, and an update through the fota updater to `fota: complete` on PAPP's twin product.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadRig, parseRig } from '../../src/config/index.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { stopAllSocat } from '../helpers/socat.js';

const ROOT = path.join(import.meta.dirname, '../..');
const RIG = path.join(ROOT, 'rigs/twin-nrf9160-nrf52840-product.yaml');
const V1 = path.join(ROOT, 'firmware/product-v1.tar');
const V2 = path.join(ROOT, 'firmware/product-v2.tar');

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await stopAllSocat();
});

/** The factory baseline (v1 in both primaries), then power on until the host says it is idle. */
async function booted(r: Rig): Promise<void> {
  const host = await schemeAdapter(r.config.scheme);
  await host.baseline(r.probe!, { from: await loadUpdateImage(V1, r.config.scheme) }, 'factory');
  const from = r.console.lines.length;
  await r.power.on();
  await r.console.expect(/^host\| fota: idle host=1\.0\.0 radio=1\.0\.0$/, { timeoutMs: 60_000, fromLine: from, what: 'the host idle at 1.0.0 + 1.0.0' });
}

describe('twin product rig (in process)', () => {
  it('merges the members\' consoles as "<member>| text" and keeps each one unprefixed in rig.mcus', async () => {
    rig = await openRig(await loadRig(RIG));
    expect(Object.keys(rig.mcus ?? {})).toEqual(['host', 'radio']);
    expect(rig.mcus!.host!.target).toBe('nrf9160');
    await booted(rig);
    const merged = rig.console.lines.map((l) => l.text);
    expect(merged).toContain('radio| I: Starting bootloader');
    expect(merged.find((t) => t.startsWith('radio| hilrig-app 1.0.0 running from slot primary'))).toBeDefined();
    expect(merged.every((t) => /^(host|radio)\| /.test(t))).toBe(true);
    expect(rig.mcus!.radio!.console.lines.map((l) => l.text)).toContain('I: Starting bootloader');
    expect(rig.mcus!.host!.console.lines.at(-1)?.text).toBe('fota: idle host=1.0.0 radio=1.0.0');
    // One time axis: every merged line was said by a member at the same instant.
    const radioBanner = rig.mcus!.radio!.console.lines.find((l) => l.text.startsWith('hilrig-app'))!;
    expect(rig.console.lines.find((l) => l.text === `radio| ${radioBanner.text}`)?.t).toBe(radioBanner.t);
    // Twin events say whose they are.
    expect(rig.timeline.events.some((e) => e.kind === 'boot:app' && (e.data as { mcu?: string } | undefined)?.mcu === 'radio')).toBe(true);
  });

  it("keeps the timeline empty while it is quiet (a sweep's recoveries), and fills it again after", async () => {
    rig = await openRig(await loadRig(RIG));
    const host = await schemeAdapter(rig.config.scheme);
    await host.baseline(rig.probe!, { from: await loadUpdateImage(V1, rig.config.scheme) }, 'factory');
    const twinEvents = () => rig!.timeline.events.filter((e) => e.source === 'twin').length;
    rig.timeline.quiet = true;
    let from = rig.console.lines.length;
    await rig.power.on();
    await rig.console.expect(/^host\| fota: idle /, { timeoutMs: 60_000, fromLine: from, what: 'the host idle' });
    // The device ran (both members booted, the radio logged under the bus lock), and none of it is in the timeline.
    expect(rig.console.lines.slice(from).some((l) => l.text.startsWith('radio| hilrig-app'))).toBe(true);
    expect(twinEvents()).toBe(0);
    expect(rig.timeline.events.filter((e) => e.source === 'console')).toEqual([]);
    await rig.power.off();
    rig.timeline.quiet = false;
    from = rig.console.lines.length;
    await rig.power.on();
    await rig.console.expect(/^host\| fota: idle /, { timeoutMs: 60_000, fromLine: from, what: 'the host idle again' });
    expect(rig.timeline.events.some((e) => e.source === 'twin' && e.kind === 'boot:app')).toBe(true);
    expect(rig.timeline.events.some((e) => e.source === 'twin' && e.kind === 'lock')).toBe(true);
    expect(rig.timeline.events.some((e) => e.source === 'console' && e.kind === 'line')).toBe(true);
  });

  it("gives each member's probe its own addresses: the radio's 0xC000 is the product's 0x10C000", async () => {
    rig = await openRig(await loadRig(RIG));
    await booted(rig);
    const own = await rig.mcus!.radio!.probe!.dump([{ name: 'hdr', base: 0xc000, size: 0x200 }]);
    const virtual = await rig.probe!.dump([{ name: 'hdr', base: 0x10c000, size: 0x200 }]);
    expect(own.hdr!.equals(virtual.hdr!)).toBe(true);
    expect(own.hdr!.readUInt32LE(0)).toBe(0x96f3b83d); // MCUboot's image magic
    await expect(rig.mcus!.radio!.probe!.dump([{ name: 'x', base: 0xff000, size: 0x2000 }])).rejects.toThrow('radio probe: 0xff000+8192 is outside its 1048576-byte flash');
  });

  it('updates both processors through the fota updater: progress by bytes served, resolved at fota: complete', async () => {
    rig = await openRig(await loadRig(RIG));
    await booted(rig);
    const phases: string[] = [];
    let served = 0;
    const tar = readFileSync(V2);
    const result = await rig.updater.update(tar, {
      onProgress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
        served = p.acked;
      },
    });
    expect(phases).toEqual(['offer', 'accepted', 'download', 'complete']);
    expect(result).toMatchObject({ ok: true, committed: true });
    expect(served).toBe(result.bytes);
    const text = rig.console.lines.map((l) => l.text);
    expect(text).toContain('host| fota: complete host=2.0.0 radio=2.0.0');
    // The radio runs its new image before the host swaps its own.
    const radio2 = text.findIndex((t) => t.startsWith('radio| hilrig-app 2.0.0'));
    const host2 = text.findIndex((t) => t.startsWith('host| hilrig-app 2.0.0'));
    expect(radio2).toBeGreaterThan(0);
    expect(host2).toBeGreaterThan(radio2);
  });
});

describe('twin product rig over real ptys (socat, serialport)', () => {
  it('opens one pty per member and runs the same update to fota: complete', async () => {
    const text = readFileSync(RIG, 'utf8').replace('  timeFactor: 0\n', '  timeFactor: 0.2\n  transport: pty\n');
    rig = await openRig(parseRig(text, RIG));
    expect(rig.mcus!.host!.console.link.description).toMatch(/^serial \/.+ @ 115200 baud$/);
    expect(rig.mcus!.host!.console.link.description).not.toBe(rig.mcus!.radio!.console.link.description);
    await booted(rig);
    const result = await rig.updater.update(readFileSync(V2), {});
    expect(result.committed).toBe(true);
    expect(rig.console.lines.map((l) => l.text)).toContain('host| fota: complete host=2.0.0 radio=2.0.0');
  });
});
