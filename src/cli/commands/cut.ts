import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../../core/errors.js';
import { limits, loadRig, parseTrigger, withTwinOverrides } from '../../config/index.js';
import { parseDuration } from '../../config/trigger.js';
import { openRig } from '../../rig/open-rig.js';
import { runCut, type CutResult } from '../../scenario/cut.js';
import { schemeAdapter } from '../../schemes/registry.js';
import { setupOption } from '../setup-option.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { cutSummary, reproCommand, reproTwin } from '../../report/cut-summary.js';
import { twinOverridesFrom } from './cut-twin.js';
import { cutHelp } from './cut.help.js';

const SAFE = ['updated', 'rolled-back'];

export const cutCommand: Command = {
  ...cutHelp,
  async run({ values, out, signal }) {
    const rigName = requireOption(values, 'rig', this);
    let trigger;
    try {
      trigger = parseTrigger(requireOption(values, 'trigger', this));
    } catch (err) {
      throw new UsageError(`--trigger: ${(err as Error).message}`);
    }
    const rigFile = await loadRig(rigName);
    const config = withTwinOverrides(rigFile, twinOverridesFrom(values, rigFile), '--variant');
    const from = await loadUpdateImage(resolve(requireOption(values, 'from', this)), config.scheme);
    const to = await loadUpdateImage(resolve(requireOption(values, 'to', this)), config.scheme);
    const previous = values.previous ? await loadUpdateImage(resolve(values.previous as string), config.scheme) : undefined;
    let second: number | undefined;
    if (values.second !== undefined) {
      try {
        second = parseDuration(values.second as string);
      } catch (err) {
        throw new UsageError(`--second: ${(err as Error).message}`);
      }
    }
    const offMs = numberOption(values, 'off-ms', config.power.offMs, { min: 0, max: limits.MAX_OFF_MS });
    const seed = numberOption(values, 'seed', config.twin?.seed ?? 1, { integer: true, min: 0, max: limits.MAX_SEED });
    const bootLoopCycles = numberOption(values, 'boot-loop-cycles', 0, { integer: true, min: 0, max: limits.MAX_BOOT_LOOP_CYCLES });
    const scheme = await schemeAdapter(config.scheme);
    const setup = setupOption(scheme, values);
    const spec = { trigger, offMs, seed, bootLoopCycles, setup, ...(second !== undefined && { second }) };
    out.info(`rig ${config.name}: cut at ${values.trigger}, off ${offMs} ms, seed ${seed}`);
    const rig = await openRig(config);
    let result: CutResult;
    // -v: the scenario's steps as they happen (baseline, update start/done, the cut), so a person
    // or a script watching stderr knows where a long cut is.
    const unsubscribe =
      out.level >= 2 ? rig.timeline.subscribe((e) => (e.source === 'scenario' || e.source === 'cut' ? out.verbose(`${e.source} ${e.kind}${e.detail ? `: ${e.detail}` : ''}`) : undefined)) : undefined;
    try {
      result = await runCut(rig, scheme, { from, to, ...(previous && { previous }) }, spec, { signal });
    } finally {
      unsubscribe?.();
      await rig.close();
    }
    const repro = reproCommand({ rig: config.file, twin: reproTwin(config.twin), from: from.file, to: to.file, ...(previous && { previous: previous.file }), ...spec });
    if (out.json) {
      out.printJson({
        rig: config.name,
        variant: result.variant,
        outcome: result.outcome,
        agree: result.verdict?.agree,
        fromConsole: result.verdict?.fromConsole,
        fromFlash: result.verdict?.fromFlash,
        reasons: result.verdict?.reasons ?? [],
        fire: result.fired ?? null,
        ...(result.secondCut && { secondCut: result.secondCut }),
        trigger: result.trigger,
        offMs,
        seed,
        update: result.update,
        rigError: result.rigError,
        images: { from: { file: from.file, sha256: from.sha256 }, to: { file: to.file, sha256: to.sha256 } },
        repro,
      });
    } else {
      out.data(cutSummary(result));
      out.info(`repro: ${repro}`);
      if (out.level >= 2) out.verbose(`console:\n${result.transcript}\n\ntimeline:\n${result.timeline}`);
    }
    if (result.outcome === 'rig-error') return ExitCode.rigUnavailable;
    return SAFE.includes(result.outcome) && result.verdict?.agree !== false ? ExitCode.ok : ExitCode.testFailures;
  },
};
