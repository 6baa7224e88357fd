import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadRig } from '../../config/index.js';
import type { LineEnding } from '../../drivers/console/open.js';
import { openRig } from '../../rig/open-rig.js';
import { requireOption, type Command } from '../command.js';
import { openTranscript, runTerminal } from '../terminal.js';

const LINE_ENDINGS: readonly LineEnding[] = ['lf', 'crlf', 'cr'];

export interface ConsoleIo {
  stdin: Readable;
  stdout: Writable;
}

/** `hil console` on the given streams (process.stdin/stdout by default; PassThroughs in tests). */
export function makeConsoleCommand(io?: ConsoleIo): Command {
  return {
    path: ['console'],
    summary: "an interactive terminal on a rig's console UART, with a timestamped transcript",
    usage: 'hil console --rig RIG [--power on|cycle] [--transcript FILE | --log-dir DIR] [--line-ending lf|crlf|cr]',
    details: `Connects the keyboard to the device's console as the rig file describes it (serial port by
/dev/serial/by-id path at its baud, 8N1; ser2net over TCP; or the twin) until Ctrl-] is pressed.
Device bytes reach the screen unchanged; Enter sends the rig's console.lineEnding. When the USB
adapter re-enumerates (a power cut), the terminal says so, drops keys typed meanwhile (they would
reach the rebooted device late), and reconnects to the same path within console.reconnectMs.
Ctrl-C is sent to the device; Ctrl-] quits.
It switches power only when asked (--power on: power the board once connected, to see it boot;
--power cycle: off for power.offMs, then on), except that a rig whose console adapter is powered by
the board (absent while it is off) powers it to find the port. On exit the rig goes to its safe
state like after every command (power off for safeState: off).

  --rig RIG              rig name (rigs/RIG.yaml) or path
  --power on|cycle       power the board once connected (on), or power-cycle it (cycle)
  --transcript FILE      write the transcript here: one line per device line, "[+12.345s] text",
                         plus "[hil] …" lines where the port went away and came back
  --log-dir DIR          write the transcript to DIR/console-RIG-TIMESTAMP.log instead
  --line-ending E        what Enter sends: lf, crlf or cr (default: console.lineEnding, else lf)`,
    examples: [
      'hil console --rig pi-pico-sfu --power cycle',
      'hil console --rig rigs/pi-stm32f429-disco.yaml --transcript stm32-boot.log --line-ending cr',
      'hil console --rig twin-rp2040-sfu --power on --log-dir logs/',
    ],
    options: {
      rig: { type: 'string' },
      transcript: { type: 'string' },
      'log-dir': { type: 'string' },
      'line-ending': { type: 'string' },
      power: { type: 'string' },
    },
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
