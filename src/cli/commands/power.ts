import { limits, loadRig } from '../../config/index.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { openRigControls } from '../../rig/open-controls.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { holdRig, parseHold } from '../rig-access.js';

const ACTIONS = ['on', 'off', 'cycle', 'sag'] as const;
type Action = (typeof ACTIONS)[number];

export const powerCommand: Command = {
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
  async run({ values, positionals, out, signal }) {
    const action = positionals[0] as Action;
    if (positionals.length !== 1 || !ACTIONS.includes(action)) {
      throw new UsageError(`expected one action: on, off or cycle, got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}\nusage: ${this.usage}`);
    }
    const config = await loadRig(requireOption(values, 'rig', this));
    const forMs = parseHold(values.for as string | undefined);
    const offMs = numberOption(values, 'off-ms', config.power.offMs, { min: 0, max: limits.MAX_OFF_MS });
    if (action === 'sag' && !(config.power.driver === 'supply' && config.power.sag)) {
      throw new UsageError(`sag: ${config.file} has no brownout to run (power.driver supply with a sag: section)`);
    }
    const rig = await openRigControls(config);
    try {
      const t0 = Date.now();
      if (action === 'on') await rig.power.on();
      else if (action === 'off') await rig.power.off();
      else if (action === 'cycle') await rig.power.cycle(offMs);
      else {
        await rig.power.on();
        await rig.power.cut!(offMs);
      }
      const switchedMs = Date.now() - t0;
      const done = action === 'cycle' ? `cycled (${offMs} ms off)` : action === 'sag' ? `sagged (held ${offMs} ms)` : action;
      out.info(`${config.name}: power ${done}, now ${rig.power.state}`);
      const heldMs = action === 'off' ? 0 : await holdRig(config, `power ${rig.power.state}`, forMs, signal, out);
      if (out.json) out.printJson({ ok: true, rig: config.name, action, state: rig.power.state, switchedMs, heldMs, events: rig.timeline.events });
      return ExitCode.ok;
    } finally {
      await rig.close();
    }
  },
};
