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
import { sfuUploadHelp } from './sfu-upload.help.js';
import { hex32 } from '../../core/hex.js';

export const sfuUploadCommand: Command = {
  ...sfuUploadHelp,
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
        out.data(`${r.ok ? 'signed' : 'NOT signed'}: ${r.bytes} bytes to slot ${hex32(r.slotBase)}, crc ${hex32(r.crc)}, ${r.seconds.toFixed(2)} s, ${Math.round(r.bytesPerSecond)} B/s`);
      }
      return r.ok ? ExitCode.ok : ExitCode.testFailures;
    } finally {
      out.endProgress();
      console.close();
      await link.close();
    }
  },
};
