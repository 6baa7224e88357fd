/**
 * An every-op sweep per scheme on its bench twin rig (the scheme's sample images): the update is
 * recorded once, then every flash op of the update and of the bootloader's work after the reset
 * is cut in all three modes (before, after, torn) and only the recovery is simulated, in this
 * thread and the worker threads that join when they pay (src/scenario/sweep/join.ts). Prints one
 * line per scheme; with --json:
 *   {"scheme","ops","points","seconds","pointsPerSecond"} (plus the outcome counts and the load average)
 *   npm run bench:sweep -- [--json] [--scheme S] [--workers N] [--warm]
 * Each scheme runs cold, in a process of its own: plain `node` on the compiled code, as `hil sweep`
 * runs it (under this script's tsx, every module the sweep loads lazily went through tsx's loader
 * hooks, a tenth of a small sweep). `seconds` is the sweep alone: from runSweep's call to its
 * answer, after the engine's modules are imported (a scheme's own modules, the rig file, the
 * images, the recording and every thread's start-up are inside). `--warm`: every scheme in one
 * process after one sweep of each (what a run of several sweeps sees). Needs the compiled code
 * (the script builds first).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { SweepRun } from '../src/scenario/sweep/engine.js';
// Typed from the sources, loaded from dist (a clean clone type-checks before dist/ exists).
const dist = new URL('../dist/', import.meta.url).href;
const { SCHEMES } = (await import(`${dist}schemes/meta-registry.js`)) as typeof import('../src/schemes/meta-registry.js');

const { values } = parseArgs({ options: { json: { type: 'boolean' }, scheme: { type: 'string' }, workers: { type: 'string' }, warm: { type: 'boolean' } } });
const schemes = values.scheme ? SCHEMES.filter((s) => s.name === values.scheme) : SCHEMES;
if (!schemes.length) throw new Error(`--scheme: one of ${SCHEMES.map((s) => s.name).join(', ')}`);

/** What the measuring process prints per sweep (JSON, one line each). */
interface Measured {
  scheme: string;
  seconds: number;
  ops: number;
  points: number;
  workers: number;
  shared: number;
  timing: SweepRun['timing'];
  outcomes: Record<string, number>;
}

// The measuring process: plain JavaScript for `node --input-type=module -e`, argv: dist URL,
// workers ('' = the engine's default), warm ('1' or ''), scheme names. Kept to the measurement.
const MEASURE = `
const [dist, workersArg, warm, ...names] = process.argv.slice(1);
const { SCHEMES } = await import(dist + 'schemes/meta-registry.js');
const { defaultWorkers, runSweep } = await import(dist + 'scenario/sweep/engine.js');
const { countOutcomes } = await import(dist + 'scenario/sweep/session.js');
const workers = workersArg === '' ? defaultWorkers() : Number(workersArg);
const sweep = (meta) => runSweep({ rig: meta.bench.rig, images: { from: 'firmware/' + meta.samples.from, to: 'firmware/' + meta.samples.to }, seed: 1 }, { workers });
const metas = names.map((n) => SCHEMES.find((s) => s.name === n));
if (warm) for (const meta of metas) await sweep(meta);
for (const meta of metas) {
  const t0 = performance.now();
  const run = await sweep(meta);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ scheme: meta.name, seconds, ops: run.ops.length, points: run.results.length, workers: run.workers,
    shared: run.results.filter((r) => r.shared).length, timing: run.timing, outcomes: countOutcomes(run.results) }));
}
process.exit(0);
`;

function measure(names: string[]): Measured[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', MEASURE, dist, values.workers ?? '', values.warm ? '1' : '', ...names], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Measured);
}

function report(m: Measured, load: [number, number]): void {
  const line = {
    scheme: m.scheme,
    ops: m.ops,
    points: m.points,
    seconds: Number(m.seconds.toFixed(3)),
    pointsPerSecond: Number((m.points / m.seconds).toFixed(1)),
    // Sessions that took part: this thread's and the worker threads' that joined.
    workers: m.workers,
    sharedRecoveries: m.shared,
    // Where the time went, per session (this thread's first): opening (rig, images, the recording) vs
    // the points, and the thread's CPU (a worker thread's start-up not counted).
    workerSeconds: m.timing?.map((t) => ({ open: Number((t.openMs / 1000).toFixed(2)), points: Number((t.pointsMs / 1000).toFixed(2)), cpu: Number((t.cpuMs / 1000).toFixed(2)) })),
    outcomes: m.outcomes,
    // The box is shared: a figure means little without the 1-minute load average beside it (before, after).
    load: load.map((l) => Number(l.toFixed(2))),
  };
  if (values.json) console.log(JSON.stringify(line));
  else
    console.log(
      `${line.scheme}: ${line.points} points over ${line.ops} ops in ${line.seconds} s = ${line.pointsPerSecond} points/s (${line.workers} session(s), load ${line.load.join(' -> ')}); outcomes ${JSON.stringify(line.outcomes)}`,
    );
}

if (values.warm) {
  const load0 = loadavg()[0]!;
  for (const m of measure(schemes.map((s) => s.name))) report(m, [load0, loadavg()[0]!]);
} else {
  for (const meta of schemes) {
    const load0 = loadavg()[0]!;
    for (const m of measure([meta.name])) report(m, [load0, loadavg()[0]!]);
  }
}
