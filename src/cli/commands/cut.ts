import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../../core/errors.js';
import { limits, loadRig, parseTrigger, withTwinOverrides } from '../../config/index.js';
import { parseDuration } from '../../config/trigger.js';
import { schemeAdapter } from '../../schemes/registry.js';
import { setupOption } from '../setup-option.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { consoleTail, cutSummary, failureLines } from '../../report/cut-summary.js';
import { CUT_SAFE, cutExitCode, cutOnce } from './cut-once.js';
import { twinOverridesFrom, withTimeFactor } from './cut-twin.js';
import { viaOption } from './cut-via.js';
import { MAX_RETRY } from '../../config/suite-schema.js';
import { cutHelp } from './cut.help.js';
import { compatibleOption } from '../compatible-option.js';

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
    const config = withTimeFactor(withTwinOverrides(rigFile, twinOverridesFrom(values, rigFile), '--variant'), values);
    const from = await loadUpdateImage(resolve(requireOption(values, 'from', this)), config.scheme);
    const via = typeof values.via === 'string' ? viaOption(values.via) : undefined;
    const to = await loadUpdateImage(resolve(requireOption(values, 'to', this)), config.scheme, via);
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
    const retry = numberOption(values, 'retry', 0, { integer: true, min: 0, max: MAX_RETRY });
    const compatible = compatibleOption(values.compatible, config);
    const scheme = await schemeAdapter(config.scheme);
    const setup = setupOption(scheme, values);
    const spec = { trigger, offMs, seed, bootLoopCycles, setup, ...(second !== undefined && { second }), ...(retry > 0 && { retry }), ...(compatible && { compatible }) };
    out.info(`rig ${config.name}: cut at ${values.trigger}, off ${offMs} ms, seed ${seed}${retry ? `, up to ${retry} retries` : ''}`);
    const { result, repro } = await cutOnce({ config, scheme, images: { from, to, ...(previous && { previous }) }, spec, ...(rigFile.twin && { fileTwin: rigFile.twin }) }, { out, signal });
    if (out.json) {
      out.printJson({
        rig: config.name,
        variant: result.variant,
        outcome: result.outcome,
        ...(result.retries && {
          firstOutcome: result.firstOutcome,
          retries: result.retries.map(({ attempt, outcome, error, update }) => ({ attempt, outcome, ...(error !== undefined && { error }), update })),
        }),
        agree: result.verdict?.agree,
        fromConsole: result.verdict?.fromConsole,
        fromFlash: result.verdict?.fromFlash,
        reasons: result.verdict?.reasons ?? [],
        // A product: the versions run, the supported set they match, each member's verdict, the host's settled line.
        ...(result.verdict?.product && {
          product: {
            versions: result.verdict.product.versions,
            ...(result.verdict.product.supported && { supported: result.verdict.product.supported }),
            members: Object.fromEntries(
              Object.entries(result.verdict.product.members).map(([m, v]) => [m, { outcome: v.outcome, fromConsole: v.fromConsole, fromFlash: v.fromFlash, agree: v.agree }]),
            ),
            ...(result.verdict.product.settled && { settled: result.verdict.product.settled }),
          },
        }),
        fire: result.fired ?? null,
        ...(result.secondCut && { secondCut: result.secondCut }),
        trigger: result.trigger,
        offMs,
        seed,
        update: result.update,
        rigError: result.rigError,
        images: { from: { file: from.file, sha256: from.sha256 }, to: { file: to.file, sha256: to.sha256 }, ...(via && { via }) },
        repro,
      });
    } else {
      out.data(cutSummary(result));
      // A failing cut: what was wanted against what came, the device's last words, and the replay.
      if (cutExitCode(result) === ExitCode.testFailures) {
        out.data(
          [
            '',
            'FAILED',
            ...failureLines({
              expected: CUT_SAFE,
              seen: result.outcome,
              ...(result.verdict && { agree: result.verdict.agree }),
              console: consoleTail(result.transcript),
              cutLine: repro,
              indent: '  ',
            }),
          ].join('\n'),
        );
      } else out.info(`repro: ${repro}`);
      if (out.level >= 2) out.verbose(`console:\n${result.transcript}\n\ntimeline:\n${result.timeline}`);
    }
    return cutExitCode(result);
  },
};
