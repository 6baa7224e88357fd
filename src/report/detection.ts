/**
 * The detection table: per scheme and bootloader variant, every op state its sweeps tried, how
 * many of them catch it (the window, as tardigrade reports its 9.7 % / 33 % / 100 %), the
 * outcomes, and the first catching point with the command that replays it. A correct bootloader
 * is "caught" when any point ended outside the suite's safe outcomes: a false alarm or a real bug
 * in the reference design, and either way the campaign fails.
 */
import type { DetectPlan, DetectUse } from '../scenario/detect/plan.js';
import type { DetectRunResult, DetectSweepOutcome } from '../scenario/detect/run-detect.js';
import type { DetectPointOutcome, ReplayOutcome } from '../scenario/detect/tasks.js';
import type { Recording } from '../scenario/sweep/recording.js';
import { knownFor, type KnownWeakness } from '../config/suite-schema.js';
import { textTable } from '../core/text-table.js';

type SweepOp = Recording['ops'][number];

/** Where the first catch of a row came from and how to replay it. */
export interface FirstCatch {
  suite: string;
  /** `OP:MODE[:FRACTION][@MS]` (`hil sweep --point`'s form; `OP:after@MS` for the settled point), or the replayed cut's trigger. */
  point: string;
  /** The op: kind, target, address+length, stage/phase (sweep points). */
  where?: string;
  outcome: string;
  reasons: string[];
  source: 'sweep' | 'second-cut replay';
  /** The command that replays it: `hil sweep … --point P` for a sweep point, the suite's `hil cut` line for a second-cut replay. */
  repro?: string;
  /** A sweep point's full replay: the `hil cut` line of the same cut (the engine and runCut agree: the sweep-equivalence test). */
  cut?: string;
}

/** Points an accepted weakness (a suite's `expect.known` entry) explains: reported as known, never as catching. */
export interface KnownHit {
  suite: string;
  suiteFile: string;
  known: KnownWeakness;
  /** Points it explained in this row. */
  points: number;
  /** The earliest of them (time order), with the lines that replay it. */
  first: Omit<FirstCatch, 'source'>;
}

export interface DetectionRow {
  scheme: string;
  variant: string;
  buggy: boolean;
  /** Op states tried: every sweep point of the variant's sweeps (each distinct sweep and safe set once). */
  points: number;
  /** Of those, the ones ending outside the safe outcomes. */
  catching: number;
  /** catching / points, in percent (0 when nothing was tried). */
  windowPercent: number;
  /** The second pass: decision ops torn at every write unit (included in points and catching). */
  decision: { ops: number; points: number; catching: number };
  /** Double cuts (a cut, then a second in the recovery it starts; included in points and catching). */
  double: { points: number; catching: number };
  /** The suites' second-cut points replayed in full (not in points: they are replays of the suites' own cuts). */
  secondCuts: { cuts: number; catching: number };
  outcomes: Record<string, number>;
  /** Points outside the safe outcomes that a known weakness explains (not in catching). */
  known: { points: number; hits: KnownHit[] };
  caught: boolean;
  /** Sweeps or replays the rig could not run: never a detection either way. */
  rigErrors: number;
  errors: string[];
  first?: FirstCatch;
}

export interface DetectionRepros {
  /** `hil sweep --point` and `hil cut` lines of a sweep point. */
  point(use: DetectUse, sweep: DetectSweepOutcome, r: DetectPointOutcome): { repro?: string; cut?: string };
  replay(use: DetectUse, r: ReplayOutcome): string | undefined;
}

/** A point as `hil sweep --point` takes it: fractions in full (the shortest text that reads back as the same number), so the line rebuilds the very state; a double point's second cut after a slash. */
export function pointLabel(r: Pick<DetectPointOutcome, 'point'>): string {
  const p = r.point;
  const cut = (c: { op: number; mode: string; fraction?: number }) => `${c.op}:${c.mode}${c.fraction !== undefined ? `:${String(c.fraction)}` : ''}`;
  return `${cut(p)}${p.atMs !== undefined ? `@${String(p.atMs)}` : ''}${p.second ? `/${cut(p.second)}` : ''}`;
}

