/**
 * Issue 8 defect 15 (part): a device that freezes mid-upload gave exit 1 or exit 3 for the same
 * fault. Its silence was a device failure when the host noticed it between writes, but a rig
 * error when a write of the host's was stuck at that moment (a frozen device behind a pty, or a
 * board holding its flow control, stops taking bytes too): whichever timer fired first decided.
 * Now the phase's own deadline decides, with or without a stuck write. The twin runs in-process
 * on a virtual clock; the wrapper below freezes the wire the way a stopped device does.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { DeviceError, ExitCode } from '../../src/core/errors.js';
import { Listeners, type ByteLink } from '../../src/drivers/console/byte-link.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuDeviceError, SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { SfuCode } from '../../src/protocols/sfu/index.js';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';
import { Rp2040SfuTwin } from '../../src/twin/sfu-ab/device.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';
import { BAUD, samples } from '../helpers/sfu-twin.js';

type Writes = 'vanish' | 'hang';

/**
 * Passes bytes both ways until `freezeAt(code, index)` says so for a host frame; from then on
 * nothing comes back, and host writes either vanish (a UART without flow control) or never
 * complete (a pty whose far end stopped reading, a held CTS line).
 */
function freezingLink(inner: ByteLink, writes: Writes, freezeAt: (code: number, index: number) => boolean): ByteLink & { frozen: boolean } {
  const data = new Listeners<Buffer>();
  let index = 0;
  const link = {
    frozen: false,
    description: `${inner.description} (freezes)`,
    write(bytes: Uint8Array): Promise<void> {
      if (!link.frozen && bytes.length >= 5 && freezeAt(bytes[4]!, index++)) link.frozen = true;
      if (!link.frozen) return inner.write(bytes);
      return writes === 'vanish' ? Promise.resolve() : new Promise<void>(() => {});
    },
    onData: (l: (chunk: Buffer) => void) => data.add(l),
    onClose: (l: (reason: Error | undefined) => void) => inner.onClose(l),
    close: () => inner.close(),
  };
  inner.onData((chunk) => {
    if (!link.frozen) data.emit(chunk);
  });
  return link;
}

const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));

async function uploadAndFreeze(writes: Writes, freezeAt: (code: number, index: number) => boolean): Promise<unknown> {
  const clock = new VirtualClock();
  const twin = new Rp2040SfuTwin({ clock, variant: 'correct', powerLoss: 'torn', seed: 1 });
  twin.massErase();
  twin.programMemory(SFU_SLOTS.A.base, samples('1.0.0', 0x8000).a);
  const link = freezingLink(connectInProcess(twin, { baud: BAUD }), writes, freezeAt);
  const console = new Console({ link, clock, sfuFrames: true });
  disposers.push(() => {
    console.close();
    clock.dispose();
  });
  twin.powerOn();
  const uploader = new SfuUploader({ channel: console, clock });
  const error = await uploader.upload(samples('2.0.0', 0x40000).b).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(link.frozen).toBe(true);
  return error;
}

let writes = 0;
const phases: [string, (code: number, index: number) => boolean, RegExp][] = [
  ['during the erase (first pre-written WRITE)', (code) => code === SfuCode.WRITE, /ERASE_PART|ERASE reply/],
  ['mid-write (100th of 128 WRITEs)', (code) => code === SfuCode.WRITE && ++writes === 100, /stopped answering/],
  ['at START', (code) => code === SfuCode.START, /no START reply/],
];

describe('a device that freezes mid-upload is a device failure (exit 1), always', () => {
  for (const [when, freezeAt, message] of phases) {
    it.each(['vanish', 'hang'] as const)(`${when}, host writes %s`, async (mode) => {
      writes = 0;
      const error = await uploadAndFreeze(mode, freezeAt);
      expect(error).toBeInstanceOf(SfuDeviceError);
      expect(error).toBeInstanceOf(DeviceError);
      expect((error as SfuDeviceError).exitCode).toBe(ExitCode.testFailures);
      expect((error as Error).message).toMatch(message);
    });
  }
});
