import { ScaledClock } from '../../core/clock.js';
import { ExitCode } from '../../core/errors.js';
import { loadRig } from '../../config/index.js';
import { createTwin, twinBanner } from '../../drivers/device/twin.js';
import { startTwinServer } from '../../drivers/console/twin-server.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { SFU_SLOTS } from '../../targets/rp2040.js';

export const twinServeCommand: Command = {
  path: ['twin', 'serve'],
  summary: 'serve a twin on a pseudo-terminal, so any SFU host can talk to it',
  usage: 'hil twin serve --rig RIG [--pace-baud 921600] [--image A.bin] [--reset-on-idle] [--power-signals] [--json]',
  details: `Starts the rig's twin on a real pty pair (socat) in real time and prints the host-side path as
the first line on stdout. Point any SFU uploader at it (hil sfu upload, Mirn's sfu-cli-uploader, a
script). The twin boots like the board: HWRESET, boot text, a ~2 s bootloader window, then its app.
Serves until Ctrl-C.

  --rig RIG          a twin rig (its variant, power-loss mode and seed are used)
  --pace-baud N      wire rate the twin receives and sends at (default: the rig's twin.paceBaud)
  --image FILE       factory image for slot A (default: firmware/app-v1.page2bin)
  --reset-on-idle    after the app has run 1 s with the host quiet, reset into the bootloader again
  --power-signals    SIGUSR1 cuts the twin's power, SIGUSR2 restores it: a stand-in for a relay, so a
                     bench rig file (serial console on this pty) can be driven end to end`,
  examples: ['hil twin serve --rig twin-rp2040-sfu', 'hil twin serve --rig twin-rp2040-sfu --reset-on-idle &\n  hil sfu upload --port "$(head -1 …)" firmware/app-v2.page2bin'],
  options: {
    rig: { type: 'string' },
    'pace-baud': { type: 'string' },
    image: { type: 'string' },
    'reset-on-idle': { type: 'boolean' },
    'power-signals': { type: 'boolean' },
  },
  async run({ values, out, signal }) {
    const config = await loadRig(requireOption(values, 'rig', this));
    const t = config.twin;
    if (!t) throw new (await import('../../core/errors.js')).UsageError(`${config.file}: not a twin rig (no twin: section)`);
    const paceBaud = numberOption(values, 'pace-baud', t.paceBaud, { integer: true, min: 1 });
    const image = await loadUpdateImage((values.image as string | undefined) ?? 'firmware/app-v1.page2bin');
    const clock = new ScaledClock(1);
    const device = createTwin(config.scheme, { clock, variant: t.variant, powerLoss: t.powerLoss, seed: t.seed });
    device.massErase();
    device.programMemory(SFU_SLOTS.A.base, image.slotImage.A ?? image.stream);
    const server = await startTwinServer(device, { paceBaud, resetOnIdle: !!values['reset-on-idle'] });
    const relay: [NodeJS.Signals, () => void][] = values['power-signals']
      ? [
          ['SIGUSR1', () => device.powered && device.powerOff()],
          ['SIGUSR2', () => !device.powered && device.powerOn()],
        ]
      : [];
    for (const [sig, fn] of relay) process.on(sig, fn);
    try {
      if (out.json) out.data(JSON.stringify({ path: server.hostPath, rig: config.name, variant: t.variant, paceBaud }));
      else out.data(server.hostPath);
      out.info(twinBanner(config.name, t.variant, paceBaud));
      server.onDeviceText((line) => out.verbose(`device: ${line}`));
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      for (const [sig, fn] of relay) process.off(sig, fn);
      await server.close();
    }
    return ExitCode.ok;
  },
};
