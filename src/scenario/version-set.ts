/**
 * The verdict of a product (seed 000: several processors, one power switch): each member is judged
 * as a device of its own, from its console and its flash, as today; then the versions they run are
 * judged as a set. The product is only safe when every member runs a valid image and the set is
 * one the product supports (the suite's `compatible:`).
 *
 * - A member that is bricked, loops, waits or runs a wrong image makes the product that (the worst).
 * - Every member on its `to` version: updated; every one on its `from`: rolled-back; a mix the
 *   suite supports: rolled-back, with the mix named in the reasons (the product works, the update
 *   did not finish). A set `compatible:` does not list: version-mismatch. Without `compatible:`
 *   the only sets known to work are the two the suite ships: `from` and `to`.
 * - A lost update: the host accepted the update before the cut (`fota: accepted`: its record is
 *   persisted, so a cut must not lose it) or had finished it, and settles idle or failed short of
 *   the `to` set (the old set, or a supported mix): it dropped work it had promised, judged
 *   wrong-image as a single device's committed-then-rolled-back update is. A cut before `accepted`
 *   that ends on the old set is a plain rollback (the host never took the update).
 * - Every member runs but the host never settles within the boot timeout: stuck mid-update, `waiting`
 *   (an unsupported set stays version-mismatch).
 */
import type { Outcome } from '../config/vocabulary.js';
import { formatCompatibleSet, supportedBy, type CompatibleSet } from '../config/version-pattern.js';
import type { FlashView, UpdateImage } from '../schemes/scheme.js';
import type { BootObservation } from './observe-boot.js';
import type { JudgeOptions, Verdict } from './verdict.js';

/** What a product's verdict adds: each member's own verdict and the versions they run. */
export interface ProductVerdict {
  /** Member -> its verdict (console and flash), in scheme order. */
  members: Record<string, Verdict>;
  /** Member -> the version it runs (its banner; its flash's next image without a banner), when known. */
  versions: Record<string, string | undefined>;
  /** The supported set the versions match (`compatible[2] { host: 2.x, radio: 1.x }`), when one does. */
  supported?: string;
  /** The host's settled line, when it printed one. */
  settled?: string;
}

/** The host's line saying it took an update: its record is persisted, it must finish it or say it failed. */
const ACCEPTED = /^(?:[a-z][a-z0-9-]*\| ?)?fota: accepted\b/;

/** Whether a console line (merged `host| ...` or the host's own) is the host accepting an update. */
export function acceptedLine(text: string): boolean {
  return ACCEPTED.test(text.trim());
}

/** Member outcomes that end the product's judgement as they are, worst first. */
const MEMBER_FAILURES: readonly Outcome[] = ['bricked', 'boot-loop', 'wrong-image', 'waiting', 'degraded'];

/** The product's members, in the image's (the scheme's) order. */
export function productMembers(image: UpdateImage): string[] | undefined {
  return image.members ? Object.keys(image.members) : undefined;
}

/** One member's part of a product image, as the single-device judge takes an image. */
export function memberImage(image: UpdateImage, member: string): UpdateImage {
  const part = image.members?.[member];
  if (!part) throw new Error(`product image ${image.name} has no member ${member}`);
  return {
    name: `${image.name}:${member}`,
    file: image.file,
    scheme: image.scheme,
    stream: part.image,
    sha256: part.sha256,
    ...(part.version !== undefined && { version: part.version }),
    slotImage: { primary: part.image, secondary: part.image },
  };
}

/** A member's view with its slots named as a single device's (`primary`, not `radio:primary`). */
function ownView(view: FlashView, member: string): FlashView {
  const strip = (slot: string): string => (slot.startsWith(`${member}:`) ? slot.slice(member.length + 1) : slot);
  return { ...view, slots: view.slots.map((s) => ({ ...s, slot: strip(s.slot) })), bootsNext: view.bootsNext === null ? null : strip(view.bootsNext) };
}

/** A member's observation with no console lines at all (the merged console never named it). */
function unheard(): BootObservation {
  return { boots: 0, crashes: 0, bootloaderWaiting: false, bootloaderHung: false, heard: false, state: 'silent' };
}

