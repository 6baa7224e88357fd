/**
 * The session of a rig that did not open, under `onOpenError: 'record'`: what a suite needs to
 * record each of its cuts as broken, with the reason and the line that would replay it. Nothing
 * here touches hardware; every capability throws the open error.
 */
import { RigError } from '../core/errors.js';
import { formatTrigger, type RigConfig } from '../config/index.js';
import type { SchemeAdapter } from '../schemes/registry.js';
import { RigCutError } from './cut-error.js';
import { planCut } from './cut-plan.js';
import { imageCache } from './image-cache.js';
import type { RigSession } from './rig-session.js';

export function unopenedSession(config: RigConfig, scheme: SchemeAdapter, openError: RigError): RigSession {
  const images = imageCache(config.scheme);
  const notOpen = (member: string): never => {
    throw new RigError(`${config.file}: rig.${member}: the rig did not open: ${openError.message}`, { cause: openError });
  };
  return {
    name: config.name,
    config,
    openError,
    get rig() {
      return notOpen('rig');
    },
    get power() {
      return notOpen('power');
    },
    get console() {
      return notOpen('console');
    },
    get updater() {
      return notOpen('updater');
    },
    async cut(o) {
      const { spec, images: imgs, repro } = await planCut(config, scheme, o, images.get);
      // The CutResult of a cut that never started: no update, no transcript, the open error as its reason.
      throw new RigCutError(openError.message, {
        rig: config.name,
        ...(config.twin?.variant && { variant: config.twin.variant }),
        trigger: formatTrigger(spec.trigger),
        offMs: spec.offMs,
        seed: spec.seed,
        outcome: 'rig-error',
        update: { finished: false, committed: false, acked: 0, total: imgs.to.stream.length },
        rigError: openError.message,
        transcript: '',
        timeline: '',
        clockMs: 0,
        repro,
      });
    },
    inspect: async () => notOpen('inspect()'),
    close: async () => {},
  };
}
