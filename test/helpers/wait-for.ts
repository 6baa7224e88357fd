// The one way tests wait: for a condition or an output, never for a fixed time. The timeout is only
// a guard against a hang, so it is generous (a loaded 2-core box or a Raspberry Pi must pass) and
// the error names what was awaited; a test that needs "X did not happen" waits for the event that
// rules X out instead of sleeping.
import type { Readable } from 'node:stream';

/** Long enough for a busy machine, short enough to fail before Jest's own test timeout. */
export const SAFETY_MS = 30_000;

/**
 * Polls `probe` until it returns something other than undefined/null/false and resolves with it.
 * Rejects after `safetyMs`, naming `what`.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, safetyMs = SAFETY_MS): Promise<T> {
  const until = Date.now() + safetyMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > until) throw new Error(`waitFor: gave up after ${safetyMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Resolves with everything `stream` has sent once it matches `pattern` (text decoded as UTF-8);
 * rejects if the stream ends first or after `safetyMs`. `seen` is text already read from it.
 */
export function waitForOutput(stream: Readable, pattern: RegExp, safetyMs = SAFETY_MS, seen = ''): Promise<string> {
  let text = seen;
  if (pattern.test(text)) return Promise.resolve(text);
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (b: Buffer | string) => {
      text += b.toString();
      if (pattern.test(text)) done();
    };
    const onEnd = () => done(new Error(`waitForOutput: the stream ended before ${pattern}; it said:\n${text}`));
    const timer = setTimeout(() => done(new Error(`waitForOutput: gave up after ${safetyMs} ms waiting for ${pattern}; got:\n${text}`)), safetyMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
