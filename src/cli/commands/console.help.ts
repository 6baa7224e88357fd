/**
 * What `hil console --help` shows and the options it parses, apart from the
 * implementation (./console.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const consoleHelp: CommandHelp = {
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
};