/** The version a member runs: its banner's, else what its flash will start. */
function runningVersion(obs: BootObservation, view: FlashView | undefined): string | undefined {
  return obs.banner?.version ?? view?.next?.version ?? view?.slots.find((s) => s.slot === view.bootsNext)?.version;
}

/** The host's dfu-state record still holding an unfinished accepted update (PHOST's product reading), when it says so. */
type ProductFlashView = FlashView & { pending?: string };

type SingleJudge = (obs: BootObservation, view: FlashView | undefined, from: UpdateImage, to: UpdateImage, opts: JudgeOptions) => Verdict;

interface SetJudgement {
  outcome: Outcome;
  reasons: string[];
  supported?: CompatibleSet;
}

/**
 * The product's outcome from its members' outcomes (one source's, or the agreed ones), and the set
 * of versions they run.
 */
export function judgeSet(
  outcomes: Readonly<Record<string, Outcome>>,
  from: UpdateImage,
  to: UpdateImage,
  compatible: readonly CompatibleSet[] | undefined,
  running?: Readonly<Record<string, string | undefined>>,
): SetJudgement {
  const names = Object.keys(outcomes);
  const failure = MEMBER_FAILURES.find((o) => names.some((m) => outcomes[m] === o));
  if (failure) {
    return { outcome: failure, reasons: names.filter((m) => outcomes[m] === failure).map((m) => `${m} is ${failure}: the product is too`) };
  }
  const versions = Object.fromEntries(names.map((m) => [m, running?.[m] ?? (outcomes[m] === 'updated' ? to.members?.[m]?.version : from.members?.[m]?.version)]));
  const pair = names.map((m) => `${m}=${versions[m] ?? '?'}`).join(', ');
  const allTo = names.every((m) => outcomes[m] === 'updated');
  const allFrom = names.every((m) => outcomes[m] === 'rolled-back');
  if (!compatible) {
    if (allTo) return { outcome: 'updated', reasons: [] };
    if (allFrom) return { outcome: 'rolled-back', reasons: [] };
    const newer = names.filter((m) => outcomes[m] === 'updated');
    return {
      outcome: 'version-mismatch',
      reasons: [`runs ${pair}: ${newer.join(', ')} on the new image, the rest on the old, and the suite lists no compatible: sets (only the from and to sets are known to work)`],
    };
  }
  const set = supportedBy(compatible, versions);
  if (!set) return { outcome: 'version-mismatch', reasons: [`runs ${pair}: not a supported set (compatible: ${compatible.map(formatCompatibleSet).join(', ')})`] };
  const which = `compatible[${set.index}] ${formatCompatibleSet(set)}`;
  if (allTo) return { outcome: 'updated', reasons: [], supported: set };
  if (allFrom) return { outcome: 'rolled-back', reasons: [], supported: set };
  const newer = names.filter((m) => outcomes[m] === 'updated');
  const older = names.filter((m) => outcomes[m] === 'rolled-back');
  return {
    outcome: 'rolled-back',
    reasons: [`a supported mix (${which}): ${newer.map((m) => `${m} runs its new ${versions[m]}`).join(', ')}, ${older.map((m) => `${m} its old ${versions[m]}`).join(', ')}`],
    supported: set,
  };
}

