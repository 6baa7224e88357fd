/**
 * What SupplyPower needs from a programmable supply, whatever it speaks (Korad, SCPI) and however
 * it is reached. Every setter validates its value before a byte is sent: a NaN formatted into a
 * command is at best rejected by the supply and at worst read as 0 V or full scale.
 */
import { RigError } from '../../../core/errors.js';
import { quoteBytes } from './exchange.js';

export interface SupplyProtocol {
  readonly name: 'korad' | 'scpi';
  /** The port path (or other address), for messages. */
  readonly port: string;
  /** The identification string (`*IDN?`); a RigError if the supply does not answer. */
  identify(): Promise<string>;
  /**
   * Sets the voltage set point; resolves with the value as sent (rounded to the supply's
   * resolution). check: false skips any per-command error check (for fast sag steps); call
   * checkErrors() afterwards.
   */
  setVolts(volts: number, opts?: { check?: boolean }): Promise<number>;
  setAmps(amps: number): Promise<number>;
  output(on: boolean): Promise<void>;
  /** The output state as the supply reports it. */
  readOutput(): Promise<boolean>;
  measureVolts(): Promise<number>;
  /** Throws a RigError if the supply reports an error from an earlier command (no-op where it cannot). */
  checkErrors(): Promise<void>;
  close(): Promise<void>;
}

/** A RigError naming the field unless `v` is a finite number >= 0. */
export function requireLevel(who: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RigError(`${who}: ${field} must be a number >= 0, got ${String(v)}`);
  return v;
}

/** A reply that must be a plain decimal number (`03.30`, `+3.30000E+00`). */
export function parseNumberReply(port: string, cmd: string, reply: Buffer): number {
  // Korad firmware has been seen padding replies with NULs; whitespace and \r are line noise.
  const text = reply
    .toString('latin1')
    .replace(/[\0\s]+$/, '')
    .replace(/^\s+/, '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new RigError(`supply on ${port} answered ${cmd} with ${quoteBytes(reply)}, not a number`);
  }
  return Number(text);
}

/** A reply that must be printable text (an identification string). */
export function parseTextReply(port: string, cmd: string, reply: Buffer): string {
  const text = reply.toString('latin1').replace(/[\0\s]+$/, '');
  if (text === '' || /[^\x20-\x7e]/.test(text)) throw new RigError(`supply on ${port} answered ${cmd} with ${quoteBytes(reply)}, not text`);
  return text;
}

/** The message for a supply that says nothing to *IDN?, the first thing sent. */
export function noAnswer(port: string, cause: unknown): RigError {
  return new RigError(`supply on ${port} did not answer *IDN? (wrong port, baud, or protocol korad vs scpi?)`, { cause });
}
