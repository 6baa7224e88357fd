/**
 * Issue 8 defect 11: `hil twin serve --reset-on-idle` must give a host a bootloader window even
 * when the host starts while the app runs and polls INFO at it every 250 ms (the app ignores
 * INFO). Before the fix every such start failed ("no INFO reply"), so the README example failed
 * about 1 time in 3 (the app runs about a third of each cycle). Here every one of ten uploads is
 * started while the app runs, at a different moment of its run: ten in ten must sign.
 *
 * Real parts: the RP2040-SFU twin served on a socat pty (startTwinServer, as `hil twin serve`),
 * serialport and the SFU uploader on the host end.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ScaledClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import type { ByteLink } from '../../src/drivers/console/byte-link.js';
import { DEFAULT_IDLE_MS, startTwinServer, type TwinServer } from '../../src/drivers/console/twin-server.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';
import { Rp2040SfuTwin } from '../../src/twin/sfu-ab/device.js';
import { samples } from '../helpers/sfu-twin.js';

const BAUD = 921_600;
const SIZE = 0x4000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function served(opts: { resetOnIdle: boolean }): Promise<{ twin: Rp2040SfuTwin; server: TwinServer; con: Console; clock: ScaledClock }> {
  const clock = new ScaledClock(1);
  const twin = new Rp2040SfuTwin({ clock, variant: 'correct', powerLoss: 'skip', seed: 1 });
  twin.massErase();
  twin.programMemory(SFU_SLOTS.A.base, samples('1.0.0', SIZE).a);
  const server = await startTwinServer(twin, { paceBaud: BAUD, resetOnIdle: opts.resetOnIdle });
  cleanups.push(() => server.close());
  const link: ByteLink = await openSerialLink(server.hostPath, { baud: BAUD });
  cleanups.push(() => link.close());
  const con = new Console({ link, clock, sfuFrames: true });
  cleanups.push(() => con.close());
  return { twin, server, con, clock };
}

describe('twin serve --reset-on-idle (defect 11)', () => {
  it('ten uploads, each started while the app runs and polls INFO at it, all sign', async () => {
    const { twin, con, clock } = await served({ resetOnIdle: true });
    const resets: number[] = [];
    twin.onEvent((e) => e.kind === 'boot' && e.image === 'bootloader' && resets.push(clock.now()));
    let runs = 0;
    for (let round = 0; round < 10; round++) {
      // The app of the previous round (the factory image at first) is up: its banner is out.
      await con.expect(/^hilrig-app \S+ running from slot/, { timeoutMs: 15_000, fromLine: 0 });
      // Start somewhere in the app's first idle second (the old rule failed at any of these).
      const delay = (round * 97) % (DEFAULT_IDLE_MS - 150);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const appBefore = resets.length;
      // The slot the next upload goes to alternates: B after A, A after B.
      const target = round % 2 === 0 ? 'b' : 'a';
      const image = samples(`2.0.${round}`, SIZE)[target];
      const from = con.lines.length;
      const r = await new SfuUploader({ channel: con, clock }).upload(image);
      expect(r).toMatchObject({ ok: true, signed: true, slotBase: SFU_SLOTS[target === 'a' ? 'A' : 'B'].base });
      expect(resets.length).toBeGreaterThan(appBefore); // the twin went back to its bootloader for this host
      // The new app runs: that is where the next round starts.
      await con.expect(new RegExp(`^hilrig-app 2\\.0\\.${round} running from slot ${target.toUpperCase()}`), { timeoutMs: 5000, fromLine: from });
      runs++;
    }
    expect(runs).toBe(10);
  }, 120_000);

  it('without --reset-on-idle the app keeps running however the host polls (the window is after a power-on only)', async () => {
    const { twin, con, clock } = await served({ resetOnIdle: false });
    await con.expect(/^hilrig-app 1\.0\.0 running from slot A/, { timeoutMs: 15_000, fromLine: 0 });
    const boots: string[] = [];
    twin.onEvent((e) => e.kind === 'boot' && boots.push(e.image));
    const err = await new SfuUploader({ channel: con, clock }).upload(samples('2.0.0', SIZE).b, { infoTimeoutMs: DEFAULT_IDLE_MS * 2 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no INFO reply/);
    expect(boots).toEqual([]);
  }, 60_000);
});
