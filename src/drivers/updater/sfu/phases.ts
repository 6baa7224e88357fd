/**
 * The SFU upload as an explicit state machine (labgrid's strategies are the model: named states,
 * explicit transitions). One phase at a time; each phase has one handler (phase-*.ts) that says
 * what every device frame means in it and drives the host's side of the conversation.
 *
 *   info  --INFO reply, stream fits-->          erase
 *   erase --ERASE reply (echo checked)-->       write   (WRITEs may already be out: pre-write)
 *   write --every byte acknowledged-->          start
 *   start --START reply matches the upload-->   sign
 *   sign  --verdict line, or its wait over-->   done
 *
 * A failure (device error, link error, abort) is not a phase: it ends the upload from whichever
 * phase it happens in, and the error names that phase (SfuDeviceError.phase, SfuLinkError.phase).
 */
import { SfuCode, type SfuCodeName } from '../../../protocols/sfu/index.js';
import type { SfuPhase } from './result.js';
import type { VerdictLine } from './verdict.js';

/** The phases in the order an upload goes through them. */
export const SFU_PHASES: readonly SfuPhase[] = ['info', 'erase', 'write', 'start', 'sign', 'done'];

/** Where each phase may go next. Nothing goes back: ERASE and START are sent once per session. */
export const SFU_PHASE_TRANSITIONS: Readonly<Record<SfuPhase, readonly SfuPhase[]>> = {
  info: ['erase'],
  erase: ['write'],
  write: ['start'],
  start: ['sign'],
  sign: ['done'],
  done: [],
};

/** A reply code that means nothing in a phase, and why (kept in the table so that the choice is visible and tested). */
export interface Ignored {
  readonly ignored: string;
}

export function ignored(why: string): Ignored {
  return { ignored: why };
}

/** What a device frame does in a phase: a handler (may throw: the upload fails with it), or ignored. */
export type ReplyRule = ((body: Buffer) => void) | Ignored;

/** Every code of the protocol, ruled on; codes outside the protocol are ignored in every phase. */
export type ReplyTable = { readonly [K in SfuCodeName]: ReplyRule };

/** When the device's silence becomes a failure in this phase, and which. */
export interface Silence {
  /** Clock time of the deadline. */
  due: number;
  error(now: number): Error;
}

export interface PhaseHandler {
  readonly phase: SfuPhase;
  readonly replies: ReplyTable;
  /** Console verdict lines (start and sign only: the device prints them after START). */
  readonly line?: (kind: VerdictLine | undefined) => void;
  /** Runs at the transition into the phase, before any frame is handled in it. */
  enter?(): void;
  /** The phase's own flow: sends, waits, and ends with a transition (unless a reply made it). */
  run(): Promise<void>;
  /** The deadline by which the device must have said something, while a write of ours is pending. */
  silence?(): Silence | undefined;
}

const CODE_NAMES = new Map<number, SfuCodeName>(Object.entries(SfuCode).map(([name, code]) => [code, name as SfuCodeName]));

/** The rule for `code` in `table`: codes outside the protocol (the device's own debug codes, noise that parsed) are ignored. */
export function replyRule(table: ReplyTable, code: number): ReplyRule {
  const name = CODE_NAMES.get(code);
  return name === undefined ? UNKNOWN : table[name];
}

const UNKNOWN = ignored('not an SFU code this uploader knows: nothing to do with an upload');