/** The versions `host=<v> radio=<v>` a settled line reports. */
export function settledVersions(line: string): Record<string, string> {
  return Object.fromEntries([...line.matchAll(/\b([a-z][a-z0-9-]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Judges a product: `single` is the single-device judge (verdict.ts), applied per member; `view` is
 * undefined on a rig without a probe (console-only).
 */
export function judgeProduct(
  obs: BootObservation,
  view: ProductFlashView | undefined,
  from: UpdateImage,
  to: UpdateImage,
  opts: JudgeOptions,
  single: SingleJudge,
): Verdict & { product: ProductVerdict } {
  const names = productMembers(to) ?? productMembers(from) ?? [];
  const members: Record<string, Verdict> = {};
  const versions: Record<string, string | undefined> = {};
  const reasons: string[] = [];
  if (view && !view.members) reasons.push('the flash reading has no per-member views: each member is judged from its console only');
  for (const m of names) {
    const mObs = obs.members?.[m] ?? unheard();
    const mView = view?.members?.[m] ? ownView(view.members[m], m) : undefined;
    const verdict = single(mObs, mView, memberImage(from, m), memberImage(to, m), { committed: false, ...(opts.silence && { silence: opts.silence }) });
    members[m] = verdict;
    versions[m] = runningVersion(mObs, mView);
    reasons.push(...verdict.reasons.map((r) => `${m}: ${r}`));
  }
  const pick = (f: (v: Verdict) => Outcome | 'not-inspected'): Record<string, Outcome> =>
    Object.fromEntries(names.map((m) => [m, f(members[m]!) === 'not-inspected' ? members[m]!.fromConsole : (f(members[m]!) as Outcome)]));
  const agreed = judgeSet(
    pick((v) => v.outcome),
    from,
    to,
    opts.compatible,
    versions,
  );
  const fromConsole = judgeSet(
    pick((v) => v.fromConsole),
    from,
    to,
    opts.compatible,
  ).outcome;
  const fromFlash = view
    ? judgeSet(
        pick((v) => v.fromFlash),
        from,
        to,
        opts.compatible,
      ).outcome
    : 'not-inspected';
  reasons.push(...agreed.reasons);
  let outcome = agreed.outcome;
  if (obs.settled) {
    const said = settledVersions(obs.settled);
    for (const m of names) {
      const banner = obs.members?.[m]?.banner?.version;
      if (said[m] !== undefined && banner !== undefined && said[m] !== banner) reasons.push(`the host reports ${m}=${said[m]}, ${m}'s own banner says ${banner}`);
    }
    if (/^fota: failed\b/.test(obs.settled)) reasons.push(`the host gave up: "${obs.settled}"`);
  }
  const running = names.every((m) => obs.members?.[m]?.banner);
  const allFrom = names.every((m) => members[m]!.outcome === 'rolled-back');
  const where = allFrom ? 'the old versions' : `a mix (${names.map((m) => `${m}=${versions[m] ?? '?'}`).join(', ')})`;
  // Settled short of the new set: idle (nothing left to do) or failed (gave up).
  const gaveUp = obs.settled !== undefined && /^fota: (idle|failed)\b/.test(obs.settled);
  if (outcome === 'rolled-back' && opts.committed) {
    // The host had said the update was complete: coming back short of the new set is a lost update.
    reasons.push(`the host completed ${to.name} before the cut, then the product came back on ${where}`);
    outcome = 'wrong-image';
  } else if (outcome === 'rolled-back' && gaveUp && (opts.accepted || view?.pending)) {
    // Accepted = persisted: a cut must not lose it. The correct product resumes and finishes.
    const evidence = [opts.accepted && 'it had printed fota: accepted before the cut', view?.pending && `its flash still holds the update's record (${view.pending})`].filter(Boolean).join('; ');
    const how = /^fota: idle\b/.test(obs.settled!) ? `then settled idle at ${where}: an accepted update was lost (never resumed)` : `then gave up at ${where}: an accepted update was lost`;
    reasons.push(`the host accepted ${to.name} (${evidence}), ${how}`);
    outcome = 'wrong-image';
  } else if (running && !obs.settled && (outcome === 'updated' || outcome === 'rolled-back')) {
    // Every member answers, but the host neither finished nor gave up: the product is stuck mid-update.
    reasons.push('every member runs, but the host printed no settled line (fota: idle|complete|failed) within the boot timeout: it is stuck mid-update');
    outcome = 'waiting';
  } else if (running && !obs.settled) {
    reasons.push('every member runs, but the host printed no settled line (fota: idle|complete|failed) within the boot timeout');
  }
  const agree = names.every((m) => members[m]!.agree);
  return {
    outcome,
    fromConsole,
    fromFlash,
    agree,
    reasons,
    product: {
      members,
      versions,
      ...(agreed.supported && { supported: `compatible[${agreed.supported.index}] ${formatCompatibleSet(agreed.supported)}` }),
      ...(obs.settled && { settled: obs.settled }),
    },
  };
}
