import { loadRig } from '../../config/index.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { formatReport, realEnv, runDoctor, type DoctorEnv } from '../../doctor/index.js';
import type { Command } from '../command.js';

/** The command over any environment: tests hand it a fake /dev + /sys tree and fake tools. */
export function makeDoctorCommand(env: () => DoctorEnv = realEnv): Command {
  return {
    path: ['doctor'],
    summary: 'check this machine and a rig file: tools, devices, permissions, wiring, with the fix for each',
    usage: 'hil doctor [--rig RIG] [--json]',
    details: `Checks what a rig needs and explains each problem with the command or edit that fixes it: Node.js,
openocd and its scripts (and the rig's interface, target and configs: files), debug probes on USB (ST-LINK,
CMSIS-DAP / Raspberry Pi Debug Probe, J-Link) and their permissions, GPIO chips, libgpiod tools and
permissions, serial ports (by-id names, dialout), uhubctl and the rig's hub port, and the wiring against the
other rig files in the same folder (no GPIO line, serial port or hub port used by two rigs).

Only what the rig uses can fail: a twin rig needs nothing but Node.js. Without --rig it reports the machine
and fails only on Node.js. Exit 0 when nothing failed, 3 when the rig cannot run, 2 on a bad rig file
(its errors are printed as they are).

  --rig RIG          rig name (rigs/RIG.yaml) or path`,
    examples: [
      'hil doctor',
      'hil doctor --rig bench-rp2040',
      'hil doctor --rig rigs/bench-stm32.yaml -v            # also lists the checks that do not apply',
      "hil doctor --rig bench-rp2040 --json | jq '.checks[] | select(.status == \"fail\") | .fix'",
    ],
    options: { rig: { type: 'string' } },
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
