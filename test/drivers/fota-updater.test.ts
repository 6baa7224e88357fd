/**
 * The fota updater over a real pty (socat) with serialport on both ends: the rig's end is the
 * updater on a Console, the other end a scripted fake host MCU that speaks the protocol (its
 * requests are what the test chooses: in order, out of order, repeated, wrong). What the twin
 * product does with it end to end is test/rig/product-twin.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ScaledClock } from '../../src/core/clock.js';
import { DeviceError, RigError } from '../../src/core/errors.js';
import { Timeline } from '../../src/core/timeline.js';
import type { UpdateProgress } from '../../src/drivers/capabilities.js';
import { Console } from '../../src/drivers/console/console.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import { fotaUpdater, type FotaUpdater } from '../../src/drivers/updater/fota/index.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const clock = new ScaledClock(1);
const HOST = Buffer.from(Array.from({ length: 1234 }, (_, i) => (i * 7) & 0xff));
const RADIO = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 13 + 1) & 0xff));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
  await stopAllSocat();
});

async function productTar(): Promise<Buffer> {
  const dir = await tempDir('fota-');
  writeFileSync(join(dir, 'host.signed.bin'), HOST);
  writeFileSync(join(dir, 'radio.signed.bin'), RADIO);
  execFileSync('tar', ['cf', join(dir, 'p.tar'), '-C', dir, 'host.signed.bin', 'radio.signed.bin']);
  return readFileSync(join(dir, 'p.tar'));
}

/** The rig's console with a fota updater on one pty end, the fake device's console on the other. */
async function wire(acceptMs = 20_000): Promise<{ fota: FotaUpdater; rig: Console; device: Console; timeline: Timeline }> {
  const pair = await startSocatPair();
  const rigLink = await openSerialLink(pair.a, { baud: 115200, clock });
  const deviceLink = await openSerialLink(pair.b, { baud: 115200, clock });
  const timeline = new Timeline(clock);
  const rig = new Console({ link: rigLink, clock, timeline });
  const device = new Console({ link: deviceLink, clock });
  const fota = fotaUpdater({ console: rig, clock, timeline, acceptMs, quietMs: 20_000 });
  closers.push(
    () => rigLink.close(),
    () => deviceLink.close(),
    () => fota.close(),
  );
  return { fota, rig, device, timeline };
}

const say = (device: Console, text: string) => device.write(`${text}\n`);

/** The fake device asks for one chunk and returns what the rig sent for it. */
async function get(device: Console, pkg: string, member: string, offset: number, length: number): Promise<Buffer> {
  const from = device.lines.length;
  await say(device, `fota get ${pkg} ${member} ${offset} ${length}`);
  const { match } = await device.expect(new RegExp(`^fota data ${pkg} ${member} ${offset} (\\S+)$`), { timeoutMs: 20_000, fromLine: from });
  return Buffer.from(match[1]!, 'base64');
}

