/**
 * What `hil pins --help` shows and the options it parses, apart from the
 * implementation (./pins.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const pinsHelp: CommandHelp = {
  path: ['pins'],
  summary: "set the rig's GPIO pins (BOOT straps, reset, relay) by name, or list them",
  usage: 'hil pins --rig RIG [NAME=0|1|pulse:DURATION]... [--for DURATION] [--json]',
  details: `Applies the assignments in order, then holds the pins until Ctrl-C or --for elapses (a GPIO line is
only driven while hil owns it), then returns every pin to its safe level and the power to the rig's
safe state. Levels are logical: 1 asserts the pin, so RESET=1 drives an activeLow reset LOW. pulse
asserts for the duration (default 100 ms), then deasserts. The relay pin is a pin like any other.
Without assignments, lists the rig's pins.

  --rig RIG        rig name (rigs/RIG.yaml) or path
  --for DURATION   hold this long instead of until Ctrl-C (30s, 500ms; 0 = do not hold)`,
  examples: [
    'hil pins --rig pi-stm32f429-disco relay=1 BOOT0=1 NRST=pulse:100ms   # start the ROM bootloader',
    'hil pins --rig pi-pico-sfu relay=1 RUN=pulse:50ms --for 0',
    'hil pins --rig pi-stm32f429-disco',
  ],
  options: { rig: { type: 'string' }, for: { type: 'string' } },
  holds: true,
};
