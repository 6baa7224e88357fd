/**
 * What `hil sweep --help` shows and the options it parses, apart from the implementation
 * (./sweep.ts): `--help` and a bad option never load the sweep engine, the twin or a worker.
 */
import type { CommandHelp } from '../command.js';

export const sweepHelp: CommandHelp = {
  path: ['sweep'],
  summary: 'cut at every flash operation of an update and of the recovery after it (twin rigs), with a repro per failing point',
  usage:
    'hil sweep --rig RIG --from A.bin --to B.bin [--variant V] [--setup S] [--previous OLD.bin] [--mode every-op] [--modes before,after,torn] [--workers N] [--seed N] [--boot-loop-cycles N] [--json]',
  details: `Runs the update once on the rig's twin, logging every flash operation of the update and of the
bootloader's work after the reset (SFU signing, the STM32 commit, the MCUboot swap), then cuts at
each one: before it started, after it completed, and torn (a seeded fraction through it, with the
part's torn-write and torn-erase physics). Each point's flash is built from the recording and only
the recovery is simulated, on worker threads. Prints progress on stderr, then the ops per stage,
the outcomes per mode and every failing point (outside updated / rolled-back) with the \`hil cut\`
line that replays it. Exit 0 if no point failed, 1 if any did.

  --rig RIG         a twin rig (rigs/RIG.yaml or a path); a bench sweep is not built yet
  --from FILE       baseline image
  --to FILE         update image
  --variant V       the twin's bootloader variant (a seeded bug), as a suite's variant: on a rig entry
  --setup S         the scheme's baseline setup (default its first)
  --previous FILE   an older image the baseline puts in the other slot
  --mode M          every-op (the only mode so far)
  --modes LIST      which cuts per op, comma-separated: before,after,torn (default all three)
  --workers N       worker threads (default: the cores, at most 8; 0 runs in this thread)
  --boot-loop-cycles N  extra power cycles after each recovery that must keep the same image (as a suite's expect.bootLoopCycles)
  --seed N          seeds the recording and every point's torn fraction and bits (default: the rig's twin.seed)`,
  examples: [
    'hil sweep --rig twin-rp2040-sfu --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin',
    'hil sweep --rig twin-nrf52840-mcuboot --from firmware/mcuboot-app-v1.signed.bin --to firmware/mcuboot-app-v2.signed.bin --setup test --modes torn --json',
  ],
  options: {
    rig: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    variant: { type: 'string' },
    setup: { type: 'string' },
    previous: { type: 'string' },
    mode: { type: 'string' },
    modes: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    'boot-loop-cycles': { type: 'string' },
  },
};
