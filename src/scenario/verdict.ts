import type { Outcome } from '../config/vocabulary.js';
import type { BootObservation } from './observe-boot.js';
import type { FlashView } from '../schemes/scheme.js';
import type { UpdateImage } from './update-image.js';
import type { CompatibleSet } from '../config/version-pattern.js';
import { judgeProduct, type ProductVerdict } from './version-set.js';

/**
 * An outcome judged twice, from sources that do not share code: what the device said on its
 * console, and what its flash holds as `src/images/` reads it. They must agree.
 */
export interface Verdict {
  outcome: Outcome;
  fromConsole: Outcome;
  /** `not-inspected` on a bench without a probe: then the console is the only source. */
  fromFlash: Outcome | 'not-inspected';
  agree: boolean;
  reasons: string[];
  /** A product (several processors): each member's verdict and the versions they run together. */
  product?: ProductVerdict;
}

export interface JudgeOptions {
  /** The update had finished (the updater saw it committed) before the cut. */
  committed: boolean;
  /** What a silent console means for this scheme. */
  silence?: Outcome;
  /** A product's supported version sets (the suite's `compatible:`); absent: only the from and to sets. */
  compatible?: readonly CompatibleSet[];
  /** A product's host had accepted the update (`fota: accepted`) before the cut: it must finish it or say it failed. */
  accepted?: boolean;
}

/** Outcomes of a device that answers: reached through a last-resort boot path, they are `degraded`. */
const ANSWERING: readonly Outcome[] = ['waiting', 'updated', 'rolled-back'];

function throughFallback(outcome: Outcome, fallback: string | undefined): Outcome {
  return fallback !== undefined && ANSWERING.includes(outcome) ? 'degraded' : outcome;
}

/** What the console alone says happened. */
export function consoleOutcome(obs: BootObservation, from: UpdateImage, to: UpdateImage, silence: Outcome = 'bricked'): Outcome {
  return throughFallback(plainConsoleOutcome(obs, from, to, silence), obs.fallback);
}

function plainConsoleOutcome(obs: BootObservation, from: UpdateImage, to: UpdateImage, silence: Outcome): Outcome {
  if (obs.state === 'boot-loop') return 'boot-loop';
  if (obs.state === 'waiting') return 'waiting';
  if (obs.state === 'hung') return 'bricked';
  if (obs.state === 'silent') return silence;
  const v = obs.banner!.version;
  if (v === to.version) return 'updated';
  if (v === from.version) return 'rolled-back';
  return 'wrong-image';
}

/** What the flash alone says will run. */
export function flashOutcome(view: FlashView, from: UpdateImage, to: UpdateImage): Outcome {
  return throughFallback(plainFlashOutcome(view, from, to), view.fallback);
}

function plainFlashOutcome(view: FlashView, from: UpdateImage, to: UpdateImage): Outcome {
  if (!view.bootsNext) return view.noBootAs;
  if (!view.jumps) return view.stuckAs;
  const next = view.next ?? view.slots.find((s) => s.slot === view.bootsNext);
  if (!next) return 'wrong-image';
  if (next.matches === to.name) return 'updated';
  if (next.matches === from.name) return 'rolled-back';
  return 'wrong-image';
}

/**
 * A device that crashed and then stayed in its bootloader (seed 001's boot counter: three attempts,
 * then DFU mode) is `waiting`, and the crashes are what a lab needs to hear about.
 */
function crashReasons(obs: BootObservation): string[] {
  const dfu = obs.dfu;
  if (!dfu || dfu.afterCrashes === 0) return [];
  return [`the app crashed ${dfu.afterCrashes} time${dfu.afterCrashes === 1 ? '' : 's'}, then the bootloader entered DFU mode${dfu.reason ? ` (${dfu.reason})` : ''}`];
}

/**
 * Why a device came back through its last resort, from each source that says so: the lab needs
 * to hear it (one more fault there and it is bricked).
 */
function fallbackReasons(obs: BootObservation, view: FlashView): string[] {
  return [...(obs.fallback ? [`the bootloader fell back: "${obs.fallback}"`] : []), ...(view.fallback ? [`the flash says the bootloader falls back: ${view.fallback}`] : [])];
}

