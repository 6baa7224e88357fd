/**
 * `hil doctor` as a process, the way main.ts will run it (argv parsing, Output, error -> exit
 * code), before the command is registered in main.ts. HIL_DOCTOR_FAKE (JSON: root, uid, groups,
 * user, pathDirs) swaps the machine for a fake tree; without it the real machine is checked.
 */
import { helpText, makeOutput, parseCommandArgs } from '../../src/cli/command.js';
import { makeDoctorCommand } from '../../src/cli/commands/doctor.js';
import { HilError } from '../../src/core/errors.js';
import { modeBitsAccess, realEnv, runProgram, type DoctorEnv } from '../../src/doctor/index.js';

function env(): DoctorEnv {
  const raw = process.env.HIL_DOCTOR_FAKE;
  if (!raw) return realEnv();
  const f = JSON.parse(raw) as { root: string; uid: number; groups: number[]; user: string; pathDirs: string[] };
  return { ...f, nodeVersion: process.versions.node, access: modeBitsAccess(f.uid, f.groups), run: runProgram };
}

const cmd = makeDoctorCommand(env);
let out = makeOutput({});
let code: number;
try {
  const { values, positionals } = parseCommandArgs(cmd, process.argv.slice(2));
  out = makeOutput(values);
  if (values.help) {
    process.stdout.write(helpText(cmd) + '\n');
    code = 0;
  } else code = await cmd.run({ values, positionals, out, signal: new AbortController().signal });
} catch (err) {
  if (!(err instanceof HilError)) throw err;
  out.error(err.message);
  code = err.exitCode;
}
process.exitCode = code;
