/**
 * What `hil cut --help` shows and the options it parses, apart from the
 * implementation (./cut.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEMES } from '../../schemes/meta-registry.js';

export const cutHelp: CommandHelp = {
  path: ['cut'],
  summary: 'one reproducible power cut during an update, judged from console and flash',
  usage:
    'hil cut --rig RIG --from A.bin --to B.bin --trigger TRIGGER [--variant V] [--power-loss MODE] [--second 300ms] [--setup S] [--previous OLD.bin] [--via U.bin,L.bin] [--off-ms N] [--seed N] [--boot-loop-cycles N] [--retry N] [--compatible SETS] [--time-factor X] [--json]',
  details: `Puts image A on the device (probe), starts the update to B, cuts power when the trigger fires,
restores it after --off-ms, waits for the device and classifies the outcome: updated, rolled-back,
waiting, degraded, bricked, wrong-image, version-mismatch, boot-loop (or rig-error). A product of several
processors (a rig with mcus:) is judged per member, then as a version set: version-mismatch when each
member runs a valid image but the pair is not one the suite's compatible: lists. Same rig, images, trigger
and seed give the same cut: this is the command a report's repro line runs.

  --rig RIG              rig name (rigs/RIG.yaml) or path
  --from FILE            baseline image (RAW or BIN2Page)
  --to FILE              update image
  --trigger T            after:1500ms | progress:37% | progress:64KiB | console:/CRC OK/#1+20ms | marker:120+82ms
  --variant V            twin rigs: the bootloader variant (a seeded bug), as a suite's variant: on a rig entry
  --power-loss MODE      twin rigs: what the cut does to a flash op in progress: skip | complete | torn | random
  --off-ms N             power-off time (default: the rig's power.offMs)
  --seed N               seed for the twin's power-loss choices (default: the rig's twin.seed)
  --second T             cut a second time, T after power returned (during the recovery: a resumed swap)
  --setup S              the scheme's baseline setup (${SCHEMES.filter((s) => s.setups.length > 1)
    .map((s) => `${s.name}: ${s.setups.join(' | ')}`)
    .join('; ')})
  --previous FILE        an older image the baseline puts in the other slot
  --via FILES            images sent before --to, comma-separated, each a whole transfer: a multi-stage
                         update (a suite's images.via), cut and retried as one update
  --boot-loop-cycles N   extra power cycles after recovery that must keep the same image (default 0)
  --retry N              after the recovery, send the same update again up to N times while the device
                         is waiting or rolled-back (a suite's retry:); judged after the last (default 0)
  --compatible SETS      a product's supported version sets (a suite's compatible:), e.g.
                         'host 1.x, radio 1.x; host 1.x, radio 2.x; host 2.x, radio 2.x'; default: only the
                         from and the to set
  --time-factor X        twin rigs: the twin's pace instead of the rig file's twin.timeFactor
                         (0 virtual time, 1 the real device's pace)`,
  examples: [
    'hil cut --rig twin-rp2040-sfu --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --trigger progress:37%',
    'hil cut --rig twin-rp2040-sfu-bug-sign-before-flush --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --trigger "console:/SIGNED/" --json',
  ],
  options: {
    rig: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    trigger: { type: 'string' },
    'off-ms': { type: 'string' },
    seed: { type: 'string' },
    'boot-loop-cycles': { type: 'string' },
    second: { type: 'string' },
    setup: { type: 'string' },
    previous: { type: 'string' },
    via: { type: 'string' },
    variant: { type: 'string' },
    'power-loss': { type: 'string' },
    retry: { type: 'string' },
    'time-factor': { type: 'string' },
    compatible: { type: 'string' },
  },
};
