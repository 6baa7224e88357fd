/**
 * Cost of one full cut scenario on the in-process twin at time factor 0: baseline (snapshot
 * restore + boot), the update (SFU: reset + 163 KiB BIN2Page upload; STM32: 200 KiB to the OTA
 * app; MCUboot: probe write + reset + the swap of a 130 KiB image), the cut, recovery, a probe
 * dump and both verdicts. Prints {"cutsPerSecond":…} with --json.
 *   npm run bench:cut -- [--json] [--cuts N] [--scheme S]   (S: a registered scheme; default the first)
 */
import { parseArgs } from 'node:util';
import { loadRig } from '../src/config/index.js';
import { openRig } from '../src/rig/open-rig.js';
import { runCut } from '../src/scenario/cut.js';
import { SCHEMES, findScheme, schemeAdapter } from '../src/schemes/registry.js';
import { loadUpdateImage } from '../src/scenario/update-image.js';
import { VirtualClock } from '../src/core/clock.js';
import type { Trigger } from '../src/config/trigger.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, cuts: { type: 'string', default: '60' }, scheme: { type: 'string', default: SCHEMES[0]!.name } } });
const cuts = Number(values.cuts);
// Each scheme's bench entry (twin rig, how cuts are placed) and sample images live in its meta.ts.
const meta = findScheme(values.scheme!);
if (!meta) throw new Error(`--scheme: one of ${SCHEMES.map((s) => s.name).join(', ')}`);
const bench = { rig: meta.bench.rig, trigger: meta.bench.trigger, from: `firmware/${meta.samples.from}`, to: `firmware/${meta.samples.to}` };
const config = await loadRig(bench.rig);
const from = await loadUpdateImage(bench.from, config.scheme);
const to = await loadUpdateImage(bench.to, config.scheme);
// MCUboot's swap runs ~18 s after the update starts; the others stream, so cut by progress.
const triggerAt = (f: number): Trigger => (bench.trigger === 'after' ? { kind: 'after', ms: Math.round(18_000 * f) } : { kind: 'progress', percent: 100 * f });
const rig = await openRig(config);
const scheme = await schemeAdapter(config.scheme);
const outcomes: Record<string, number> = {};
let clockMs = 0;
// One warm-up cut builds the baseline snapshot every later cut restores.
await runCut(rig, scheme, { from, to }, { trigger: triggerAt(0.5), offMs: 200, seed: 0 });
const eventsBefore = (rig.clock as VirtualClock).fired;
const t0 = performance.now();
for (let i = 0; i < cuts; i++) {
  const r = await runCut(rig, scheme, { from, to }, { trigger: triggerAt((i + 0.5) / cuts), offMs: 200, seed: i + 1 });
  outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  clockMs += r.clockMs;
}
const seconds = (performance.now() - t0) / 1000;
const events = (rig.clock as VirtualClock).fired - eventsBefore;
await rig.close();
const result = {
  scheme: config.scheme,
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
