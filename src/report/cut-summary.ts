import { relative } from 'node:path';
import { formatTrigger, type Trigger } from '../config/trigger.js';
import type { CutResult } from '../scenario/cut.js';
import { retryChain } from './retry-chain.js';
import type { Verdict } from '../scenario/verdict.js';
import { formatCompatibleText, type CompatibleSet } from '../config/version-pattern.js';

/** A twin's bootloader variant and power-loss mode, as a repro line needs them. */
export interface ReproTwin {
  variant?: string;
  powerLoss?: string;
}

/**
 * The twin settings a repro line must carry: those that differ from what `--rig` gives by itself,
 * the rig file's twin section (`base`), or when it is not known a twin section's defaults (variant
 * correct, power loss random). A suite's `variant:` / `powerLoss:` on a rig entry lands here, so
 * the line cuts the same bootloader the same way; a plain twin rig's line stays short. With `base`,
 * `--variant correct` on a rig file that runs a seeded bug stays on the line.
 */
export function reproTwin(twin: ReproTwin | undefined, base?: ReproTwin): ReproTwin {
  if (!twin) return {};
  const variant = base?.variant ?? 'correct';
  const powerLoss = base?.powerLoss ?? 'random';
  return {
    ...(twin.variant !== undefined && twin.variant !== variant && { variant: twin.variant }),
    ...(twin.powerLoss !== undefined && twin.powerLoss !== powerLoss && { powerLoss: twin.powerLoss }),
  };
}

/** The one-line command that replays a cut exactly. */
export function reproCommand(c: {
  rig: string;
  /** Twin overrides (see reproTwin): `--variant` / `--power-loss`. */
  twin?: ReproTwin;
  from: string;
  to: string;
  previous?: string;
  /** Images a multi-stage update sends before `to`: `--via`. */
  via?: readonly string[];
  trigger: Trigger;
  offMs: number;
  seed: number;
  bootLoopCycles?: number;
  setup?: string;
  second?: number;
  /** Retries of the update after the recovery (a suite's `retry:`). */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`). */
  compatible?: readonly CompatibleSet[];
}): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const q = (s: string) => (/^[\w./:%@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'hil cut',
    `--rig ${q(rel(c.rig))}`,
    ...(c.twin?.variant !== undefined ? [`--variant ${q(c.twin.variant)}`] : []),
    ...(c.twin?.powerLoss !== undefined ? [`--power-loss ${q(c.twin.powerLoss)}`] : []),
    `--from ${q(rel(c.from))}`,
    `--to ${q(rel(c.to))}`,
    ...(c.previous ? [`--previous ${q(rel(c.previous))}`] : []),
    ...(c.via?.length ? [`--via ${c.via.map((f) => q(rel(f))).join(',')}`] : []),
    ...(c.setup && c.setup !== 'default' ? [`--setup ${q(c.setup)}`] : []),
    `--trigger ${q(formatTrigger(c.trigger))}`,
    `--off-ms ${c.offMs}`,
    `--seed ${c.seed}`,
    ...(c.second !== undefined ? [`--second ${c.second}ms`] : []),
    ...(c.bootLoopCycles ? [`--boot-loop-cycles ${c.bootLoopCycles}`] : []),
    ...(c.retry ? [`--retry ${c.retry}`] : []),
    ...(c.compatible?.length ? [`--compatible ${q(formatCompatibleText(c.compatible))}`] : []),
  ].join(' ');
}

/** A product's running versions: `host=2.0.0 radio=1.0.0`. */
export function productVersions(v: Verdict): string | undefined {
  const p = v.product;
  if (!p) return undefined;
  return Object.entries(p.versions)
    .map(([m, ver]) => `${m}=${ver ?? '?'}`)
    .join(' ');
}

/**
 * A product's verdict beyond the outcome: the versions it runs and the supported set they match
 * (or not), each member's own verdict from both sources, and the host's settled line.
 */
export function productLines(v: Verdict | undefined): string[] {
  const p = v?.product;
  if (!v || !p) return [];
  const set = p.supported ? ` (supported: ${p.supported})` : v.outcome === 'version-mismatch' ? ' (not a supported set)' : '';
  const width = Math.max(...Object.keys(p.members).map((m) => m.length));
  return [
    `versions: ${productVersions(v)}${set}`,
    ...Object.entries(p.members).map(([m, mv]) => `  ${`${m}:`.padEnd(width + 1)} ${mv.outcome} (console ${mv.fromConsole}, flash ${mv.fromFlash}${mv.agree ? '' : ', disagree'})`),
    ...(p.settled ? [`settled: ${p.settled}`] : []),
  ];
}

/** A few human lines about one cut. */
export function cutSummary(r: CutResult): string {
  const lines = [`outcome: ${r.outcome}${r.verdict && !r.verdict.agree ? ' (console and flash disagree)' : ''}`];
  if (r.fired) {
    lines.push(
      `fired:   ${r.fired.forced ? '(forced: the update failed first) ' : ''}${r.fired.offsetMs.toFixed(3)} ms after update start, ${r.fired.acked}/${r.update.total} bytes acked, updater phase ${r.fired.phase}${r.fired.devicePhase ? `, device phase ${r.fired.devicePhase}` : ''}`,
    );
  }
  const chain = retryChain(r);
  if (chain) {
    lines.push(`retried: ${chain}`);
    for (const x of r.retries ?? []) if (x.error !== undefined) lines.push(`  - retry ${x.attempt}: ${x.error}`);
  }
  if (r.verdict) lines.push(`console: ${r.verdict.fromConsole}${r.observation?.banner ? ` (${r.observation.banner.line})` : ''}`, `flash:   ${r.verdict.fromFlash}`);
  lines.push(...productLines(r.verdict));
  for (const reason of r.verdict?.reasons ?? []) lines.push(`  - ${reason}`);
  if (r.update.error) lines.push(`update:  ${r.update.error}`);
  if (r.rigError) lines.push(`rig error: ${r.rigError}`);
  // The slot table is the flash half of the verdict: said as such, so it is not read as the baseline's.
  if (r.flash) lines.push('', `flash slots, read through the probe after the ${chain ? 'last retry' : 'recovery'}:`, r.flash.table);
  return lines.join('\n');
}

/** What the console saw run: `rolled-back (1.0.0 from slot A)`. */
export function consoleSays(r: CutResult): string {
  const banner = r.observation?.banner;
  return `${r.verdict?.fromConsole ?? '-'}${banner ? ` (${banner.version} from slot ${banner.slot})` : ''}`;
}

/** What the flash says will run: `rolled-back (boots slot A next: holds app-v1.page2bin 1.0.0)`. */
export function flashSays(r: CutResult): string {
  const from = r.verdict?.fromFlash ?? '-';
  const view = r.flash;
  if (!view) return from;
  if (!view.bootsNext) return `${from} (no slot boots next)`;
  // A product: each member's slot boots next, the versions together.
  if (view.members) return `${from} (boots ${view.bootsNext} next${view.next?.version ? `: ${view.next.version}` : ''}${view.next && !view.next.valid ? ', not valid' : ''})`;
  const slot = view.slots.find((s) => s.slot === view.bootsNext);
  const holds = slot ? `: holds ${slot.matches ?? 'no known image'}${slot.version ? ` ${slot.version}` : ''}${slot.valid ? '' : ', not valid'}` : '';
  return `${from} (boots slot ${view.bootsNext} next${holds})`;
}

/**
 * A failed cut's message, the first thing a report shows: the outcomes wanted, the one seen and
 * why, then what each source said and where the cut landed. Replaces a diff of booleans
 * (`"safe": true → false`) that said none of it.
 */
export function expectationMessage(r: CutResult, expected: readonly string[]): string {
  const v = r.verdict;
  const why = v?.reasons.length ? v.reasons.join('; ') : v ? `console says ${v.fromConsole}, flash says ${v.fromFlash}` : (r.rigError ?? 'no verdict');
  const lines = [`expected one of ${expected.join(', ')}; saw ${r.outcome}${v && !v.agree ? ' (console and flash disagree)' : ''}: ${why}`];
  const chain = retryChain(r);
  if (chain) lines.push(`retried after the recovery: ${chain}${(r.retries ?? []).flatMap((x) => (x.error !== undefined ? [`; retry ${x.attempt}: ${x.error}`] : [])).join('')}`);
  if (v) lines.push(`console says ${consoleSays(r)}; flash says ${flashSays(r)}${chain ? ' (after the last retry)' : ''}`);
  if (v?.product)
    lines.push(
      productLines(v)
        .map((l) => l.trim())
        .join('; '),
    );
  if (r.fired) {
    const phases = [`updater phase ${r.fired.phase}`, r.fired.devicePhase && `device phase ${r.fired.devicePhase}`].filter(Boolean).join(', ');
    lines.push(
      `${r.fired.forced ? 'forced cut (the update failed first)' : 'cut'} at ${r.fired.offsetMs.toFixed(3)} ms after the update's start, ${r.fired.acked}/${r.update.total} bytes acked, ${phases}`,
    );
  }
  if (r.secondCut) lines.push(`second cut ${r.secondCut.afterMs} ms after power returned${r.secondCut.devicePhase ? `, device phase ${r.secondCut.devicePhase}` : ''}`);
  return lines.join('\n');
}

