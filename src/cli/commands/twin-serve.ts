import { fileURLToPath } from 'node:url';
import { ScaledClock } from '../../core/clock.js';
import { ExitCode, RigError, UsageError } from '../../core/errors.js';
import { loadRig } from '../../config/index.js';
import { createTwin, twinBanner } from '../../drivers/device/twin.js';
import { TwinProbe } from '../../drivers/flasher/twin-probe.js';
import { startTwinServer } from '../../drivers/console/twin-server.js';
import { findScheme, schemeAdapter, SCHEMES } from '../../schemes/registry.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { twinServeHelp } from './twin-serve.help.js';

/** The sample images shipped in firmware/, found from the package, not the working directory. */
const FIRMWARE_DIR = fileURLToPath(new URL('../../../firmware/', import.meta.url));

export const twinServeCommand: Command = {
  ...twinServeHelp,
  async run({ values, out, signal }) {
    const config = await loadRig(requireOption(values, 'rig', this));
    const t = config.twin;
    if (!t) throw new UsageError(`${config.file}: not a twin rig (no twin: section)`);
    const scheme = findScheme(config.scheme);
    if (!scheme) throw new UsageError(`${config.file}: hil twin serve cannot serve scheme ${config.scheme} (it serves ${SCHEMES.map((s) => s.name).join(', ')})`);
    // Per scheme: what a host's update can do over the pty, and the factory image served by default.
    const served = scheme.twinServe;
    const paceBaud = numberOption(values, 'pace-baud', t.paceBaud, { integer: true, min: 1 });
    const resetOnIdle = !!values['reset-on-idle'];
    if (resetOnIdle && !served.idleReset) {
      throw new UsageError(`--reset-on-idle: ${config.file} is ${config.scheme}, where a reset opens no update window (${served.updates})`);
    }
    const image = await loadUpdateImage((values.image as string | undefined) ?? `${FIRMWARE_DIR}${scheme.samples.from}`, config.scheme);
    const clock = new ScaledClock(1);
    const device = createTwin(config.scheme, { clock, variant: t.variant, powerLoss: t.powerLoss, seed: t.seed });
    // The factory state, put there as the scheme's baseline puts it on a bench.
    const adapter = await schemeAdapter(config.scheme);
    try {
      await adapter.baseline(new TwinProbe(device), { from: image }, adapter.setups[0]!);
    } catch (err) {
      // The twin's flash cannot fail: what the baseline refuses is the image the user chose.
      if (err instanceof RigError) throw new UsageError(`--image: ${err.message}`);
      throw err;
    }
    if (signal.aborted) return ExitCode.ok;
    const server = await startTwinServer(device, { paceBaud, resetOnIdle });
    const relay: [NodeJS.Signals, () => void][] = values['power-signals']
      ? [
          ['SIGUSR1', () => device.powered && device.powerOff()],
          ['SIGUSR2', () => !device.powered && device.powerOn()],
        ]
      : [];
    for (const [sig, fn] of relay) process.on(sig, fn);
    try {
      if (out.json) out.data(JSON.stringify({ path: server.hostPath, rig: config.name, scheme: config.scheme, variant: t.variant, paceBaud }));
      else out.data(server.hostPath);
      out.info(twinBanner(config.name, t.variant, paceBaud));
      out.info(served.updates);
      if (server.lifeline === 'none') out.warn(`setpriv (util-linux) is missing: if this process is killed with SIGKILL, socat (pid ${server.socatPid}) stays behind`);
      server.onDeviceText((line) => out.verbose(`device: ${line}`));
      // Until Ctrl-C (the normal end), or until socat dies and takes the printed path with it.
      const lost = await new Promise<string | undefined>((resolve) => {
        if (signal.aborted) return resolve(undefined); // Ctrl-C while socat was starting
        signal.addEventListener('abort', () => resolve(undefined), { once: true });
        server.onLost(resolve);
      });
      if (lost !== undefined) throw new RigError(`${lost}. Hosts using it are cut off; start hil twin serve again for a new path.`);
    } finally {
      for (const [sig, fn] of relay) process.off(sig, fn);
      await server.close();
    }
    return ExitCode.ok;
  },
};
