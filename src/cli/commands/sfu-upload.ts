import { ScaledClock } from '../../core/clock.js';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { displayFile } from '../../config/errors.js';
import { Timeline } from '../../core/timeline.js';
import { Console } from '../../drivers/console/console.js';
import { openSerialLink } from '../../drivers/console/serial-link.js';
import { SfuUploader } from '../../drivers/updater/sfu/index.js';
import { SfuStreamProblem, checkSfuStream } from '../../protocols/sfu/index.js';
import { readImageFile } from '../../scenario/update-image.js';
import { numberOption, requireOption, type Command } from '../command.js';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export const sfuUploadCommand: Command = {
  path: ['sfu', 'upload'],
  summary: 'upload an image to an SFU bootloader on a serial port (RP2040-SFU, STM32F4 SFU)',
  usage: 'hil sfu upload --port PORT [--baud 921600] [--block 2048] [--info-timeout-ms 10000] [--require-info-block] IMAGE [--json]',
  details: `The TypeScript replacement for Mirn's sfu-cli-uploader. Polls INFO until the bootloader answers
(reset or power-cycle the board: the bootloader listens for about 2 s after reset), erases once,
streams pipelined WRITEs within the device's receive buffer, checks the START reply's CRC itself and
waits for the device to sign the slot. IMAGE is a RAW binary linked for the slot INFO announces, or a
BIN2Page stream (the device decodes it for whichever slot it writes).
Before the port is opened, IMAGE is checked: a BIN2Page stream must be the header and whole,
well-formed 256-byte blocks; an image (each decoding of a BIN2Page stream) that carries hilrig's
app info block must reach the length it states, and one without it must start with a plausible
vector table (SP in SRAM, a Thumb reset address in flash). A truncated, random or foreign file is
refused (exit 2): the device would sign whatever arrives with a matching CRC.
Exit 0 only when the device reported the slot signed.

  --port PORT            serial device, e.g. /dev/serial/by-id/usb-Silicon_Labs_CP2102N...
  --baud N               line rate (default 921600)
  --block N              data bytes per WRITE, a multiple of 256 up to 3840 (default 2048)
  --info-timeout-ms N    how long to poll INFO before giving up (default 10000)
  --require-info-block   refuse an image without hilrig's app info block (the sample firmware
                         and builds that carry it); without the flag, such an image must still
                         start with a plausible vector table`,
  examples: ['hil sfu upload --port /dev/ttyUSB0 firmware/app-v2.page2bin', 'hil sfu upload --port /dev/ttyUSB0 --json app.bin | jq .bytesPerSecond'],
  options: {
    port: { type: 'string' },
    baud: { type: 'string' },
    block: { type: 'string' },
    'info-timeout-ms': { type: 'string' },
    'require-info-block': { type: 'boolean' },
  },
  async run({ values, positionals, out, signal }) {
    const port = requireOption(values, 'port', this);
    if (positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE, got ${positionals.length}\nusage: ${this.usage}`);
    const baud = numberOption(values, 'baud', 921600, { integer: true, min: 1 });
    const writeBlock = numberOption(values, 'block', 2048, { integer: true, min: 256 });
    if (writeBlock % 256 || writeBlock > 3840) throw new UsageError(`--block: expected a multiple of 256 up to 3840, got ${writeBlock}`);
    const infoTimeoutMs = numberOption(values, 'info-timeout-ms', 10_000, { min: 1 });
    const file = positionals[0]!;
    // Only a regular file of bounded size (a FIFO or /dev/zero would hang), then its structure:
    // all before the port is opened, so nothing reaches the device.
    const image = await readImageFile(file);
    try {
      checkSfuStream(image, { requireInfo: !!values['require-info-block'] });
    } catch (err) {
      if (err instanceof SfuStreamProblem) throw new ConfigError(`${displayFile(file)}: not sent: ${err.message}`, { file });
      throw err;
    }
    const clock = new ScaledClock(1);
    const link = await openSerialLink(port, { baud, clock });
    const timeline = new Timeline(clock);
    const console = new Console({ link, clock, sfuFrames: true, timeline });
    console.onLine((l) => l.text.trim() && out.verbose(`device: ${l.text}`));
    const uploader = new SfuUploader({ channel: console, clock, timeline });
    out.info(`${port}: waiting for the SFU bootloader (reset or power-cycle the board)…`);
    try {
      const r = await uploader.upload(image, {
        signal,
        writeBlock,
        infoTimeoutMs,
        onProgress: (p) => {
          const pct = p.total ? ((100 * p.acked) / p.total).toFixed(0) : '0';
          out.progress(`${p.phase.padEnd(6)} ${pct.padStart(3)}%  ${p.acked}/${p.total} bytes`, p.phase !== 'write');
        },
      });
      out.endProgress();
      if (out.json) {
        out.printJson({ ok: r.ok, slotBase: r.slotBase, bytes: r.bytes, crc: r.crc, seconds: r.seconds, bytesPerSecond: r.bytesPerSecond, signed: r.signed, resyncs: r.resyncs });
      } else {
        out.data(`${r.ok ? 'signed' : 'NOT signed'}: ${r.bytes} bytes to slot ${hex(r.slotBase)}, crc ${hex(r.crc)}, ${r.seconds.toFixed(2)} s, ${Math.round(r.bytesPerSecond)} B/s`);
      }
      return r.ok ? ExitCode.ok : ExitCode.testFailures;
    } finally {
      out.endProgress();
      console.close();
      await link.close();
    }
  },
};