/** How many console lines a failure shows: the device's last words, not its whole boot. */
export const CONSOLE_TAIL = 8;

/** The last `n` non-empty lines of a console transcript. */
export function consoleTail(transcript: string, n = CONSOLE_TAIL): string[] {
  return (
    transcript
      .split('\n')
      .map((l) => l.trimEnd())
      // A stamp alone ("[   10.3371]") is an empty device line: it says nothing in a tail of eight.
      .filter((l) => l.replace(/^\[\s*[\d.]+\]/, '').trim() !== '')
      .slice(-n)
  );
}

/**
 * What a failing cut shows in the terminal, under its summary: the outcomes that were wanted and
 * the one seen, the device's last console lines, and the commands that replay it (`hil repro ID`
 * when the cut has a recorded result, and the full `hil cut` line).
 */
export function failureLines(f: {
  expected: readonly string[];
  seen: string;
  agree?: boolean;
  reasons?: readonly string[];
  console: readonly string[];
  resultFile?: string;
  reproId?: string;
  /** `hil repro` options beyond the id (e.g. --results DIR). */
  reproArgs?: string;
  cutLine?: string;
  indent?: string;
}): string[] {
  const i = f.indent ?? '';
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r === '' || r.startsWith('..') ? p : r;
  };
  const lines = [`${i}expected: ${f.expected.join(' | ')}`, `${i}seen:     ${f.seen}${f.agree === false ? ' (console and flash disagree)' : ''}`];
  for (const r of f.reasons ?? []) lines.push(`${i}  - ${r}`);
  if (f.console.length) lines.push(`${i}console (last ${f.console.length} lines):`, ...f.console.map((l) => `${i}  ${l}`));
  if (f.resultFile) lines.push(`${i}result:   ${rel(f.resultFile)}${f.reproId ? ` (repro id ${f.reproId})` : ''}`);
  if (f.reproId) lines.push(`${i}repro:    hil repro ${f.reproId}${f.reproArgs ? ` ${f.reproArgs}` : ''}`);
  if (f.cutLine) lines.push(`${i}${f.reproId ? '          ' : 'repro:    '}${f.cutLine}`);
  return lines;
}
