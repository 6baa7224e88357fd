/**
 * An every-op sweep per scheme on its bench twin rig (the scheme's sample images): the update is
 * recorded once, then every flash op of the update and of the bootloader's work after the reset
 * is cut in all three modes (before, after, torn) and only the recovery is simulated, on worker
 * threads (and this one). Prints one line per scheme; with --json:
 *   {"scheme","ops","points","seconds","pointsPerSecond"} (plus the outcome counts and the load average)
 *   npm run bench:sweep -- [--json] [--scheme S] [--workers N]
 * Needs the compiled workers (the script builds first).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
// The compiled code (the script builds first), as the CLI and the sweep's worker threads run it: the
// engine's own thread takes a share of the points, and from the TypeScript sources under tsx it ran
// them a fifth slower. Typed from the sources, loaded by path (a clean clone type-checks before dist/ exists).
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url).href;
const { SCHEMES } = (await import(dist('schemes/meta-registry.js'))) as typeof import('../src/schemes/meta-registry.js');
const { defaultWorkers, runSweep } = (await import(dist('scenario/sweep/engine.js'))) as typeof import('../src/scenario/sweep/engine.js');
const { countOutcomes } = (await import(dist('scenario/sweep/session.js'))) as typeof import('../src/scenario/sweep/session.js');

const { values } = parseArgs({ options: { json: { type: 'boolean' }, scheme: { type: 'string' }, workers: { type: 'string' } } });
const workers = values.workers === undefined ? defaultWorkers() : Number(values.workers);
const schemes = values.scheme ? SCHEMES.filter((s) => s.name === values.scheme) : SCHEMES;
if (!schemes.length) throw new Error(`--scheme: one of ${SCHEMES.map((s) => s.name).join(', ')}`);
for (const meta of schemes) {
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const run = await runSweep({ rig: meta.bench.rig, images: { from: `firmware/${meta.samples.from}`, to: `firmware/${meta.samples.to}` }, seed: 1 }, { workers });
  const seconds = (performance.now() - t0) / 1000;
  const line = {
    scheme: meta.name,
    ops: run.ops.length,
    points: run.results.length,
    seconds: Number(seconds.toFixed(3)),
    pointsPerSecond: Number((run.results.length / seconds).toFixed(1)),
    workers: run.workers,
    sharedRecoveries: run.results.filter((r) => r.shared).length,
    // Where the time went, per session (this thread's first): opening (rig, images, the recording) vs
    // the points, and the thread's CPU (a worker thread's start-up not counted).
    workerSeconds: run.timing?.map((t) => ({ open: Number((t.openMs / 1000).toFixed(2)), points: Number((t.pointsMs / 1000).toFixed(2)), cpu: Number((t.cpuMs / 1000).toFixed(2)) })),
    outcomes: countOutcomes(run.results),
    // The box is shared: a figure means little without the 1-minute load average beside it (before, after).
    load: [Number(load0.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
  };
  if (values.json) console.log(JSON.stringify(line));
  else
    console.log(
      `${line.scheme}: ${line.points} points over ${line.ops} ops in ${line.seconds} s = ${line.pointsPerSecond} points/s (${workers} workers, load ${line.load.join(' -> ')}); outcomes ${JSON.stringify(line.outcomes)}`,
    );
}
