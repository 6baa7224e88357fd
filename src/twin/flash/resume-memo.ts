import type { Clock } from '../../core/clock.js';
import { ControlFlow } from '../../core/control-flow.js';
import type { FlashSnapshot, NorFlash } from './nor-flash.js';
import { StateKeys } from './state-digest.js';

/** Where a job that was run once from a checkpoint ended: the flash then, and what the run took. */
interface JobEnd {
  state: FlashSnapshot;
  /** Virtual ms from the checkpoint to the job's end. */
  ms: number;
  /** Flash ops started meanwhile (the marker pin's count). */
  ops: number;
  overWrites: number;
}

/** A bound on the ends kept per flash (each is a snapshot: an array of shared sector references). */
const MAX_ENDS = 4096;
/**
 * Checkpoints a run looks up before it gives up on them. A recovery of a correct firmware rejoins
 * at its first or second (the first run from each step registers the next few); one that never
 * rejoins (a swap restarted over half-swapped slots) would pay a state digest at every step.
 */
const MAX_MISSES = 3;
/**
 * After this many jobs, a memo whose jobs jumped less than half the time stops checkpointing: a
 * firmware whose recoveries seldom rejoin (MCUboot no-status-journal: 40 %, journal-before-copy:
 * 18 %) paid more in state digests than its jumps saved (measured: +25 % CPU on those sweeps; the
 * correct bootloader's jump 90-96 % of the time).
 */
const TRIAL_JOBS = 100;

/**
 * A sweep recovers thousands of cut points, and the recoveries of one resumable job (an MCUboot
 * swap) rejoin: every cut inside one step of the swap redoes that step and then stands at the same
 * checkpoint, with the same flash, as the first one did, and a deterministic firmware runs the same
 * rest of the job from there. The firmware asks at each checkpoint (its program position and RAM as
 * a string, the flash's state digested); the first run from a checkpoint is simulated and its end
 * kept, a later one jumps there: the same wait, then the same flash, op count and write stress.
 *
 * Exact only while nothing outside the device looks at it or acts on it before the job ends: a
 * sweep arms the memo for one recovery (`until` = the earliest time its host may next act, the
 * boot watch's deadline), the firmware disarms it before its banner (the host acts once it sees
 * it), and nothing jumps while an op observer logs every op (a recording). The host otherwise acts
 * on console lines only, so the job must print nothing: a firmware checkpoints only where the rest
 * of its job is silent.
 */
export class ResumeMemo {
  /** Jumps allowed while the job would end before this virtual-clock time; undefined: no jumps, no checkpoints. */
  until?: number;
  /** Jobs ended by a jump so far. */
  jumps = 0;
  /** Jobs given a trail so far. */
  private jobs = 0;
  private readonly ends = new Map<string, JobEnd>();
  /** @internal */
  readonly keys = new StateKeys();

  constructor(private readonly flash: NorFlash) {}

  /**
   * A job's trail of checkpoints, or undefined when the memo is not armed (a full replay, a
   * recording, a job that starts past `until`).
   */
  trail(clock: Clock, observed: boolean): ResumeTrail | undefined {
    if (this.until === undefined || observed || clock.now() >= this.until) return undefined;
    if (this.jobs >= TRIAL_JOBS && this.jumps * 2 < this.jobs) return undefined;
    this.jobs++;
    return new ResumeTrail(this, this.flash, clock);
  }

  /** @internal */
  end(key: string): JobEnd | undefined {
    return this.ends.get(key);
  }

  /** @internal */
  jumped(): void {
    this.jumps++;
  }

  /** @internal */
  keep(key: string, end: JobEnd): void {
    if (this.ends.size >= MAX_ENDS) this.ends.clear();
    this.ends.set(key, end);
  }
}

/** Thrown from a checkpoint that jumped to the job's end: the firmware skips the rest of the job. */
export class JumpedToEnd extends ControlFlow {
  constructor() {
    super('jumped to the end of a job run before');
  }
}

/** The checkpoints one run of a job passed, to be given its end when it gets there. */
export class ResumeTrail {
  private readonly marks: { key: string; t: number; ops: number; overWrites: number }[] = [];

  constructor(
    private readonly memo: ResumeMemo,
    private readonly flash: NorFlash,
    private readonly clock: Clock,
  ) {}

  /**
   * A checkpoint: `ram` names the firmware's position and everything it holds that the rest of
   * the job depends on. When the job was run from here before and would end before the memo's
   * `until`, waits as long as that run took (through `sleep`, so a power loss still ends it), puts
   * the flash as it ended, and throws JumpedToEnd. Otherwise remembers the checkpoint.
   */
  async at(ram: string, sleep: (ms: number) => Promise<void>): Promise<void> {
    if (this.marks.length >= MAX_MISSES) return;
    const key = `${ram}|${this.memo.keys.of(this.flash.snapshot())}`;
    const end = this.memo.end(key);
    const until = this.memo.until;
    if (end && until !== undefined && this.clock.now() + end.ms < until) {
      await sleep(end.ms);
      this.flash.restore(end.state);
      this.flash.opCount += end.ops;
      this.flash.overWrites += end.overWrites;
      // Checkpoints this run passed before this one end here too.
      this.finish();
      this.memo.jumped();
      throw new JumpedToEnd();
    }
    if (!end) this.marks.push({ key, t: this.clock.now(), ops: this.flash.opCount, overWrites: this.flash.overWrites });
  }

  /** The job ended (simulated to the end): each checkpoint passed gets this end. */
  finish(): void {
    if (!this.marks.length) return;
    const state = this.flash.snapshot();
    const now = this.clock.now();
    for (const m of this.marks) this.memo.keep(m.key, { state, ms: now - m.t, ops: this.flash.opCount - m.ops, overWrites: this.flash.overWrites - m.overWrites });
    this.marks.length = 0;
  }
}
