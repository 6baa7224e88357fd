/**
 * `hil __lab-job`: the child process hil worker runs a suite job in. A process of its own per job
 * gives the job its own environment ($HIL_LAB_FENCE for the Jest it starts, while other rigs of
 * the same worker run other jobs) and a clean way to stop it: SIGINT, handled like Ctrl-C.
 */
import { resolve } from 'node:path';
import { requireOption, type Command } from '../command.js';
import { labJobHelp } from './worker.help.js';
import { runSuites } from './run.js';

export const labJobCommand: Command = {
  ...labJobHelp,
  async run({ values, out, signal }) {
    // The worker is our lifeline: its IPC channel closes when it dies (kill -9 included), and a
    // job nobody will report must not go on driving the rig; its lease lapses soon anyway.
    process.once('disconnect', () => process.kill(process.pid, 'SIGINT'));
    // …without keeping this process alive once the run is over.
    process.channel?.unref();
    return runSuites({
      suites: [resolve(requireOption(values, 'suite', labJobHelp))],
      rig: resolve(requireOption(values, 'rig', labJobHelp)),
      campaign: requireOption(values, 'campaign', labJobHelp),
      reports: requireOption(values, 'reports', labJobHelp),
      workers: 1,
      confirm: 0,
      keep: 1,
      noHtml: true,
      out,
      signal,
    });
  },
};
