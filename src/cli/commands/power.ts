import { limits, loadRig } from '../../config/index.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { openRigControls } from '../../rig/open-controls.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { holdRig, parseHold } from '../rig-access.js';
import { powerHelp } from './power.help.js';

const ACTIONS = ['on', 'off', 'cycle', 'sag'] as const;
type Action = (typeof ACTIONS)[number];

export const powerCommand: Command = {
  ...powerHelp,
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
