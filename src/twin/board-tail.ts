/**
 * A board's tail memo: the recoveries a sweep simulates on a board of several processors (a
 * product) pass through the same whole-board state again and again (the host resumes its download
 * at the same chunk with the same flash, or resets into its swap, while the radio waits at the same
 * point of its log schedule), and from such a state, given the same input from the host (the rig),
 * the board does the same until the sweep's judgement. The first recovery through a state is
 * simulated and its tail kept: what each processor said on its console and when, what it was sent,
 * when each flash op started, and the flash at the judgement. A later recovery through the same
 * state plays the tail back: a tape player takes each processor's place and says the same at the
 * same times, the op count follows the recorded starts, and at the judgement the flash is put as it
 * was. The rig around it is not played: it reads the tape as it would the board, and answers.
 *
 * Exact when the state is described whole: the flash (digested), every processor's program state
 * (the programs say it at their checkpoints; `Mcu.state` for the others), nothing in flight between
 * them (the board's `describe`). What the board cannot know is checked instead: the host sent the
 * same bytes at the same times as in the recorded tail, no processor drew from its generator, and
 * the judgement came exactly when the recorded one did. A tail that fails a check while recording
 * is not kept; one that fails while playing makes `end()` false, and the sweep simulates that point
 * again without the memo.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { appended, maskLog, relocated, withLog, type AppendLog, type LogAt, type LogSectors, type LogSpan } from './append-log.js';
import type { FlashSet } from './flash/flash-set.js';
import type { FlashSnapshot } from './flash/nor-flash.js';
import { StateKeys } from './flash/state-digest.js';
import { PowerLost, type Mcu } from './mcu.js';

/** Bytes on a processor's console, one way or the other, and when (ms after a checkpoint, or absolute while recording). */
interface Bytes {
  at: number;
  bytes: Buffer;
}

/** A recorded tail, from its checkpoint to the sweep's judgement; per-processor lists in board order. */
interface Tail {
  said: Bytes[][];
  heard: Bytes[][];
  /** When each flash op of the tail started, in order. */
  opStarts: number[];
  ms: number;
  state: FlashSnapshot;
  /** Per flash part: ops started and writes past nWRITE during the tail. */
  ops: number[];
  overWrites: number[];
  /** What the tail appended to each of the board's append logs (the state holds them at the recorded positions). */
  logs: LogSpan[];
  /** The last play's logs and the flash it left: the next play from the same logs leaves the very same buffers (a state hashed once). */
  lastPlay?: { logs: LogAt[]; final: FlashSnapshot };
}

/** Where the board stood at a checkpoint a recording passed: its key, the time and every counter then. */
interface Mark {
  key: string;
  t: number;
  said: number[];
  heard: number[];
  opStarts: number;
  rng: number[];
  ops: number[];
  overWrites: number[];
  /** Each append log's end and content (masked out of `key`). */
  logs: LogAt[];
}

/** One recovery's use of the memo, from its power-on: recording its marks' tails, or playing one. */
interface Run {
  /** When power came on and each part's op count then (a play's context is told relative to it). */
  origin: { t: number; ops: number[] };
  /** Everything from the power-on, at absolute clock times. */
  said: Bytes[][];
  heard: Bytes[][];
  opStarts: number[];
  marks: Mark[];
  /** Checkpoints looked up so far. */
  looks: number;
  /** Program starts on the board at the last mark (see `starts`). */
  starts: number;
  off: (() => void)[];
  /** The tail played from `mark`, and the flash it leaves (its log appended where this run's ends). */
  playing?: { tail: Tail; t0: number; mark: Mark; context: string; final: FlashSnapshot };
}

/** Tails kept (each holds a flash snapshot: an array of shared sector references). */
const MAX_TAILS = 2048;
/**
 * Checkpoints a recovery looks up, and which of them it registers (tails are kept from those): the
 * first DENSE_MARKS, then the 2^k-th. A recovery meets the state of an earlier one within a few of
 * its checkpoints, or once a resumed download has rewritten what the cut left torn and stands where
 * another stood (a few to a hundred chunks on): every checkpoint is looked up (a key costs the
 * sectors written since the last), but marks thin out, each mark's tail being a copy of the run.
 */