export function judge(obs: BootObservation, view: FlashView, from: UpdateImage, to: UpdateImage, opts: JudgeOptions = { committed: false }): Verdict {
  if (to.members) return judgeProduct(obs, view, from, to, opts, judgeMember);
  return judgeDevice(obs, view, from, to, opts);
}

/** One member of a product, judged as a single device: from both sources, or the console alone without a probe. */
function judgeMember(obs: BootObservation, view: FlashView | undefined, from: UpdateImage, to: UpdateImage, opts: JudgeOptions): Verdict {
  if (view) return judgeDevice(obs, view, from, to, opts);
  // The product's verdict says once that there is no probe.
  const v = judgeConsoleOnly(obs, from, to, opts);
  return { ...v, reasons: v.reasons.slice(1) };
}

function judgeDevice(obs: BootObservation, view: FlashView, from: UpdateImage, to: UpdateImage, opts: JudgeOptions): Verdict {
  const plain = plainConsoleOutcome(obs, from, to, opts.silence ?? 'bricked');
  const fromConsole = consoleOutcome(obs, from, to, opts.silence);
  const fromFlash = flashOutcome(view, from, to);
  const reasons: string[] = [...crashReasons(obs), ...fallbackReasons(obs, view)];
  let agree = fromConsole === fromFlash;
  if (obs.banner) {
    // The running slot must hold, bit for bit, the image whose banner it prints.
    const running = view.slots.find((s) => s.slot === obs.banner!.slot);
    const expected = plain === 'updated' ? to.name : plain === 'rolled-back' ? from.name : undefined;
    if (!running) reasons.push(`console says slot ${obs.banner.slot} runs, the dump has no such slot`);
    else {
      if (expected && running.matches !== expected) {
        reasons.push(`slot ${running.slot} runs ${obs.banner.version} but does not hold ${expected} bit-exactly (${running.matches ? 'holds ' + running.matches : 'no known image'})`);
        agree = false;
      }
      if (!running.valid) reasons.push(`slot ${running.slot} runs but is not valid: ${running.problems.join('; ') || 'no signature'}`);
      if (view.bootsNext !== running.slot) {
        reasons.push(`console says slot ${running.slot} runs, the flash says the bootloader selects ${view.bootsNext ?? 'no slot'}`);
        agree = false;
      }
    }
  } else if (fromFlash !== 'waiting' && fromFlash !== 'degraded' && (fromConsole === 'waiting' || fromConsole === 'degraded')) {
    reasons.push(`the device stays in its bootloader although slot ${view.bootsNext} looks bootable`);
  }
  if (fromConsole !== fromFlash) reasons.push(`console says ${fromConsole}, flash says ${fromFlash}`);
  // A device that runs something its own boot rules would not pick, or that is not bit-exact
  // the image it claims to be, runs the wrong image whatever each source says alone.
  let outcome: Outcome = agree ? fromConsole : obs.banner ? 'wrong-image' : fromConsole;
  if (opts.committed && outcome === 'rolled-back') {
    // The device had announced the new image as its boot choice: going back is a lost update.
    reasons.push(`the device committed ${to.name} before the cut, then booted ${from.name} again`);
    outcome = 'wrong-image';
  }
  return { outcome, fromConsole, fromFlash, agree, reasons };
}

/**
 * A bench without a probe has one source only. The verdict says so in its reasons; a committed
 * update that came back as the old image is still a lost update.
 */
export function judgeConsoleOnly(obs: BootObservation, from: UpdateImage, to: UpdateImage, opts: JudgeOptions): Verdict {
  if (to.members) {
    const v = judgeProduct(obs, undefined, from, to, opts, judgeMember);
    return { ...v, reasons: ['no probe on this rig: the flash was not inspected (console-only verdict)', ...v.reasons] };
  }
  const fromConsole = consoleOutcome(obs, from, to, opts.silence);
  const reasons = ['no probe on this rig: the flash was not inspected (console-only verdict)', ...crashReasons(obs), ...(obs.fallback ? [`the bootloader fell back: "${obs.fallback}"`] : [])];
  let outcome = fromConsole;
  if (opts.committed && outcome === 'rolled-back') {
    reasons.push(`the device committed ${to.name} before the cut, then booted ${from.name} again`);
    outcome = 'wrong-image';
  }
  return { outcome, fromConsole, fromFlash: 'not-inspected', agree: true, reasons };
}
