/**
 * What `hil doctor --help` shows and the options it parses, apart from the
 * implementation (./doctor.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const doctorHelp: CommandHelp = {
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
    'hil doctor --rig pi-pico-sfu',
    'hil doctor --rig rigs/pi-stm32f429-disco.yaml -v     # also lists the checks that do not apply',
    'hil doctor --rig pi-pico-sfu --json | jq \'.checks[] | select(.status == "fail") | .fix\'',
  ],
  options: { rig: { type: 'string' } },
};
