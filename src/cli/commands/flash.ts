import { readImageFile } from '../../scenario/update-image.js';
import { extname, resolve } from 'node:path';
import { loadRig } from '../../config/index.js';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { OpenOcdProbe, openOcdError } from '../../drivers/flasher/openocd.js';
import { openOcdValueProblem } from '../../protocols/openocd/index.js';
import { openRigControls } from '../../rig/open-controls.js';
import { requireOption, type Command } from '../command.js';
import { FLASH_BASE, hex32, parseAddress } from '../rig-access.js';

/** Files that carry their own load addresses: openocd places them, an --address would be an offset. */
const PLACED = new Set(['.elf', '.hex', '.ihex', '.s19', '.srec']);

export const flashCommand: Command = {
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