describe('fota updater (real pty, scripted device)', () => {
  it('offers the package, serves every chunk asked for (in any order, repeated), reports bytes served, resolves at complete', async () => {
    const { fota, device, timeline } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    const progress: UpdateProgress[] = [];
    const update = fota.update(tar, { onProgress: (p) => progress.push(p) });
    const { line } = await device.expect(/^fota begin /, { timeoutMs: 20_000, fromLine: 0 });
    expect(line.text).toBe(`fota begin ${pkg} host:${HOST.length}:${sha(HOST)} radio:${RADIO.length}:${sha(RADIO)}`);
    await say(device, `fota: accepted ${pkg}`);
    // The radio first, then the host backwards, with one chunk asked twice (a resume does that).
    const radio = Buffer.concat([await get(device, pkg, 'radio', 0, 500), await get(device, pkg, 'radio', 500, 500)]);
    await get(device, pkg, 'radio', 0, 500);
    const host = Buffer.alloc(HOST.length);
    for (const offset of [1000, 500, 0]) (await get(device, pkg, 'host', offset, 500)).copy(host, offset);
    expect(radio.equals(RADIO)).toBe(true);
    expect(host.equals(HOST)).toBe(true);
    await say(device, 'fota: complete host=2.0.0 radio=2.0.0');
    const result = await update;
    expect(result).toMatchObject({ ok: true, committed: true, bytes: HOST.length + RADIO.length });
    const downloads = progress.filter((p) => p.phase === 'download').map((p) => p.acked);
    expect(downloads).toEqual([...downloads].sort((a, b) => a - b));
    expect(progress.map((p) => p.phase)).toEqual(['offer', 'accepted', ...downloads.map(() => 'download'), 'complete']);
    expect(downloads.at(-1)).toBe(HOST.length + RADIO.length);
    expect(timeline.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['fota-begin', 'fota-accepted', 'fota-data', 'fota-complete']));
  });

  it('notes garbage, unknown packages, unknown members and offsets out of range in the transcript, and keeps serving', async () => {
    const { fota, rig, device } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    const update = fota.update(tar, {});
    await device.expect(/^fota begin /, { timeoutMs: 20_000, fromLine: 0 });
    await say(device, `fota: accepted ${pkg}`);
    for (const bad of ['fota get zzz host 0 500', `fota get deadbeef host 0 500`, `fota get ${pkg} modem 0 500`, `fota get ${pkg} host 5000 500`, `fota get ${pkg} host 0 4096`, 'fota: sideways']) {
      await say(device, bad);
    }
    await waitFor('six notes', () => rig.notes.length >= 6);
    expect(rig.notes.map((n) => n.text)).toEqual([
      'fota: unreadable fota line "fota get zzz host 0 500"; not answered',
      `fota: fota get for package deadbeef, which this rig never offered (offered: ${pkg}); not answered`,
      `fota: fota get for member modem, which package ${pkg} does not have (it has host, radio); not answered`,
      `fota: fota get at offset 5000 of host, which is 1234 bytes; not answered`,
      'fota: fota get of 4096 bytes: a chunk is 1 to 512 bytes; not answered',
      'fota: unreadable fota line "fota: sideways"; not answered',
    ]);
    // The last chunk of a member is cut at its end; the update still completes.
    expect((await get(device, pkg, 'radio', 600, 500)).equals(RADIO.subarray(600))).toBe(true);
    await say(device, 'fota: complete host=2.0.0 radio=2.0.0');
    await expect(update).resolves.toMatchObject({ committed: true });
  });

  it.each([
    ['fota: failed radio-not-ready host=1.0.0 radio=1.0.0', DeviceError, 'fota: the device gave up the update: radio-not-ready (host=1.0.0 radio=1.0.0)'],
    ['fota: error bad-sha', DeviceError, 'the device refused package PKG: bad-sha'],
    ['fota: busy', DeviceError, 'fota: the device is busy with another update and refused package PKG'],
  ])('rejects when the device says %s', async (line, type, message) => {
    const { fota, device } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    const update = fota.update(tar, {});
    await device.expect(/^fota begin /, { timeoutMs: 20_000, fromLine: 0 });
    if (!line.includes('busy')) await say(device, `fota: accepted ${pkg}`);
    await say(device, line);
    await expect(update).rejects.toThrow(type);
    await expect(update).rejects.toThrow(message.replace('PKG', pkg));
  });

  it('a device that goes idle after accepting lost the update: rejected, saying so', async () => {
    const { fota, device } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    const update = fota.update(tar, {});
    await device.expect(/^fota begin /, { timeoutMs: 20_000, fromLine: 0 });
    // An idle line before the answer is the boot before the offer: not the end of this update.
    await say(device, 'fota: idle host=1.0.0 radio=1.0.0');
    await say(device, `fota: accepted ${pkg}`);
    await say(device, 'fota: idle host=1.0.0 radio=1.0.0');
    await expect(update).rejects.toThrow(`fota: the device went idle without finishing package ${pkg} (host=1.0.0 radio=1.0.0)`);
  });

  it('stops at an abort with its reason, and the chunk server still answers a download resumed after it', async () => {
    const { fota, device } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    const abort = new AbortController();
    const update = fota.update(tar, { signal: abort.signal });
    await device.expect(/^fota begin /, { timeoutMs: 20_000, fromLine: 0 });
    await say(device, `fota: accepted ${pkg}`);
    await get(device, pkg, 'host', 0, 500);
    abort.abort(new Error('cut'));
    await expect(update).rejects.toThrow('cut');
    expect((await get(device, pkg, 'host', 500, 500)).equals(HOST.subarray(500, 1000))).toBe(true);
  });

  it('prepare() offers a package with no update running: a download resumed in a sweep worker is served', async () => {
    const { fota, device } = await wire();
    const tar = await productTar();
    const pkg = sha(tar).slice(0, 8);
    fota.prepare!(tar);
    expect((await get(device, pkg, 'radio', 500, 200)).equals(RADIO.subarray(500, 700))).toBe(true);
    expect(() => fota.prepare!(Buffer.from('junk'))).toThrow(RigError);
  });

  it('refuses an image that is not a product tar, and a device that never answers the offer', async () => {
    const { fota } = await wire(300);
    await expect(fota.update(Buffer.from('not a tar'), {})).rejects.toThrow(RigError);
    await expect(fota.update(Buffer.from('not a tar'), {})).rejects.toThrow('fota: the image is not a product update (a tar of one image per member): not a tar file: 9 bytes');
    await expect(fota.update(await productTar(), {})).rejects.toThrow(/^fota: no answer to fota begin within 300 ms \(package [0-9a-f]{8}\); last line/);
  });
});