const MAX_LOOKS = 256;
const DENSE_MARKS = 4;
/** Clock ms two instants may differ by and still be the same (the tape's times are sums of floats). */
const SAME_INSTANT_MS = 1e-6;

/**
 * A time span as a program's state names it at a checkpoint: whole nanoseconds (SAME_INSTANT_MS),
 * so two recoveries whose clocks differ by an offset name the same relative times alike.
 */
export function stateNs(ms: number): number {
  return Math.round(ms / SAME_INSTANT_MS);
}

export interface BoardTailOptions {
  clock: Clock;
  /** The processors, in a fixed order. */
  mcus: readonly Mcu[];
  flash: FlashSet;
  /** Append logs: states are keyed without their bytes, with what they mean (append-log.ts). */
  logs?: readonly AppendLog[];
}

export class BoardTailMemo {
  /** Recoveries whose tail was played back and accepted at the judgement. */
  jumps = 0;
  /** Of the accepted ones, those with an append log that ended elsewhere than where the tail was recorded (its records appended there). */
  moved = 0;
  /** Recoveries whose tail was played back and refused at the judgement (simulated again). */
  refused = 0;
  private armed = false;
  private run?: Run;
  /** Told each play's context as it starts (see `playing`). */
  private onPlay?: (context: string) => void;
  private readonly tails = new Map<string, Tail>();
  private readonly keys = new StateKeys();
  /** The arrays each checkpoint's snapshot is taken into: only its key and its log's sectors are kept. */
  private readonly scratch = { sectors: [] as Buffer[], writes: [] as (Uint8Array | undefined)[] };
  /** The append logs the memo keys without, each with its place in a snapshot. */
  private readonly logs: { log: AppendLog; sectors: LogSectors }[];

  constructor(private readonly board: BoardTailOptions) {
    this.logs = (board.logs ?? []).map((log) => ({ log, sectors: logSectors(board.flash, log) }));
  }

  /**
   * A sweep's recovery may use the memo (true) from its power-on, or none (false: a full
   * simulation). `onPlay` is told when a tail starts to play, with the play's context (`playing`).
   */
  arm(on: boolean, onPlay?: (context: string) => void): void {
    this.stop();
    this.armed = on;
    this.onPlay = on ? onPlay : undefined;
    this.played = undefined;
    this.playedFinal = undefined;
    this.learned = [];
  }

  /** The board's power came on: an armed recovery listens from here (a play's context starts here). */
  poweredOn(): void {
    if (!this.armed || this.run) return;
    this.run = this.listen();
  }

  /**
   * The context of the tail this recovery played (from the hit until the next `arm`), or undefined.
   * Everything the board did from its power-on up to the hit that anyone outside it could see: what
   * each processor said and was sent and when, when its flash ops started, how long after the
   * power-on the hit came, and the tail's key. Two recoveries with one context look the same from
   * outside from power-on to the judgement (the tail is the same from the hit), so a host that
   * answers the board alone (a sweep's rig) does and concludes the same in both.
   */
  playing(): string | undefined {
    return this.played;
  }
  private played?: string;

  /**
   * The contexts in which a later recovery would play a tail this one kept (until the next `arm`):
   * one per mark it registered, what `playing` would say for a later recovery that did all this one
   * did up to the mark and stood there in the same state. That recovery then plays this one's
   * stretch from the mark on (and the tail it joined, if it played one): from power-on to the
   * judgement the host hears and says what it did for this one, so this one's verdict is its own.
   */
  learnedContexts(): string[] {
    return this.learned.map(({ run, mark }) => this.contextAt(run, mark));
  }
  /** The marks this recovery kept tails from (its lists up to each mark never change: contexts are taken when asked). */
  private learned: { run: Run; mark: Mark }[] = [];

  /** The flash the tail this recovery played leaves at the judgement (kept as `playing` is), or undefined. */
  playedState(): FlashSnapshot | undefined {
    return this.playedFinal;
  }
  private playedFinal?: FlashSnapshot;

  /** The board lost power (or the recovery is over): whatever was recorded or played is dropped. */
  stop(): void {
    const run = this.run;
    if (!run) return;
    for (const off of run.off) off();
    this.run = undefined;
    this.board.flash.pendingOps = undefined;
  }

