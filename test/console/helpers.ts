import { ScaledClock } from '../../src/core/clock.js';
import type { ByteLink } from '../../src/drivers/console/byte-link.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import { SAFETY_MS, waitFor as sharedWaitFor } from '../helpers/wait-for.js';

export const BAUD = 115200;
export const clock = new ScaledClock(1);

/** Everything a test opened, closed in afterEach (before the socat pairs go). */
export const opened: { close(): Promise<void> | void }[] = [];

export function track<T extends { close(): Promise<void> | void }>(x: T): T {
  opened.push(x);
  return x;
}

export async function closeOpened(): Promise<void> {
  await Promise.all(opened.splice(0).map((x) => Promise.resolve(x.close()).catch(() => {})));
}

/** The device end of a pty pair, collecting what the host sends. */
export async function deviceEnd(path: string): Promise<{ link: ByteLink; got: () => Buffer; send(s: string | Buffer): Promise<void> }> {
  const link = track(await openSerialLink(path, { baud: BAUD }));
  const chunks: Buffer[] = [];
  link.onData((c) => chunks.push(c));
  return { link, got: () => Buffer.concat(chunks), send: (s) => link.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s) };
}

/**
 * The shared waitFor (test/helpers/wait-for.ts); `ms` was each call's guess of how long is enough,
 * which a loaded machine can beat, so the shared generous safety timeout applies instead.
 */
export function waitFor<T>(what: string, ms: number, probe: () => T | undefined | false): Promise<T> {
  return sharedWaitFor(what, probe, Math.max(ms, SAFETY_MS));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every byte value, twice, in an order that includes CR, LF, XON/XOFF and NUL next to each other. */
export const ALL_BYTES = Buffer.concat([Buffer.from([...Array(256).keys()]), Buffer.from([...Array(256).keys()].reverse()), Buffer.from([0x0d, 0x0a, 0x11, 0x13, 0x00, 0x1d, 0x03])]);
