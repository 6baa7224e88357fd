/**
 * loop-check: extra plain power cycles after the recovery; each must bring up the same image
 * again. One that does not (another image, or none) is a boot loop, whatever the first boot said.
 */
import { observeBoot } from '../observe-boot.js';
import { confirmStable } from './stable-command.js';
import type { CutContext } from './context.js';
import { judgedResult } from './state-recovering.js';
import type { StateHandler } from './states.js';

export class LoopCheckState implements StateHandler {
  readonly state = 'loop-check' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { rig, spec, signal } = ctx;
    const { clock, console } = rig;
    const first = ctx.observation!.banner!;
    for (let i = 0; i < (spec.bootLoopCycles ?? 0); i++) {
      await rig.power.off();
      await clock.sleep(spec.offMs, signal);
      const line = console.lines.length;
      await rig.power.on();
      const again = await observeBoot(console, clock, { fromLine: line, timeoutMs: rig.config.boot.timeoutMs, ...(signal && { signal }) });
      await confirmStable(rig, again);
      if (again.banner?.line !== first.line) {
        ctx.verdict!.reasons.push(`power cycle ${i + 1}: ${again.banner ? `now runs ${again.banner.version} from slot ${again.banner.slot}` : `no banner (${again.state})`}`);
        ctx.outcome = 'boot-loop';
        break;
      }
    }
    judgedResult(ctx);
  }
}