  /**
   * A checkpoint, from one processor's program: `describe` names the board's whole state apart from
   * the flash (that program's own included), or undefined when it cannot. When an earlier recovery
   * stood here, every program is replaced by its tape and this throws PowerLost (the calling
   * program's RAM is gone: it must unwind). Otherwise returns, the checkpoint remembered.
   */
  checkpoint(describe: () => string | undefined): void {
    const { mcus, flash, clock } = this.board;
    if (!this.armed || this.run?.playing || mcus.some((m) => m.opObserver !== undefined)) return;
    if (this.run && this.run.looks >= MAX_LOOKS) return;
    const board = describe();
    if (board === undefined) return;
    const run = this.run;
    // Not listening since the power-on (armed after it): nothing to key a tail from.
    if (!run) return;
    const snapshot = flash.snapshotInto(this.scratch);
    let meanings = '';
    const logs: LogAt[] = [];
    for (const { log, sectors } of this.logs) {
      logs.push({ at: log.next(), ...maskLog(snapshot, sectors) });
      if (log.meaning) meanings += `|${log.meaning()}`;
    }
    const key = `${board}${meanings}|${this.keys.of(snapshot)}`;
    const known = this.tails.get(key);
    const final = known && this.finalOf(known, logs);
    const look = run.looks++;
    if (!known || !final) {
      const starts = this.starts();
      if (look < DENSE_MARKS || (look & (look - 1)) === 0 || starts !== run.starts) {
        run.starts = starts;
        run.marks.push(this.markNow(run, key, logs));
      }
      return;
    }
    const mark = this.markNow(run, key, logs);
    // The marks before this one end as this tail does: their own stretch up to here, then it.
    for (const m of run.marks) if (this.undrawn(m)) this.keep(run, m, this.tailFrom(m, mark, final, known));
    run.marks = [];
    const context = this.contextAt(run, mark);
    run.playing = { tail: known, t0: mark.t, mark, context, final };
    this.played = context;
    this.playedFinal = final;
    flash.pendingOps = () => startedBy(known.opStarts, clock.now() - mark.t);
    mcus.forEach((m, i) => m.replaceProgram((mcu) => play(mcu, known.said[i]!, mark.t)));
    this.onPlay?.(context);
    throw new PowerLost();
  }

  /**
   * The sweep judges the recovery now (it reads the flash next). Recording: each mark's tail is
   * kept. Playing: true when the board now is as the tail left it (the flash and op counts are put
   * so), false when this recovery must be simulated again without the memo. Neither: true.
   */
  end(): boolean {
    const run = this.run;
    let ok = true;
    if (run?.playing) {
      const { tail, mark } = run.playing;
      const { flash, clock } = this.board;
      ok = Math.abs(clock.now() - mark.t - tail.ms) < SAME_INSTANT_MS && sameBytes(since(run.heard, mark.heard, mark.t), tail.heard);
      if (ok) {
        flash.restore(run.playing.final);
        flash.parts.forEach((p, i) => {
          p.opCount = mark.ops[i]! + tail.ops[i]!;
          p.overWrites = mark.overWrites[i]! + tail.overWrites[i]!;
        });
        this.jumps++;
        if (tail.logs.some((span, i) => span.at !== mark.logs[i]!.at)) this.moved++;
      } else {
        this.refused++;
        this.played = undefined;
        this.playedFinal = undefined;
      }
    } else if (run) {
      const now = this.markNow(run, '', []);
      const final = this.board.flash.snapshot();
      for (const m of run.marks) if (this.undrawn(m)) this.keep(run, m, this.tailFrom(m, now, final));
    }
    this.stop();
    this.armed = false;
    return ok;
  }

  private listen(): Run {
    const { mcus, clock, flash } = this.board;
    const origin = { t: clock.now(), ops: flash.parts.map((p) => p.opCount) };
    const run: Run = { origin, said: mcus.map(() => []), heard: mcus.map(() => []), opStarts: [], marks: [], looks: 0, starts: this.starts(), off: [] };
    mcus.forEach((m, i) => {
      run.off.push(m.onTx((bytes) => run.said[i]!.push({ at: clock.now(), bytes })));
      run.off.push(m.onRx((bytes) => run.heard[i]!.push({ at: clock.now(), bytes })));
      run.off.push(m.onEvent((e) => e.kind === 'flash' && !run.playing && run.opStarts.push(clock.now())));
    });
    return run;
  }

