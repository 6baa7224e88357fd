import { loadRig } from '../../config/index.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { formatReport, realEnv, runDoctor, type DoctorEnv } from '../../doctor/index.js';
import type { Command } from '../command.js';
import { doctorHelp } from './doctor.help.js';

/** The command over any environment: tests hand it a fake /dev + /sys tree and fake tools. */
export function makeDoctorCommand(env: () => DoctorEnv = realEnv): Command {
  return {
    ...doctorHelp,
    async run({ values, positionals, out, signal }) {
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${this.usage}`);
      const rigName = values.rig;
      if (rigName !== undefined && (typeof rigName !== 'string' || rigName === '')) throw new UsageError(`--rig needs a rig name or path\nusage: ${this.usage}`);
      // A broken rig file is a config error (exit 2), not a rig that cannot run.
      const rig = rigName ? await loadRig(rigName) : undefined;
      const report = await runDoctor(env(), rig, undefined, signal);
      if (out.json) out.printJson(report);
      else {
        // The table goes to stdout: colour only when stdout itself is a terminal (Output decides on stderr).
        const paint = process.stdout.isTTY ? (code: number, text: string) => out.paint(code, text) : undefined;
        out.data(formatReport(report, { ...(paint && { paint }), showSkipped: out.level >= 2 }));
      }
      return report.ok ? ExitCode.ok : ExitCode.rigUnavailable;
    },
  };
}

export const doctorCommand: Command = makeDoctorCommand();