export function opWhere(op: SweepOp): string {
  return `${op.kind} ${op.target} @0x${op.address.toString(16)}+${op.length}, ${op.stage === 'reboot' ? 'after the reset' : op.stage}${op.phase ? `/${op.phase}` : ''}`;
}

export function detectionRows(plan: DetectPlan, run: DetectRunResult, repros: DetectionRepros): DetectionRow[] {
  const rows = new Map<string, DetectionRow>();
  const counted = new Set<string>();
  const rowOf = (u: DetectUse) => {
    const key = `${u.scheme}/${u.variant}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        scheme: u.scheme,
        variant: u.variant,
        buggy: u.buggy,
        points: 0,
        catching: 0,
        windowPercent: 0,
        decision: { ops: 0, points: 0, catching: 0 },
        double: { points: 0, catching: 0 },
        secondCuts: { cuts: 0, catching: 0 },
        outcomes: {},
        known: { points: 0, hits: [] },
        caught: false,
        rigErrors: 0,
        errors: [],
      };
      rows.set(key, row);
    }
    return row;
  };
  for (const u of plan.uses) {
    const row = rowOf(u);
    const once = `${u.sweep}\n${[...u.safe].sort().join(',')}\n${JSON.stringify(u.known ?? [])}`;
    if (counted.has(once)) continue;
    counted.add(once);
    const sweep = run.sweeps.get(u.sweep);
    if (!sweep || sweep.error) {
      row.rigErrors++;
      row.errors.push(`${u.suite}: ${sweep?.error ?? 'the sweep did not run'}`);
      continue;
    }
    const decision = new Set(sweep.decisionOps);
    row.decision.ops += decision.size;
    for (const r of sweep.results) {
      row.points++;
      row.outcomes[r.outcome] = (row.outcomes[r.outcome] ?? 0) + 1;
      const second = r.decision === true;
      if (second) row.decision.points++;
      if (r.double) row.double.points++;
      if (u.safe.includes(r.outcome)) continue;
      const op = sweep.recording?.ops[r.point.op];
      const then = r.point.second ? `; then cut ${r.point.second.mode} at op ${r.point.second.op} of the recovery it starts` : '';
      const where = op && { where: r.settled ? `settled: after every op, the host having seen the update done` : `${opWhere(op)}${then}` };
      const known = knownFor(u.known, op, r.point, r.outcome);
      if (known) {
        row.known.points++;
        let hit = row.known.hits.find((h) => h.suiteFile === u.suiteFile && h.known.index === known.index);
        if (!hit) {
          const first = { suite: u.suite, point: pointLabel(r), ...where, outcome: r.outcome, reasons: r.reasons, ...definedOnly(repros.point(u, sweep, r)) };
          row.known.hits.push((hit = { suite: u.suite, suiteFile: u.suiteFile, known, points: 0, first }));
        }
        hit.points++;
        continue;
      }
      row.catching++;
      if (second) row.decision.catching++;
      if (r.double) row.double.catching++;
      row.caught = true;
      row.first ??= {
        suite: u.suite,
        point: pointLabel(r),
        ...where,
        outcome: r.outcome,
        reasons: r.reasons,
        source: 'sweep',
        ...definedOnly(repros.point(u, sweep, r)),
      };
    }
  }
  for (const rep of run.replays) {
    const u = plan.uses[rep.use]!;
    const row = rowOf(u);
    if (rep.error) {
      row.rigErrors++;
      row.errors.push(`${u.suite} second cuts: ${rep.error}`);
    }
    for (const r of rep.results) {
      row.secondCuts.cuts++;
      if (r.outcome === 'rig-error') {
        row.rigErrors++;
        row.errors.push(`${u.suite} ${r.trigger}: ${r.reasons.join('; ')}`);
        continue;
      }
      if (u.safe.includes(r.outcome) && r.agree) continue;
      row.secondCuts.catching++;
      row.caught = true;
      row.first ??= { suite: u.suite, point: r.trigger, outcome: r.outcome, reasons: r.reasons, source: 'second-cut replay', ...definedOnly({ repro: repros.replay(u, r) }) };
    }
  }
  for (const row of rows.values()) row.windowPercent = row.points ? (100 * row.catching) / row.points : 0;
  return [...rows.values()];
}

function definedOnly(lines: { repro?: string | undefined; cut?: string | undefined }): { repro?: string; cut?: string } {
  return { ...(lines.repro !== undefined && { repro: lines.repro }), ...(lines.cut !== undefined && { cut: lines.cut }) };
}

/** A suite's known weakness that explained no point of the run (its fix may have landed): a warning, never a failure. */
export interface UnseenKnown {
  suite: string;
  suiteFile: string;
  known: KnownWeakness;
}

/** The `expect.known` entries of the plan's suites that no row's point matched. */
export function unseenKnown(plan: DetectPlan, rows: readonly DetectionRow[]): UnseenKnown[] {
  const seen = new Set(rows.flatMap((r) => r.known.hits.map((h) => JSON.stringify(h.known))));
  const out: UnseenKnown[] = [];
  const suites = new Set<string>();
  for (const u of plan.uses) {
    if (suites.has(u.suiteFile)) continue;
    suites.add(u.suiteFile);
    for (const k of u.known ?? []) if (!seen.has(JSON.stringify(k))) out.push({ suite: u.suite, suiteFile: u.suiteFile, known: k });
  }
  return out;
}

/** Every buggy variant caught, no correct one flagged, no rig error. */
export function detectionOk(rows: readonly DetectionRow[]): boolean {
  return rows.every((r) => r.rigErrors === 0 && r.caught === r.buggy);
}

export function formatPercent(p: number): string {
  if (p === 0 || p === 100) return `${p} %`;
  return `${p < 0.1 ? p.toFixed(3) : p < 10 ? p.toFixed(2) : p.toFixed(1)} %`;
}

export function verdictOf(r: DetectionRow): string {
  return r.rigErrors ? 'RIG ERROR' : r.caught === r.buggy ? 'ok' : r.buggy ? 'MISSED' : 'FALSE ALARM / FAILS';
}

export function formatDetectionTable(rows: readonly DetectionRow[]): string {
  const head = ['scheme', 'variant', 'kind', 'op states', 'catching', 'window', 'decision torn', 'double', '2nd cuts', 'known', 'outcomes', 'caught', 'verdict'];
  const body = rows.map((r) => [
    r.scheme,
    r.variant,
    r.buggy ? 'buggy' : 'correct',
    String(r.points),
    String(r.catching),
    formatPercent(r.windowPercent),
    `${r.decision.catching}/${r.decision.points} (${r.decision.ops} ops)`,
    r.double.points ? `${r.double.catching}/${r.double.points}` : '-',
    r.secondCuts.cuts ? `${r.secondCuts.catching}/${r.secondCuts.cuts}` : '-',
    r.known.points ? String(r.known.points) : '-',
    Object.entries(r.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o}:${n}`)
      .join(' '),
    r.caught ? 'yes' : 'no',
    verdictOf(r),
  ]);
  return textTable(head, body, { rule: true }).join('\n');
}

/** One line per caught (or wrongly failing) variant: its first catching point, then where it came from. */
export function formatFirstCatch(r: DetectionRow): string {
  const f = r.first!;
  return `${r.scheme}/${r.variant}: first caught at ${f.point} -> ${f.outcome} (${f.suite}${f.where ? `; ${f.where}` : ''})${f.reasons.length ? ` [${f.reasons.join('; ')}]` : ''}`;
}

/** A row's known points, one entry at a time: what explains them, the first one and the line that replays it. */
export function formatKnown(r: DetectionRow): string[] {
  return r.known.hits.map((h) => {
    const f = h.first;
    return [
      `${r.scheme}/${r.variant}: known weakness (${h.suite} expect.known[${h.known.index}]): ${h.points} point(s), first ${f.point} -> ${f.outcome}${f.where ? ` (${f.where})` : ''}`,
      `  reason: ${h.known.reason}${h.known.ref ? ` [${h.known.ref}]` : ''}`,
      ...(f.repro ? [`  replay it with: ${f.repro}`] : []),
    ].join('\n');
  });
}
