import { ExitCode, HilError, InterruptedError } from '../core/errors.js';
import { claimSignals } from '../core/signals.js';
import { helpText, makeOutput, parseCommandArgs, type Command } from './command.js';
import { COMMANDS, visibleCommands, type CommandEntry } from './commands/index.js';

function overview(): string {
  const listed = visibleCommands();
  const width = Math.max(...listed.map((c) => c.path.join(' ').length));
  return [
    'hil: hardware-in-the-loop rig orchestrator: cuts power mid-update and proves the device recovers',
    '',
    'usage: hil <command> [options]',
    '',
    'commands:',
    ...listed.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Run `hil <command> --help` for options and examples. With no command, `npm start` runs `hil run`.',
    'exit codes: 0 ok, 1 test or device failure, 2 usage or config error, 3 rig unavailable, 4 interrupted',
  ].join('\n');
}

/** `hil sfu --help`: the commands under a group word (those whose path is longer than one word). */
function groupHelp(word: string): string | undefined {
  const members = visibleCommands().filter((c) => c.path.length > 1 && c.path[0] === word);
  if (!members.length) return undefined;
  const width = Math.max(...members.map((c) => c.path.join(' ').length));
  return [
    `hil ${word}: ${members.length === 1 ? 'one command' : `${members.length} commands`}`,
    '',
    ...members.map((c) => `  hil ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    `Run \`hil ${members[0]!.path.join(' ')} --help\` for its options and examples.`,
  ].join('\n');
}

/** A command module that failed to load (rethrown as it is, never reported as the command's failure). */
class LoadFailure extends Error {
  constructor(cause: unknown) {
    super('a command module failed to load', { cause });
  }
}
const notLoaded = (err: unknown): never => {
  throw new LoadFailure(err);
};

function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  let best: { entry: CommandEntry; rest: string[] } | undefined;
  for (const cmd of COMMANDS) {
    if (cmd.path.every((w, i) => argv[i] === w) && (!best || cmd.path.length > best.entry.path.length)) {
      best = { entry: cmd, rest: argv.slice(cmd.path.length) };
    }
  }
  return best;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(overview() + '\n');
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  const found = findCommand(argv);
  const group = found ? undefined : groupHelp(argv[0]!);
  if (group) {
    // A group word alone or with --help lists its commands; anything else after it is a typo.
    const asked = argv.length === 1 || argv.slice(1).every((a) => a === '--help' || a === '-h');
    if (asked && argv.length > 1) {
      process.stdout.write(group + '\n');
      return ExitCode.ok;
    }
    process.stderr.write(`error: ${argv.length === 1 ? `hil ${argv[0]} needs a command` : `unknown command: ${argv.slice(0, 2).join(' ')}`}\n\n${group}\n`);
    return ExitCode.usage;
  }
  if (!found) {
    process.stderr.write(`error: unknown command: ${argv.slice(0, 2).join(' ')}\n\n${overview()}\n`);
    return ExitCode.usage;
  }
  const { entry, rest } = found;
  const abort = new AbortController();
  let interrupts = 0;
  // Set once this command's modules are loaded (its drivers, yaml, zod …; never the others').
  let cmd: Command | undefined;
  const onSigint = () => {
    // Still loading (seconds on a Pi): no rig to make safe yet, exit 4 as bin/hil.js does before.
    if (!cmd) {
      process.stderr.write('\ninterrupted while starting: no rig was touched\n');
      process.exit(ExitCode.interrupted);
    }
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('\nsecond interrupt: exiting now, rig state not guaranteed\n');
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(cmd.rigless ? '\nstopping\n' : cmd.holds ? '\nreleasing: putting the rig in its safe state\n' : '\ninterrupted: putting the rig in its safe state (Ctrl-C again to force)\n');
    abort.abort(new InterruptedError());
  };
  // Before the first await: bin/hil.js hands signals over to this handler with no gap.
  claimSignals();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let out = makeOutput({});
  try {
    // The help module alone (text and option table) answers --help and a bad option: the
    // implementation, with its drivers and packages, loads only to run.
    const help = await entry.help().catch(notLoaded);
    const { values, positionals } = parseCommandArgs(help, rest);
    out = makeOutput(values);
    if (values.help) {
      process.stdout.write(helpText(help) + '\n');
      return ExitCode.ok;
    }
    cmd = await entry.load().catch(notLoaded);
    const code = await cmd.run({ values, positionals, out, signal: abort.signal });
    return abort.signal.aborted && !cmd.holds ? ExitCode.interrupted : code;
  } catch (err) {
    // A module that fails to load is a bug in hil: shown as it is (bin/hil.js), not as a rig error.
    if (err instanceof LoadFailure) throw err.cause;
    if (abort.signal.aborted) {
      out.error('interrupted');
      return ExitCode.interrupted;
    }
    if (err instanceof HilError) {
      out.error(err.message);
      return err.exitCode;
    }
    out.error((err as Error)?.stack ?? String(err));
    return ExitCode.rigUnavailable;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