  /** Where `run` and the board stand now, as a mark named `key` (the judgement's: none, and no logs). */
  private markNow(run: Run, key: string, logs: LogAt[]): Mark {
    const { mcus, flash, clock } = this.board;
    return {
      logs,
      key,
      t: clock.now(),
      said: run.said.map((l) => l.length),
      heard: run.heard.map((l) => l.length),
      opStarts: run.opStarts.length,
      rng: mcus.map((m) => m.rng.position),
      ops: flash.parts.map((p) => p.opCount),
      overWrites: flash.parts.map((p) => p.overWrites),
    };
  }

  /** See `playing`: the run from its power-on up to `mark` (its key's), as a digest (times relative to the power-on, to the nanosecond). */
  private contextAt(run: Run, mark: Mark): string {
    const { origin } = run;
    const h = createHash('sha256');
    const add = (lists: readonly Bytes[][], upTo: readonly number[]) => {
      lists.forEach((list, i) => {
        h.update(`|${upTo[i]!}`);
        for (let k = 0; k < upTo[i]!; k++) h.update(` ${stateNs(list[k]!.at - origin.t)}:${list[k]!.bytes.length}:`).update(list[k]!.bytes);
      });
    };
    add(run.said, mark.said);
    add(run.heard, mark.heard);
    h.update(
      `|ops ${run.opStarts
        .slice(0, mark.opStarts)
        .map((t) => stateNs(t - origin.t))
        .join(' ')}`,
    );
    h.update(`|counts ${mark.ops.map((n, i) => n - origin.ops[i]!).join(' ')}`);
    return `${mark.key}|${stateNs(mark.t - origin.t)}|${h.digest('hex')}`;
  }

  /**
   * Programs started on the board so far (resets, power-ons): the first checkpoint after a processor
   * restarts is marked whatever its rank, since its uptime, which a program's state carries, starts
   * again there, and recoveries from other cuts that got that far stand in the same state.
   */
  private starts(): number {
    let n = 0;
    for (const m of this.board.mcus) n += m.starts;
    return n;
  }

  /** No processor drew from its generator since `m` (the tail does not depend on the point's seed). */
  private undrawn(m: Mark): boolean {
    return this.board.mcus.every((mcu, i) => mcu.rng.position === m.rng[i]);
  }

  /** The flash `tail` leaves when played where the logs stand (`at`): its recorded state, with each log's records appended at this end; undefined when it cannot be played there. */
  private finalOf(tail: Tail, at: readonly LogAt[]): FlashSnapshot | undefined {
    if (!this.logs.length) return tail.state;
    const last = tail.lastPlay;
    if (last && last.logs.every((l, i) => sameLogAt(l, at[i]!))) return last.final;
    let final: FlashSnapshot | undefined = tail.state;
    for (let i = 0; i < this.logs.length && final; i++) {
      const { log, sectors } = this.logs[i]!;
      const content = relocated(tail.logs[i]!, at[i]!, sectors, log);
      final = content && withLog(final, content, sectors);
    }
    if (final) tail.lastPlay = { logs: [...at], final };
    return final;
  }

  /**
   * The tail from `m` to `to` (recorded in this run), followed by `then` (a kept tail from `to` on),
   * leaving `final`; undefined when it did to the append log what a play elsewhere could not repeat.
   */
  private tailFrom(m: Mark, to: Mark, final: FlashSnapshot, then?: Tail): Tail | undefined {
    const run = this.run!;
    const logs: LogSpan[] = [];
    for (let i = 0; i < this.logs.length; i++) {
      const { log, sectors } = this.logs[i]!;
      const q = then ? to.logs[i]!.at + then.logs[i]!.bytes.length : log.next();
      const region = {
        sectors: final.sectors.slice(sectors.first, sectors.first + sectors.count),
        ...(sectors.unit !== undefined && { writes: (final.writes ?? []).slice(sectors.first, sectors.first + sectors.count) }),
      };
      const span = appended(m.logs[i]!, q, region, sectors);
      if (!span) return undefined;
      logs.push(span);
    }
    const stretch = to.t - m.t;
    const parts = this.board.flash.parts;
    const said: Bytes[][] = [];
    const heard: Bytes[][] = [];
    for (let i = 0; i < run.said.length; i++) {
      said.push(joined(run.said[i]!, m.said[i]!, to.said[i]!, m.t, then?.said[i], stretch));
      heard.push(joined(run.heard[i]!, m.heard[i]!, to.heard[i]!, m.t, then?.heard[i], stretch));
    }
    const opStarts: number[] = [];
    for (let k = m.opStarts; k < to.opStarts; k++) opStarts.push(run.opStarts[k]! - m.t);
    if (then) for (const t of then.opStarts) opStarts.push(t + stretch);
    const ops: number[] = [];
    const overWrites: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      ops.push(to.ops[i]! - m.ops[i]! + (then ? then.ops[i]! : 0));
      overWrites.push(to.overWrites[i]! - m.overWrites[i]! + (then ? then.overWrites[i]! : 0));
    }
    return { said, heard, opStarts, ms: stretch + (then ? then.ms : 0), state: final, ops, overWrites, logs };
  }

  /** Keeps `tail` from `run`'s mark `m` (see learnedContexts). */
  private keep(run: Run, m: Mark, tail: Tail | undefined): void {
    if (!tail) return;
    if (this.tails.size >= MAX_TAILS) this.tails.clear();
    this.tails.set(m.key, tail);
    this.learned.push({ run, mark: m });
  }
}

