/**
 * Every `hil` command, as the overview lists them, each loaded only when it runs: a command's
 * module pulls in its drivers (serialport, execa, yaml, zod, allure …), so `hil --help` and
 * `hil completion` must not import any of them, and `hil run` none but its own. Its help text and
 * option table are a light module of their own (`<name>.help.ts`): `hil <cmd> --help`, a bad
 * option and the completion scripts read that, never the implementation.
 *
 * `path` and `summary` repeat the command's own fields so the overview needs no import;
 * test/cli/lazy-commands.test.ts checks that they agree.
 */
import type { Command, CommandHelp } from '../command.js';

/**
 * What a value or positional is, for the completion scripts: rig names (rigs/*.yaml), suite files
 * (suites/*.yaml), any file, nothing to offer, or these words.
 */
export type ValueKind = 'rigs' | 'suites' | 'files' | 'none' | readonly string[];

export interface CommandEntry {
  /** Words after `hil`, e.g. ['sfu', 'upload']. */
  path: string[];
  summary: string;
  /** Not in the overview nor in completions (e.g. `hil __complete`, which the completion scripts call). */
  hidden?: boolean;
  /** Completion hints; by default `--rig` takes rig names, other valued options and positionals files. */
  complete?: { positionals?: ValueKind; values?: Record<string, ValueKind> };
  /** The help text and option table alone (no driver, no package). */
  help(): Promise<CommandHelp>;
  /** The implementation (its help included). */
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    path: ['run'],
    complete: { positionals: 'suites' },
    summary: 'run suites (brownout campaigns) as Jest tests and write an Allure report',
    help: async () => (await import('./run.help.js')).runHelp,
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    path: ['cut'],
    complete: {
      positionals: 'none',
      values: { trigger: 'none', 'off-ms': 'none', seed: 'none', 'boot-loop-cycles': 'none', second: 'none', setup: 'none', variant: 'none', 'power-loss': ['skip', 'complete', 'torn', 'random'] },
    },
    summary: 'one reproducible power cut during an update, judged from console and flash',
    help: async () => (await import('./cut.help.js')).cutHelp,
    load: async () => (await import('./cut.js')).cutCommand,
  },
  {
    path: ['detect'],
    complete: { positionals: 'suites', values: { scheme: 'none' } },
    summary: 'cut at every op state of every scheme and bootloader variant on the twin: is every seeded bug caught?',
    help: async () => (await import('./detect.help.js')).detectHelp,
    load: async () => (await import('./detect.js')).detectCommand,
  },
  {
    path: ['sweep'],
    complete: {
      positionals: 'none',
      values: { variant: 'none', setup: 'none', mode: ['every-op', 'range', 'random', 'double'], modes: 'none', workers: 'none', seed: 'none', 'boot-loop-cycles': 'none' },
    },
    summary: 'cut at every flash operation of an update and of the recovery after it (twin rigs), with a map and a repro per failing point',
    help: async () => (await import('./sweep.help.js')).sweepHelp,
    load: async () => (await import('./sweep.js')).sweepCommand,
  },
  {
    path: ['signoff'],
    complete: { values: { reports: 'files', workers: 'none' } },
    summary: 'release sign-off: a matrix of rigs × update paths × cut modes, each cell a recovery rate with its Wilson bound, on one page',
    help: async () => (await import('./signoff.help.js')).signoffHelp,
    load: async () => (await import('./signoff.js')).signoffCommand,
  },
  {
    path: ['repro'],
    complete: { values: { times: 'none' } },
    summary: 'replay a recorded result (an Allure result file or its repro id) and check it gives the same outcome',
    help: async () => (await import('./repro.help.js')).reproHelp,
    load: async () => (await import('./repro.js')).reproCommand,
  },
  {
    path: ['inspect'],
    complete: { values: { scheme: 'none', target: 'none' } },
    summary: 'read a flash dump: what each slot holds, whether it is valid, which slot boots next',
    help: async () => (await import('./inspect.help.js')).inspectHelp,
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  {
    path: ['flash'],
    summary: "program an image through the rig's debug probe (OpenOCD), with verify",
    help: async () => (await import('./flash.help.js')).flashHelp,
    load: async () => (await import('./flash.js')).flashCommand,
  },
  {
    path: ['dump'],
    complete: { positionals: 'none' },
    summary: "read every slot region of the rig's target through its probe, ready for hil inspect",
    help: async () => (await import('./dump.help.js')).dumpHelp,
    load: async () => (await import('./dump.js')).dumpCommand,
  },
  {
    path: ['power'],
    complete: { positionals: ['on', 'off', 'cycle', 'sag'], values: { for: 'none', 'off-ms': 'none' } },
    summary: "switch the rig's target power: on, off, cycle, or a brownout (sag)",
    help: async () => (await import('./power.help.js')).powerHelp,
    load: async () => (await import('./power.js')).powerCommand,
  },
  {
    path: ['pins'],
    complete: { positionals: 'none', values: { for: 'none' } },
    summary: "set the rig's GPIO pins (BOOT straps, reset, relay) by name, or list them",
    help: async () => (await import('./pins.help.js')).pinsHelp,
    load: async () => (await import('./pins.js')).pinsCommand,
  },
  {
    path: ['console'],
    complete: { positionals: 'none', values: { power: ['on', 'cycle'], 'line-ending': ['lf', 'crlf', 'cr'] } },
    summary: "an interactive terminal on a rig's console UART, with a timestamped transcript",
    help: async () => (await import('./console.help.js')).consoleHelp,
    load: async () => (await import('./console.js')).consoleCommand,
  },
  {
    path: ['doctor'],
    complete: { positionals: 'none' },
    summary: 'check this machine and a rig file: tools, devices, permissions, wiring, with the fix for each',
    help: async () => (await import('./doctor.help.js')).doctorHelp,
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    path: ['sfu', 'upload'],
    summary: 'upload an image to an SFU bootloader on a serial port (RP2040-SFU, STM32F4 SFU)',
    help: async () => (await import('./sfu-upload.help.js')).sfuUploadHelp,
    load: async () => (await import('./sfu-upload.js')).sfuUploadCommand,
  },
  {
    path: ['twin', 'serve'],
    summary: 'serve a twin on a pseudo-terminal, so any SFU host can talk to it',
    help: async () => (await import('./twin-serve.help.js')).twinServeHelp,
    load: async () => (await import('./twin-serve.js')).twinServeCommand,
  },
  {
    path: ['worker'],
    complete: { values: { rigs: 'files', lab: 'files', id: 'none', reports: 'files' } },
    summary: 'serve rigs to the lab: run the jobs of their Redis queues, one at a time per rig, under an expiring lease',
    help: async () => (await import('./worker.help.js')).workerHelp,
    load: async () => (await import('./worker.js')).workerCommand,
  },
  {
    path: ['enqueue'],
    complete: { positionals: 'none', values: { rigs: 'none', priority: 'none', from: 'none', to: 'none', every: 'none', lab: 'files' } },
    summary: "queue suites on the lab's rigs: a nightly, a sign-off or one suite, once or on a schedule",
    help: async () => (await import('./worker.help.js')).enqueueHelp,
    load: async () => (await import('./enqueue.js')).enqueueCommand,
  },
  {
    path: ['report'],
    complete: { positionals: 'files', values: { reports: 'files', run: 'none' } },
    summary: "a lab's results, home: drain every job's results from Redis and merge them into one Allure report with history per rig",
    help: async () => (await import('./report.help.js')).reportHelp,
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    path: ['lab', 'status'],
    complete: { positionals: 'none', values: { lab: 'files', 'interval-ms': 'none' } },
    summary: 'the lab at a glance: each rig, its worker and host, lease holder and expiry, queue depth, health, last result',
    help: async () => (await import('./lab.help.js')).labStatusHelp,
    load: async () => (await import('./lab.js')).labStatusCommand,
  },
  {
    path: ['lab', 'release'],
    complete: { positionals: 'rigs', values: { lab: 'files' } },
    summary: "free a rig's lease by hand (a stuck job, a dead Pi), logged with who and where",
    help: async () => (await import('./lab.help.js')).labReleaseHelp,
    load: async () => (await import('./lab.js')).labReleaseCommand,
  },
  {
    path: ['lab', 'resume'],
    complete: { positionals: 'rigs', values: { lab: 'files' } },
    summary: 'put a paused rig back in rotation by hand (its queue runs again), logged with who and where',
    help: async () => (await import('./lab.help.js')).labResumeHelp,
    load: async () => (await import('./lab.js')).labResumeCommand,
  },
  {
    path: ['lab', 'check'],
    complete: { positionals: 'rigs', values: { lab: 'files' } },
    summary: 'queue a health check of a rig now (after fixing a cable, say), instead of waiting for its schedule',
    help: async () => (await import('./lab.help.js')).labCheckHelp,
    load: async () => (await import('./lab.js')).labCheckCommand,
  },
  {
    path: ['completion'],
    complete: { positionals: ['bash', 'zsh', 'fish'] },
    summary: 'print a shell completion script: hil completion bash|zsh|fish',
    help: async () => (await import('./completion.help.js')).completionHelp,
    load: async () => (await import('./completion.js')).completionCommand,
  },
  {
    path: ['__lab-job'],
    summary: "one lab job, a suite as hil run runs it or a sign-off cell as hil signoff does (hil worker's child; fenced by $HIL_LAB_FENCE)",
    hidden: true,
    help: async () => (await import('./worker.help.js')).labJobHelp,
    load: async () => (await import('./worker-job.js')).labJobCommand,
  },
  {
    path: ['__complete'],
    summary: 'words for the completion scripts (rig and suite names): file listings only',
    hidden: true,
    help: async () => (await import('./completion.help.js')).completeHelp,
    load: async () => (await import('./completion.js')).completeCommand,
  },
];

/** The listed commands (what the overview, group help and completions show). */
export function visibleCommands(): CommandEntry[] {
  return COMMANDS.filter((c) => !c.hidden);
}
