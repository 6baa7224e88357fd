/**
 * SFU upload throughput over a real pseudo-terminal: the RP2040-SFU twin behind socat, pacing its
 * receive (and send) side at 921600 baud 8N1 (92,160 bytes/s on the wire, the limit), the host end
 * opened with serialport exactly as `hil sfu upload` does on a Pi. Uploads a RAW image linked for
 * slot B (1 MiB by default) and prints the uploader's payload rate (SfuUploadResult.bytesPerSecond) and its ratio
 * to the wire limit.
 *   npm run bench:sfu -- [--json] [--bytes 1048576] [--baud 921600]
 */
import { parseArgs } from 'node:util';
import { ScaledClock } from '../src/core/clock.js';
import { Console } from '../src/drivers/console/console.js';
import { openSerialLink } from '../src/drivers/console/serial-link.js';
import { SfuUploader } from '../src/drivers/updater/sfu/index.js';
import { payloadRate } from '../src/drivers/updater/sfu/rate.js';
import { buildSamplePair } from '../src/firmware/sample-app.js';
import { SFU_SLOTS } from '../src/targets/rp2040.js';
import { SCHEMES } from '../src/schemes/meta-registry.js';
import { findTwin } from '../src/twin/registry.js';
import { startPtyTwin } from '../src/twin/transport/pty.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, bytes: { type: 'string', default: String(1 << 20) }, baud: { type: 'string', default: '921600' } },
});
const bytes = Number(values.bytes);
const baud = Number(values.baud);
const wire = baud / 10;

const clock = new ScaledClock(1);
// The RP2040-SFU twin: the registered scheme whose update path is the SFU bootloader on an RP2040.
const sfuScheme = SCHEMES.find((s) => s.target === 'rp2040' && s.updaters.includes('sfu'))!;
const twin = findTwin(sfuScheme.name)!.create({ clock, variant: 'correct', powerLoss: 'torn', seed: 1 });
twin.massErase();
twin.programMemory(SFU_SLOTS.A.base, buildSamplePair('1.0.0', 0x8000).a);
const image = buildSamplePair('3.0.0', bytes).b;
const pty = await startPtyTwin(twin, { paceBaud: baud });
const link = await openSerialLink(pty.hostPath, { baud, clock });
const con = new Console({ link, clock, sfuFrames: true });
try {
  twin.powerOn(); // first start signs A, then the bootloader listens for ~2 s
  let lastPct = -1;
  const r = await new SfuUploader({ channel: con, clock }).upload(image, {
    onProgress: (p) => {
      const pct = p.total ? Math.floor((100 * p.acked) / p.total / 10) * 10 : 0;
      if (p.phase === 'write' && pct !== lastPct && !values.json) {
        lastPct = pct;
        process.stderr.write(`\rwrite ${pct}%`);
      }
    },
  });
  if (!values.json) process.stderr.write('\n');
  if (!r.ok || !twin.readMemory(SFU_SLOTS.B.base, bytes).equals(image)) throw new Error(`upload did not end signed with the image in slot B: ${JSON.stringify(r)}`);
  const rate = payloadRate(r, baud);
  const result = {
    bytes: r.bytes,
    seconds: Number(r.seconds.toFixed(3)),
    bytesPerSecond: Math.round(r.bytesPerSecond),
    ratioToWire: Number(rate.ofLine.toFixed(3)),
    wireBytesPerSecond: wire,
    // WRITE frames carry 16 bytes of their own (12 of frame, 4 of address) per 2048 of data: the best any uploader can do.
    ratioToFramingLimit: Number(rate.ofLimit.toFixed(4)),
    resyncs: r.resyncs,
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${result.bytes} bytes in ${result.seconds} s (erase included); write phase ${result.bytesPerSecond} B/s = ${result.ratioToWire} of the ${wire} B/s wire limit (${result.ratioToFramingLimit} of what 2048-byte WRITE frames allow); ${result.resyncs} resyncs`,
    );
} finally {
  con.close();
  twin.powerOff();
  await link.close();
  await pty.close();
}