/** Where `log` lies in `flash`'s snapshots (whole sectors of one part: a board's definition, checked once). */
function logSectors(flash: FlashSet, log: AppendLog): LogSectors {
  const part = flash.partAt(log.base);
  const { sectorSize, erasedValue, maxWritesPerUnit, writeUnit } = part.geometry;
  if ((log.base - part.base) % sectorSize || log.size % sectorSize || log.base + log.size > part.base + part.geometry.size) {
    throw new Error(`append log at 0x${log.base.toString(16)}+${log.size}: not whole sectors of ${part.geometry.name}`);
  }
  const counted = maxWritesPerUnit !== undefined;
  return { first: flash.sectorIndex(log.base), count: log.size / sectorSize, sectorSize, erased: erasedValue, ...(counted && { unit: writeUnit ?? 1 }) };
}

function sameLogAt(a: LogAt, b: LogAt): boolean {
  return a.at === b.at && a.sectors.every((s, i) => s === b.sectors[i]) && (a.writes ?? []).every((w, i) => w === b.writes?.[i]);
}

/** Each processor's entries after index `from[i]`, with times relative to `t0`. */
function since(lists: readonly Bytes[][], from: readonly number[], t0: number): Bytes[][] {
  const out: Bytes[][] = [];
  for (let i = 0; i < lists.length; i++) out.push(joined(lists[i]!, from[i]!, lists[i]!.length, t0));
  return out;
}

/**
 * Entries `from` to `upTo` of one processor's list with times relative to `t0`, then `rest` (a kept
 * tail's, relative to its own checkpoint) shifted by `stretch`. Plain loops in a small function:
 * the sweep records tails thousands of times, and closures with spreads here were recompiled on
 * every new shape of their arguments (most of a cold sweep's compile time in this file).
 */
function joined(list: readonly Bytes[], from: number, upTo: number, t0: number, rest?: readonly Bytes[], stretch = 0): Bytes[] {
  const out: Bytes[] = [];
  for (let k = from; k < upTo; k++) out.push({ at: list[k]!.at - t0, bytes: list[k]!.bytes });
  if (rest) for (const b of rest) out.push({ at: b.at + stretch, bytes: b.bytes });
  return out;
}

function sameBytes(a: readonly Bytes[][], b: readonly Bytes[][]): boolean {
  return a.length === b.length && a.every((l, i) => l.length === b[i]!.length && l.every((x, k) => Math.abs(x.at - b[i]![k]!.at) < SAME_INSTANT_MS && x.bytes.equals(b[i]![k]!.bytes)));
}

/** Ops of the tail started by `ms` after its checkpoint (a binary search: the count is read at any instant). */
function startedBy(starts: readonly number[], ms: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= ms + SAME_INSTANT_MS) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A processor's tape: its console writes at their times after `t0`, then nothing. */
async function play(mcu: Mcu, said: readonly Bytes[], t0: number): Promise<void> {
  for (const s of said) {
    const wait = t0 + s.at - mcu.clock.now();
    if (wait > 0) await mcu.sleep(wait);
    mcu.uartTx(s.bytes);
  }
}
