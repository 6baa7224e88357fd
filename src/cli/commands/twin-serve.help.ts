/**
 * What `hil twin serve --help` shows and the options it parses, apart from the
 * implementation (./twin-serve.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEMES } from '../../schemes/meta-registry.js';

export const twinServeHelp: CommandHelp = {
  path: ['twin', 'serve'],
  summary: 'serve a twin on a pseudo-terminal, so any SFU host can talk to it',
  usage: 'hil twin serve --rig RIG [--pace-baud 921600] [--image A.bin] [--reset-on-idle] [--power-signals] [--json]',
  details: `Starts the rig's twin on a real pty pair (socat) in real time and prints the host-side path as
the first line on stdout. Point any SFU uploader at it (hil sfu upload, Mirn's sfu-cli-uploader, a
script). The twin boots like the board. RP2040-SFU: HWRESET, boot text, a ~2 s bootloader window,
then its app. STM32F429 dual bank: the ROM starts the OTA app, which takes SFU uploads itself.
nRF52840 MCUboot: the boot log and the app (updates go through the probe, not this pty).
Serves until Ctrl-C (exit 0). If socat dies the path is gone: it says so and exits 3.

  --rig RIG          a twin rig (its scheme, variant, power-loss mode and seed are used)
  --pace-baud N      wire rate the twin receives and sends at (default: the rig's twin.paceBaud)
  --image FILE       factory image (default per scheme: ${SCHEMES.map((s) => `firmware/${s.samples.from}`).join(',\n                     ')})
  --reset-on-idle    RP2040-SFU only: whenever the app has sent nothing for 1 s, reset into the
                     bootloader again (bytes the app ignores, such as a host's INFO polls, do not
                     keep it awake), so a host started at any moment gets a bootloader window
  --power-signals    SIGUSR1 cuts the twin's power, SIGUSR2 restores it: a stand-in for a relay, so a
                     bench rig file (serial console on this pty) can be driven end to end`,
  examples: [
    'hil twin serve --rig twin-rp2040-sfu',
    'hil twin serve --rig twin-rp2040-sfu --reset-on-idle > /tmp/twin.path &\n  hil sfu upload --port "$(head -1 /tmp/twin.path)" firmware/app-v2.page2bin',
    'hil twin serve --rig twin-stm32f429-dualbank --json',
  ],
  options: {
    rig: { type: 'string' },
    'pace-baud': { type: 'string' },
    image: { type: 'string' },
    'reset-on-idle': { type: 'boolean' },
    'power-signals': { type: 'boolean' },
  },
  // Ctrl-C is how a served twin is stopped: exit 0, not 4.
  holds: true,
};
