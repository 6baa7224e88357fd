/**
 * What `hil power --help` shows and the options it parses, apart from the
 * implementation (./power.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const powerHelp: CommandHelp = {
  path: ['power'],
  summary: "switch the rig's target power: on, off, cycle, or a brownout (sag)",
  usage: 'hil power on|off|cycle|sag --rig RIG [--for DURATION] [--off-ms N] [--json]',
  details: `Drives the rig's power driver (relay pin, uhubctl port, programmable supply or twin). A relay pin is
only driven while hil runs, so \`on\` and \`cycle\` hold the rig powered until Ctrl-C or --for elapses;
then the rig returns to its safe state (power.safeState, pins at their safe levels). \`off\` returns at
once. \`sag\` (a programmable supply with \`sag:\` in the rig file) powers the board, then runs the
brownout a scheduled cut would: down to sag.volts, held --off-ms, back to nominal; it reproduces a
brownout failure on demand. Exit 0 when the driver confirmed the switch.

  --rig RIG        rig name (rigs/RIG.yaml) or path
  --for DURATION   hold this long instead of until Ctrl-C (30s, 500ms, 2m; 0 = do not hold)
  --off-ms N       off time of a cycle, hold time of a sag (default power.offMs; never below minOffMs)`,
  examples: ['hil power cycle --rig pi-pico-sfu', 'hil power on --rig pi-stm32f429-disco --for 10m', 'hil power off --rig pi-nrf52840-dk --json', 'hil power sag --rig bench-psu --off-ms 40'],
  options: { rig: { type: 'string' }, for: { type: 'string' }, 'off-ms': { type: 'string' } },
  holds: true,
};
