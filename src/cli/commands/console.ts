import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadRig } from '../../config/index.js';
import type { LineEnding } from '../../drivers/console/open.js';
import { openRig } from '../../rig/open-rig.js';
import { requireOption, type Command } from '../command.js';
import { openTranscript, runTerminal } from '../terminal.js';
import { consoleHelp } from './console.help.js';

const LINE_ENDINGS: readonly LineEnding[] = ['lf', 'crlf', 'cr'];

export interface ConsoleIo {
  stdin: Readable;
  stdout: Writable;
}

/** `hil console` on the given streams (process.stdin/stdout by default; PassThroughs in tests). */
export function makeConsoleCommand(io?: ConsoleIo): Command {
  return {
    ...consoleHelp,
    async run({ values, out, signal }) {
      const rigName = requireOption(values, 'rig', this);
      if (out.json) throw new UsageError('hil console is interactive: --json is not supported');
      if (values.transcript !== undefined && values['log-dir'] !== undefined) throw new UsageError('--transcript and --log-dir: give one or the other');
      const config = await loadRig(rigName);
      const lineEnding = lineEndingOf(values['line-ending'], config.console);
      const power = values.power as string | undefined;
      if (power !== undefined && power !== 'on' && power !== 'cycle') throw new UsageError(`--power: expected on or cycle, got ${JSON.stringify(power)}`);
      const transcriptPath = await transcriptFile(values, config.name);
      // Before the rig opens: a bad path is a usage error with nothing touched.
      const transcript = transcriptPath ? await openTranscript(transcriptPath) : undefined;
      const stdin = io?.stdin ?? process.stdin;
      const stdout = io?.stdout ?? process.stdout;
      let rig;
      try {
        // An interactive terminal runs on the wall clock: a virtual-time twin would race ahead.
        rig = await openRig(config.twin && config.twin.timeFactor === 0 ? { ...config, twin: { ...config.twin, timeFactor: 1 } } : config);
      } catch (err) {
        transcript?.end();
        throw err;
      }
      try {
        out.info(`connected to ${rig.console.link.description} (rig ${config.name}), Ctrl-] to quit`);
        const started = runTerminal({
          console: rig.console,
          input: stdin,
          output: stdout,
          status: (text) => out.info(text),
          ...(transcript && { transcript }),
          lineEnding,
          signal,
          clock: rig.clock,
        });
        // After the terminal listens, so the first boot line is on screen.
        if (power === 'on') await rig.power.on();
        else if (power === 'cycle') await rig.power.cycle(config.power.offMs);
        const result = await started;
        if (result.reason === 'closed' && result.error) throw result.error;
        if (transcriptPath) out.info(`transcript: ${transcriptPath} (${result.lines} lines)`);
        return result.reason === 'aborted' ? ExitCode.interrupted : ExitCode.ok;
      } finally {
        await rig.close();
      }
    },
  };
}

export const consoleCommand: Command = makeConsoleCommand();

function lineEndingOf(option: unknown, console: object): LineEnding {
  const raw = option ?? (console as { lineEnding?: unknown }).lineEnding ?? 'lf';
  const from = option !== undefined ? '--line-ending' : 'console.lineEnding';
  if (!LINE_ENDINGS.includes(raw as LineEnding)) throw new UsageError(`${from}: expected lf, crlf or cr, got ${JSON.stringify(raw)}`);
  return raw as LineEnding;
}

async function transcriptFile(values: Record<string, unknown>, rig: string): Promise<string | undefined> {
  if (typeof values.transcript === 'string') return resolve(values.transcript);
  if (typeof values['log-dir'] !== 'string') return undefined;
  const dir = resolve(values['log-dir']);
  await mkdir(dir, { recursive: true }).catch((e: Error) => Promise.reject(new UsageError(`--log-dir ${values['log-dir']}: ${e.message}`)));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dir, `console-${rig}-${stamp}.log`);
}
