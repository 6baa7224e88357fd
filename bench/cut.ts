/**
 * Cost of one full cut scenario on the in-process twin at time factor 0: baseline (snapshot
 * restore + boot), reset into the bootloader, the update of a 163 KiB BIN2Page stream, the cut,
 * recovery, a probe dump and both verdicts. Prints {"cutsPerSecond":…} with --json.
 *   npm run bench:cut -- [--json] [--cuts N]
 */
import { parseArgs } from 'node:util';
import { loadRig } from '../src/config/index.js';
import { openRig } from '../src/rig/open-rig.js';
import { runCut } from '../src/scenario/cut.js';
import { schemeAdapter } from '../src/scenario/schemes/index.js';
import { loadUpdateImage } from '../src/scenario/update-image.js';
import { VirtualClock } from '../src/core/clock.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, cuts: { type: 'string', default: '60' } } });
const cuts = Number(values.cuts);
const config = await loadRig('rigs/twin-rp2040-sfu.yaml');
const from = await loadUpdateImage('firmware/app-v1.page2bin');
const to = await loadUpdateImage('firmware/app-v2.page2bin');
const rig = await openRig(config);
const scheme = schemeAdapter(config.scheme);
const outcomes: Record<string, number> = {};
let clockMs = 0;
// One warm-up cut builds the baseline snapshot every later cut restores.
await runCut(rig, scheme, { from, to }, { trigger: { kind: 'progress', percent: 50 }, offMs: 200, seed: 0 });
const eventsBefore = (rig.clock as VirtualClock).fired;
const t0 = performance.now();
for (let i = 0; i < cuts; i++) {
  const r = await runCut(rig, scheme, { from, to }, { trigger: { kind: 'progress', percent: (100 * (i + 0.5)) / cuts }, offMs: 200, seed: i + 1 });
  outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  clockMs += r.clockMs;
}
const seconds = (performance.now() - t0) / 1000;
const events = (rig.clock as VirtualClock).fired - eventsBefore;
await rig.close();
const result = {
  cuts,
  seconds: Number(seconds.toFixed(3)),
  cutsPerSecond: Number((cuts / seconds).toFixed(1)),
  msPerCut: Number(((seconds * 1000) / cuts).toFixed(2)),
  simulatedSecondsPerCut: Number((clockMs / cuts / 1000).toFixed(2)),
  eventsPerCut: Math.round(events / cuts),
  outcomes,
};
if (values.json) console.log(JSON.stringify(result));
else console.log(`${result.cutsPerSecond} cuts/s (${result.msPerCut} ms per cut, ${result.simulatedSecondsPerCut} s simulated each); outcomes ${JSON.stringify(outcomes)}`);
