import { loadLab } from '../../lab/config.js';
import { runWorker } from '../../lab/worker.js';
import { requireOption, type Command } from '../command.js';
import { workerHelp } from './worker.help.js';

export const workerCommand: Command = {
  ...workerHelp,
  async run({ values, out, signal }) {
    const rigs = requireOption(values, 'rigs', workerHelp);
    const lab = loadLab(values.lab as string | undefined);
    // One line per event on stdout (an operator's journal, a test's cue); JSON lines with --json.
    const log = (line: string) => out.data(out.json ? JSON.stringify({ at: new Date().toISOString(), event: line }) : `${new Date().toISOString()} ${line}`);
    return runWorker({
      rigsGlob: rigs,
      lab,
      ...(values.id !== undefined && { id: values.id as string }),
      ...(values.reports !== undefined && { reports: values.reports as string }),
      log,
      signal,
    });
  },
};
