/**
 * How fast `hil` starts (issue 9 item 3), as figures, not tests:
 *  - `hil --help` CPU time (user + sys of the child, from the kernel) as a ratio to `node -e 0`
 *    measured the same way (goal ≤ 2×); medians of --runs each, interleaved so a change in the
 *    machine's load hits both alike;
 *  - the same ratio for `hil run --help` and `hil sfu upload --help`: a command's help comes from
 *    its help module alone, so it should cost about what `hil --help` does, not the command's load;
 *  - `hil sfu upload`: from spawn to its first INFO frame on a socat pty (bench/sfu-first-info.ts;
 *    goal ≤ 0.3 s).
 * The machine's load average is printed with them: on a shared box it moves the wall times.
 *   npm run bench:cli -- [--json] [--runs 15]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { firstInfo } from './sfu-first-info.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * CPU seconds (user + sys) of one child run, as the kernel counts it (getrusage of children,
 * through bash's `times`, ms resolution: nothing is added to the child), and its wall time.
 */
function cpuOf(args: string[]): Promise<{ cpu: number; wall: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', '"$0" "$@" >/dev/null || exit 1; times', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      // times: the shell's own user/sys, then its children's: "0m0.084s 0m0.042s".
      const children = out
        .trim()
        .split('\n')[1]
        ?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
      if (code !== 0 || !children) return reject(new Error(`${args.join(' ')}: exit ${code}: ${out}`));
      const [, um, us, sm, ss] = children.map(Number) as number[];
      resolve({ cpu: um! * 60 + us! + sm! * 60 + ss!, wall });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
/** The commands whose `--help` is measured besides the overview: the two heaviest to load. */
const COMMAND_HELPS = [['run'], ['sfu', 'upload']];
const node: { cpu: number; wall: number }[] = [];
const help: { cpu: number; wall: number }[] = [];
const commandHelp = COMMAND_HELPS.map(() => [] as { cpu: number; wall: number }[]);
for (let i = 0; i < runs; i++) {
  node.push(await cpuOf(['-e', '0']));
  help.push(await cpuOf([join(ROOT, 'bin/hil.js'), '--help']));
  for (const [k, words] of COMMAND_HELPS.entries()) commandHelp[k]!.push(await cpuOf([join(ROOT, 'bin/hil.js'), ...words, '--help']));
}
const info = await firstInfo(Math.max(3, Math.ceil(runs / 2)));
const nodeCpu = median(node.map((r) => r.cpu));
const result = {
  helpCpuSeconds: +median(help.map((r) => r.cpu)).toFixed(4),
  nodeCpuSeconds: +nodeCpu.toFixed(4),
  helpCpuRatio: +(median(help.map((r) => r.cpu)) / nodeCpu).toFixed(2),
  helpWallSeconds: +median(help.map((r) => r.wall)).toFixed(4),
  nodeWallSeconds: +median(node.map((r) => r.wall)).toFixed(4),
  commandHelp: COMMAND_HELPS.map((words, k) => {
    const cpu = median(commandHelp[k]!.map((r) => r.cpu));
    return { command: `hil ${words.join(' ')} --help`, cpuSeconds: +cpu.toFixed(4), cpuRatio: +(cpu / nodeCpu).toFixed(2), wallSeconds: +median(commandHelp[k]!.map((r) => r.wall)).toFixed(4) };
  }),
  sfuFirstInfoSeconds: +info.medianSeconds.toFixed(4),
  loadAverage: +loadavg()[0]!.toFixed(2),
  runs,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `hil --help: ${result.helpCpuSeconds.toFixed(3)} s CPU vs node -e 0 ${result.nodeCpuSeconds.toFixed(3)} s: ${result.helpCpuRatio}x (goal <= 2x); wall ${result.helpWallSeconds.toFixed(3)} s vs ${result.nodeWallSeconds.toFixed(3)} s`,
  );
  for (const c of result.commandHelp) console.log(`${c.command}: ${c.cpuSeconds.toFixed(3)} s CPU: ${c.cpuRatio}x node -e 0 (goal <= 2x); wall ${c.wallSeconds.toFixed(3)} s`);
  console.log(`hil sfu upload: first INFO frame on the wire after ${result.sfuFirstInfoSeconds.toFixed(3)} s (goal <= 0.3 s)`);
  console.log(`medians of ${runs} runs; load average ${result.loadAverage}`);
}
