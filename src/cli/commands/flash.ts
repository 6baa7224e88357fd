import { readImageFile } from '../../scenario/update-image.js';
import { extname, resolve } from 'node:path';
import { loadRig } from '../../config/index.js';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { OpenOcdProbe, openOcdError } from '../../drivers/flasher/openocd.js';
import { openOcdValueProblem } from '../../protocols/openocd/index.js';
import { openRigControls } from '../../rig/open-controls.js';
import { requireOption, type Command } from '../command.js';
import { FLASH_BASE, parseAddress } from '../rig-access.js';
import { hex32 } from '../../core/hex.js';
import { flashHelp } from './flash.help.js';

/** Files that carry their own load addresses: openocd places them, an --address would be an offset. */
const PLACED = new Set(['.elf', '.hex', '.ihex', '.s19', '.srec']);

export const flashCommand: Command = {
  ...flashHelp,
  async run({ values, positionals, out, signal }) {
    const config = await loadRig(requireOption(values, 'rig', this));
    if (positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE, got ${positionals.length}\nusage: ${this.usage}`);
    const file = resolve(positionals[0]!);
    // Before the rig is powered: a name openocd's program would evaluate as TCL (issue 8, defect 2).
    const unsafe = openOcdValueProblem('image', file);
    if (config.probe?.driver === 'openocd' && unsafe) throw new UsageError(`image ${JSON.stringify(file)}: ${unsafe}; rename the file`);
    // A regular, non-empty file of bounded size (a FIFO or /dev/zero would hang openocd or us).
    const bytes = await readImageFile(file);
    const info = { size: bytes.length };
    const placed = PLACED.has(extname(file).toLowerCase());
    if (placed && values.address !== undefined) throw new UsageError(`--address: ${positionals[0]} carries its own addresses (an address would be an offset to them); drop --address`);
    const address = placed ? undefined : values.address === undefined ? FLASH_BASE[config.target] : parseAddress(values.address as string);
    const verify = !values['no-verify'];
    if (!config.probe) throw new ConfigError(`${config.file}: hil flash needs a probe: section (driver openocd)`);
    if (values.recover && config.target !== 'nrf52840') throw new UsageError(`--recover: APPROTECT recovery is nrf52840 only, and ${config.name} is ${config.target}`);

    const rig = await openRigControls(config);
    try {
      await rig.power.on();
      if (values.recover) {
        if (!(rig.probe instanceof OpenOcdProbe)) throw new UsageError('--recover: the twin has no APPROTECT');
        out.info(`${config.name}: APPROTECT recovery (erases the chip)…`);
        await rig.probe.recover({ signal });
      }
      if (values.erase) {
        out.info(`${config.name}: mass erase…`);
        await rig.probe!.massErase();
      }
      const where = address === undefined ? 'its own addresses' : hex32(address);
      out.info(`${config.name}: programming ${positionals[0]} (${info.size} bytes) at ${where}${verify ? ' with verify' : ''}…`);
      const t0 = Date.now();
      if (!(rig.probe instanceof OpenOcdProbe)) {
        // The twin's debug port takes raw bytes only.
        if (placed) throw new UsageError(`${positionals[0]}: the twin's probe programs raw binaries only`);
        await rig.probe!.program(address!, bytes);
        const result = { ok: true, rig: config.name, file, address: hex32(address!), bytes: info.size, outcome: 'ok', seconds: (Date.now() - t0) / 1000 };
        if (out.json) out.printJson(result);
        else out.data(`ok: ${info.size} bytes at ${hex32(address!)} (twin)`);
        return ExitCode.ok;
      }
      const r = await rig.probe.flash(file, address, { verify, signal });
      const result = {
        ok: r.ok,
        rig: config.name,
        file,
        address: address === undefined ? null : hex32(address),
        bytes: info.size,
        outcome: r.outcome,
        blame: r.blame,
        line: r.line,
        exitCode: r.exitCode ?? null,
        attempts: r.attempts,
        seconds: r.durationMs / 1000,
      };
      if (!r.ok) out.verbose(r.log);
      if (out.json) out.printJson(result);
      else if (r.ok) out.data(`ok: ${info.size} bytes at ${where}${verify ? ', verified' : ''} in ${result.seconds.toFixed(1)} s`);
      const err = openOcdError(`${config.name}: flash ${positionals[0]}`, r);
      if (!err) return ExitCode.ok;
      if (signal.aborted) return ExitCode.interrupted;
      out.error(err.message);
      return err.exitCode;
    } finally {
      await rig.close();
    }
  },
};
