/**
 * What `hil flash --help` shows and the options it parses, apart from the
 * implementation (./flash.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const flashHelp: CommandHelp = {
  path: ['flash'],
  summary: "program an image through the rig's debug probe (OpenOCD), with verify",
  usage: 'hil flash --rig RIG IMAGE [--address A] [--no-verify] [--erase] [--recover] [--json]',
  details: `Powers the target, writes IMAGE with \`program … verify\` through the rig's probe, and puts the rig
back in its safe state. A raw binary (.bin) goes to --address, by default the start of the target's
flash (rp2040 0x10000000, stm32f429 0x08000000, nrf52840 0x0); an ELF or HEX file goes where its own
addresses say. OpenOCD's result is classified: a probe that is missing, a target that does not answer or
a timeout is the rig's fault (exit 3); a verify mismatch or a flash error is the device's (exit 1).
"no flash bank found" is a failure even though openocd exits 0.

  --rig RIG        rig name (rigs/RIG.yaml) or path
  --address A      load address of a raw binary (0x08020000)
  --no-verify      skip the read-back (verify needs a target that can read memory)
  --erase          mass-erase the chip first (stm32: both banks; nrf52: NVMC ERASEALL; rp2040: the QSPI flash)
  --recover        nrf52840 only: APPROTECT recovery first (ERASEALL through CTRL-AP: the chip is erased)`,
  examples: [
    'hil flash --rig pi-stm32f429-disco firmware/stm32-app-v1.bin',
    'hil flash --rig pi-stm32f429-disco --address 0x08100000 bank2.bin',
    'hil flash --rig pi-nrf52840-dk zephyr.hex --json | jq .outcome',
    'hil flash --rig pi-nrf52840-dk --recover mcuboot.hex   # a locked chip: "AP lock engaged"',
  ],
  options: { rig: { type: 'string' }, address: { type: 'string' }, 'no-verify': { type: 'boolean' }, erase: { type: 'boolean' }, recover: { type: 'boolean' } },
};
