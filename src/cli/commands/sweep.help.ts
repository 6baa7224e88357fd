/**
 * What `hil sweep --help` shows and the options it parses, apart from the implementation
 * (./sweep.ts): `--help` and a bad option never load the sweep engine, the twin or a worker.
 */
import type { CommandHelp } from '../command.js';

export const sweepHelp: CommandHelp = {
  path: ['sweep'],
  summary: 'cut at every flash operation of an update and of the recovery after it (twin rigs), with a map and a repro per failing point',
  usage:
    'hil sweep --rig RIG --from A.bin --to B.bin [--mode every-op|range|random|double] [--modes before,after,torn] [--torn N] [--trigger KIND:FROM..TO --step S] [--count N] [--sample N[/M]] [--point OP:MODE[:F][/OP2:MODE2[:F2]]] [--variant V] [--power-loss MODE] [--setup S] [--previous OLD.bin] [--via U.bin,L.bin] [--workers N] [--seed N] [--off-ms N] [--boot-loop-cycles N] [--retry N] [--json]',
  details: `Runs the update once on the rig's twin, logging every flash operation of the update and of the
bootloader's work after the reset (SFU signing, the STM32 commit, the MCUboot swap), then cuts the
power at the points the mode names: before an op started, after it completed, or torn (a seeded
fraction through it, with the part's torn-write and torn-erase physics). Each point's flash is built
from the recording and only the recovery is simulated, in this thread and worker threads. Prints progress on
stderr, then the ops per stage, the outcomes per mode, the resilience map it wrote (reports/maps/)
and every failing point (outside updated / rolled-back) with the hil sweep --point line that
replays it. Exit 0 if no point failed, 1 if any did.

Modes:
  every-op   each op in each of --modes, --torn N seeded fractions per op (default 1)
  range      a host trigger swept --trigger KIND:FROM..TO by --step: after:0..4s --step 10ms (time
             after the update started), progress:10%..90% --step 5 (or bytes: progress:0..64KiB
             --step 4KiB), marker:1..200 --step 1 (edges: the op each edge starts, in --modes).
             A time inside an op is that op torn at the matching fraction; between ops, the state
             after the last finished op
  random     --count N seeded points (op, mode and fraction drawn from the seed)
  double     for each first cut, a second cut at every op of the recovery it starts (before,
             after, torn); --sample N samples N first-cut ops, --sample N/M also M ops per recovery

  --rig RIG          a twin rig (rigs/RIG.yaml or a path); a bench sweep is not built yet
  --from FILE        baseline image
  --to FILE          update image
  --mode M           every-op (default), range, random or double
  --modes LIST       cut modes, comma-separated: before,after,torn (default all three)
  --torn N           torn fractions per op, spread over the op (every-op, double; default 1)
  --trigger T        range: KIND:FROM..TO with KIND after, progress or marker
  --step S           range: the step, in the trigger's unit (a time, a percentage, bytes, edges)
  --count N          random: how many points
  --sample N[/M]     double: a seeded sample of N first-cut ops (and M ops of each recovery); all/M
  --point P          replay one point: OP:MODE[:FRACTION][@MS][/OP2:MODE2[:F2]] (a failing point's line)
  --variant V        the twin's bootloader variant (a seeded bug), as a suite's variant: on a rig entry
  --power-loss MODE  the twin's power-loss mode, as a suite's powerLoss: (carried; points set their own)
  --setup S          the scheme's baseline setup (default its first)
  --previous FILE    an older image the baseline puts in the other slot
  --via FILES        images sent before --to, comma-separated, each a whole transfer: a multi-stage
                     update (a suite's images.via), swept as one update
  --workers N        sessions at most: this thread + N-1 worker threads (default: the cores, at
                     most 8; 0 = this thread alone). A new worker thread joins only once the points
                     left would keep this thread busy for more than ~2 s (its start-up costs more
                     than it saves on a short sweep)
  --seed N           seeds every point's torn fraction and bits (default: the rig's twin.seed)
  --off-ms N         power-off time at each cut (default: the rig's power.offMs)
  --compatible SETS  a product's supported version sets, as hil cut takes them
  --boot-loop-cycles N  extra power cycles after each recovery that must keep the same image
  --retry N          retry the update after each recovery while the device is waiting or rolled-back
                     (a suite's retry:); each point is judged after its retries`,
  examples: [
    'hil sweep --rig twin-rp2040-sfu --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin',
    'hil sweep --rig twin-nrf52840-mcuboot --from firmware/mcuboot-app-v1.signed.bin --to firmware/mcuboot-app-v2.signed.bin --setup test --modes torn --torn 4 --json',
    'hil sweep --rig twin-stm32f429-dualbank --from firmware/stm32-app-v1.bin --to firmware/stm32-app-v2.bin --mode range --trigger after:0..4s --step 20ms',
    'hil sweep --rig twin-rp2040-sfu --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --mode random --count 500 --seed 7',
    'hil sweep --rig twin-nrf52840-mcuboot --from firmware/mcuboot-app-v1.signed.bin --to firmware/mcuboot-app-v2.signed.bin --mode double --sample 20/10',
    'hil sweep --rig twin-rp2040-sfu-bug-sign-before-flush --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --point 640:after --seed 1',
  ],
  options: {
    rig: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    variant: { type: 'string' },
    'power-loss': { type: 'string' },
    setup: { type: 'string' },
    previous: { type: 'string' },
    via: { type: 'string' },
    mode: { type: 'string' },
    modes: { type: 'string' },
    torn: { type: 'string' },
    trigger: { type: 'string' },
    step: { type: 'string' },
    count: { type: 'string' },
    sample: { type: 'string' },
    point: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    'off-ms': { type: 'string' },
    'boot-loop-cycles': { type: 'string' },
    compatible: { type: 'string' },
    retry: { type: 'string' },
  },
};
