/**
 * An RP2040-SFU twin wired in-process on a virtual clock, factory-flashed with an image in slot A
 * (its first boot signs A), with a tapped link, a Console and an SFU uploader: the setup of every
 * uploader test. Images are built with the sample-app builder (deterministic).
 */
import { VirtualClock } from '../../src/core/clock.js';
import { Timeline } from '../../src/core/timeline.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { buildSamplePair } from '../../src/firmware/sample-app.js';
import { SFU_SLOTS, SFU_SLOT_SIZE } from '../../src/targets/rp2040.js';
import { Rp2040SfuTwin } from '../../src/twin/sfu-ab/device.js';
import type { SfuVariant } from '../../src/twin/sfu-ab/variants.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';
import { tapLink, type TapLink, type TapPlan } from './tap-link.js';

export const BAUD = 921600;

const pairs = new Map<string, { a: Buffer; b: Buffer }>();
/** Sample images of `version`, linked for slot A (`a`) and slot B (`b`); cached per size. */
export function samples(version: string, size: number): { a: Buffer; b: Buffer } {
  const key = `${version}/${size}`;
  let p = pairs.get(key);
  if (!p) pairs.set(key, (p = buildSamplePair(version, size)));
  return p;
}

export interface TwinRig {
  clock: VirtualClock;
  twin: Rp2040SfuTwin;
  link: TapLink;
  /** Clock times at which bytes reached the device's UART RX. */
  rxTimes: number[];
  console: Console;
  timeline: Timeline;
  uploader: SfuUploader;
  /** Slot image areas and metadata sectors, as one buffer each. */
  slots(): { a: Buffer; b: Buffer; metaA: Buffer; metaB: Buffer };
  /** Waits (virtual time) for a console line matching `re`, from line `from` on. */
  expectLine(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Power off, and on again 1 ms later. */
  powerCycle(): void;
  dispose(): void;
}

export interface TwinRigOptions {
  /** Factory image for slot A (default: sample 1.0.0 linked for A). */
  factory?: Buffer;
  variant?: SfuVariant;
  plan?: TapPlan;
  /**
   * 'bootloader' (default): the factory first start runs to the app (it signs A), then the board
   * is power-cycled, so the test starts in the bootloader window of an ordinary boot.
   * 'first-start': the test starts in the bootloader window of the very first boot.
   * 'off': the board stays unpowered.
   */
  start?: 'bootloader' | 'first-start' | 'off';
  size?: number;
}

export async function twinRig(opts: TwinRigOptions = {}): Promise<TwinRig> {
  const clock = new VirtualClock();
  const twin = new Rp2040SfuTwin({ clock, variant: opts.variant ?? 'correct', powerLoss: 'torn', seed: 1 });
  twin.massErase();
  twin.programMemory(SFU_SLOTS.A.base, opts.factory ?? samples('1.0.0', opts.size ?? 0x8000).a);
  const rxTimes: number[] = [];
  // The transport sees the twin through this view, so the test knows when bytes reach the device.
  const watched = Object.create(twin, {
    uartRx: {
      value: (bytes: Buffer) => {
        rxTimes.push(clock.now());
        twin.uartRx(bytes);
      },
    },
  }) as Rp2040SfuTwin;
  const link = tapLink(connectInProcess(watched, { baud: BAUD }), clock, opts.plan);
  const timeline = new Timeline(clock);
  const console = new Console({ link, clock, sfuFrames: true, timeline });
  const uploader = new SfuUploader({ channel: console, clock, timeline });
  const rig: TwinRig = {
    clock,
    twin,
    link,
    rxTimes,
    console,
    timeline,
    uploader,
    slots: () => ({
      a: twin.readMemory(SFU_SLOTS.A.base, SFU_SLOT_SIZE),
      b: twin.readMemory(SFU_SLOTS.B.base, SFU_SLOT_SIZE),
      metaA: twin.readMemory(SFU_SLOTS.A.metaBase, 0x1000),
      metaB: twin.readMemory(SFU_SLOTS.B.metaBase, 0x1000),
    }),
    async expectLine(re, timeoutMs = 5000, from) {
      const r = await console.expect(re, { timeoutMs, ...(from !== undefined && { fromLine: from }) });
      return r.line.text;
    },
    powerCycle() {
      twin.powerOff();
      // Power returns 1 ms later, not in the same tick: the twin's Mcu lets a program that was
      // waiting in waitRx() resume in the next power epoch when off and on happen back to back
      // (a twin bug in Mcu.waitRx, reported to the twin owner), and that zombie swallows the first RX bytes.
      clock.setTimer(1, () => twin.powerOn());
    },
    dispose() {
      console.close();
      clock.dispose();
    },
  };
  const start = opts.start ?? 'bootloader';
  if (start !== 'off') twin.powerOn();
  if (start === 'bootloader') {
    await rig.expectLine(/^hilrig-app /);
    rig.powerCycle();
  }
  return rig;
}
