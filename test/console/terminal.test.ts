/**
 * The `hil console` terminal core on PassThrough streams and a real socat pty: keys to the
 * device with the rig's line ending, device bytes to the screen unchanged, the transcript with
 * gap notes, and every way out (quit key, abort, the link closing for good, end of input).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { VirtualClock } from '../../src/core/clock.js';
import { InterruptedError, RigError } from '../../src/core/errors.js';
import { Listeners, type ByteLink } from '../../src/drivers/console/byte-link.js';
import { openConsoleLink } from '../../src/drivers/console/open.js';
import { KeyTranslator, openTranscript, runTerminal, type TerminalOptions } from '../../src/cli/terminal.js';
import { lineEndingBytes } from '../../src/drivers/console/open.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { ALL_BYTES, BAUD, clock, closeOpened, deviceEnd, sleep, track, waitFor } from './helpers.js';

afterEach(async () => {
  await closeOpened();
  await stopAllSocat();
});

function screen() {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  return { output, shown: () => Buffer.concat(chunks) };
}

async function ptyTerminal(extra: Partial<TerminalOptions> = {}, reconnectMs = 5000) {
  const dir = await tempDir();
  const pair = await startSocatPair(dir);
  const link = track(await openConsoleLink({ driver: 'serial', port: pair.a, baud: BAUD, reconnectMs }, { clock }));
  const dev = await deviceEnd(pair.b);
  const input = new PassThrough();
  const { output, shown } = screen();
  const status: string[] = [];
  const transcriptPath = join(dir, 'transcript.log');
  // Opened first, so the terminal is listening by the time this returns and the test cuts the port.
  const transcript = await openTranscript(transcriptPath);
  const done = runTerminal({ link, input, output, status: (s) => status.push(s), transcript, clock, ...extra });
  return { dir, pair, link, dev, input, shown, status, transcriptPath, done };
}

describe('terminal over a socat pty', () => {
  it('sends keys with the line ending, shows device bytes unchanged, writes the transcript, quits on Ctrl-]', async () => {
    const t = await ptyTerminal({ lineEnding: 'crlf' });
    t.input.write('help\r');
    await waitFor('keys at the device', 3000, () => t.dev.got().toString() === 'help\r\n');
    await t.dev.send('commands: boot reset\r\n> ');
    await waitFor('device text on screen', 3000, () => t.shown().toString() === 'commands: boot reset\r\n> ');
    await t.dev.send(ALL_BYTES);
    await waitFor('binary on screen', 3000, () => t.shown().length >= 24 + ALL_BYTES.length);
    expect(t.shown().subarray(24).equals(ALL_BYTES)).toBe(true);
    t.input.write(Buffer.from([0x61, 0x1d, 0x62]));
    const r = await t.done;
    expect(r.reason).toBe('quit');
    // What was typed before Ctrl-] in the same chunk goes out; what follows it does not. Wait for
    // the 'a'; then deliberately let a little time pass, for a 'b' (same chunk, so the same write)
    // that must not come.
    await waitFor("the 'a' typed before Ctrl-]", 3000, () => t.dev.got().toString().endsWith('a'));
    await sleep(100);
    expect(t.dev.got().toString()).toBe('help\r\na');
    const lines = (await readFile(t.transcriptPath, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# hil console on serial .*\/a @ 115200 baud, started \d{4}-/);
    expect(lines[1]).toMatch(/^\[\+\d+\.\d{3}s\] commands: boot reset$/);
    expect(lines[2]).toBe(lines[2]!.slice(0, lines[2]!.indexOf(']') + 1) + ' > \\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\t');
    // eslint-disable-next-line no-control-regex
    expect(lines.join('\n')).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });

  it('records the gap in the transcript and on the status line, drops keys typed during it, and carries on', async () => {
    const t = await ptyTerminal();
    await t.dev.send('before cut\n');
    await waitFor('first line', 3000, () => t.shown().toString() === 'before cut\n');
    await t.pair.kill('SIGTERM');
    await waitFor('gap note', 3000, () => t.status.some((s) => /gone/.test(s)));
    t.input.write('lost\r');
    await waitFor('dropped-keys status', 3000, () => t.status.some((s) => /keys not sent: .*re-enumerating/.test(s)));
    // Deliberately lets time pass: the port stays away at least 300 ms, the gap asserted below.
    await sleep(300);
    const again = await startSocatPair(t.dir);
    await waitFor('back note', 3000, () => t.status.some((s) => /back after \d+ ms/.test(s)));
    const dev = await deviceEnd(again.b);
    await dev.send('after cut\n');
    await waitFor('line after the gap', 3000, () => t.shown().toString() === 'before cut\nafter cut\n');
    t.input.write('ok\r');
    await waitFor('keys after the gap', 3000, () => dev.got().toString() === 'ok\n');
    t.input.write('\x1d');
    expect((await t.done).reason).toBe('quit');
    const text = await readFile(t.transcriptPath, 'utf8');
    const lines = text.trimEnd().split('\n').slice(1);
    expect(lines).toEqual([
      expect.stringMatching(/^\[\+\d+\.\d{3}s\] before cut$/),
      expect.stringMatching(/^\[\+\d+\.\d{3}s\] \[hil\] serial .*\/a gone: /),
      expect.stringMatching(/^\[\+\d+\.\d{3}s\] \[hil\] serial .*\/a back after \d+ ms$/),
      expect.stringMatching(/^\[\+\d+\.\d{3}s\] after cut$/),
    ]);
    const ms = Number(/back after (\d+) ms/.exec(text)![1]);
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(dev.got().toString()).not.toContain('lost');
  });

  it('ends with the RigError when the port never comes back', async () => {
    const t = await ptyTerminal({}, 300);
    await t.pair.kill('SIGTERM');
    const r = await t.done;
    expect(r.reason).toBe('closed');
    expect(r.error).toBeInstanceOf(RigError);
    expect(r.error!.message).toMatch(/did not come back within 300 ms/);
    expect(await readFile(t.transcriptPath, 'utf8')).toMatch(/\[hil\] serial .* gone/);
  });

  it('ends on abort', async () => {
    const ac = new AbortController();
    const t = await ptyTerminal({ signal: ac.signal });
    ac.abort(new InterruptedError());
    expect((await t.done).reason).toBe('aborted');
  });

  it('notes a gap already in progress when it starts', async () => {
    const dir = await tempDir();
    const pair = await startSocatPair(dir);
    const link = track(await openConsoleLink({ driver: 'serial', port: pair.a, baud: BAUD }, { clock }));
    await pair.kill('SIGTERM');
    await waitFor('gap', 3000, () => link.inGap);
    const status: string[] = [];
    const input = new PassThrough();
    const done = runTerminal({ link, input, output: new PassThrough(), status: (s) => status.push(s), clock });
    input.write('\x1d');
    await done;
    expect(status).toEqual([`[hil] serial ${pair.a} is re-enumerating: waiting for it to come back`]);
  });
});

/** A link driven by the test, for what needs no pty. */
function fakeLink() {
  const data = new Listeners<Buffer>();
  const closes = new Listeners<Error | undefined>();
  const written: Buffer[] = [];
  const link: ByteLink = {
    description: 'fake',
    write: async (b) => void written.push(Buffer.from(b)),
    onData: (l) => data.add(l),
    onClose: (l) => closes.add(l),
    close: async () => closes.emit(undefined),
  };
  return { link, data, closes, written: () => Buffer.concat(written) };
}

/** A PassThrough that claims to be a TTY, recording raw-mode changes. */
function fakeTty(startRaw = false) {
  const input = new PassThrough() as PassThrough & { isTTY: boolean; isRaw: boolean; setRawMode: (m: boolean) => void };
  input.isTTY = true;
  input.isRaw = startRaw;
  const modes: boolean[] = [];
  input.setRawMode = jest.fn((m: boolean) => {
    modes.push(m);
    input.isRaw = m;
  });
  return { input, modes };
}

describe('terminal on a TTY', () => {
  it.each([
    ['the quit key', (h: { input: PassThrough }) => h.input.write('\x1d'), 'quit'],
    ['the link closing', (h: { closes: Listeners<Error | undefined> }) => h.closes.emit(new RigError('gone for good')), 'closed'],
    ['an abort', (h: { ac: AbortController }) => h.ac.abort(), 'aborted'],
  ] as const)('puts the TTY in raw mode and restores it on %s', async (_n, end, reason) => {
    const { input, modes } = fakeTty();
    const { link, closes } = fakeLink();
    const ac = new AbortController();
    const done = runTerminal({ link, input, output: new PassThrough(), clock: new VirtualClock(), signal: ac.signal });
    await waitFor('raw mode on', 3000, () => modes.length > 0);
    expect(modes).toEqual([true]);
    (end as (h: object) => void)({ input, closes, ac });
    expect((await done).reason).toBe(reason);
    expect(modes).toEqual([true, false]);
    expect(process.listeners('exit').length).toBeLessThan(20);
  });

  it('on a raw TTY only CR is Enter; Ctrl-J and Ctrl-C go to the device as typed', async () => {
    const { input } = fakeTty();
    const { link, written } = fakeLink();
    const done = runTerminal({ link, input, output: new PassThrough(), clock: new VirtualClock(), lineEnding: 'crlf' });
    input.write('a\rb\nc\x03\x1d');
    await done;
    expect(written().toString('latin1')).toBe('a\r\nb\nc\x03');
  });

  it('returns when piped input ends, after sending what it had', async () => {
    const input = new PassThrough();
    const { link, written } = fakeLink();
    const done = runTerminal({ link, input, output: new PassThrough(), clock: new VirtualClock(), lineEnding: 'cr' });
    input.end('reboot\n');
    expect((await done).reason).toBe('input-ended');
    expect(written().toString()).toBe('reboot\r');
  });

  it('a transcript path that cannot be written is a usage error before anything runs', async () => {
    const { link } = fakeLink();
    await expect(runTerminal({ link, input: new PassThrough(), output: new PassThrough(), clock: new VirtualClock(), transcriptPath: '/nonexistent-dir/x.log' })).rejects.toThrow(
      /cannot write transcript/,
    );
  });
});

describe('KeyTranslator (piped input)', () => {
  const enter = lineEndingBytes('crlf');
  it('counts CRLF, CR and LF as one Enter each, CRLF even split across chunks', () => {
    const k = new KeyTranslator(0x1d, enter, false);
    const out = [k.push(Buffer.from('a\r')), k.push(Buffer.from('\nb\n')), k.push(Buffer.from('c\rd'))].map((r) => r.bytes.toString());
    expect(out.join('')).toBe('a\r\nb\r\nc\r\nd');
  });
  it('stops at the quit key', () => {
    const k = new KeyTranslator(0x1d, enter, false);
    expect(k.push(Buffer.from('x\x1dy'))).toEqual({ bytes: Buffer.from('x'), quit: true });
  });
  it('lineEndingBytes', () => {
    expect([lineEndingBytes('lf'), lineEndingBytes('crlf'), lineEndingBytes('cr')].map((b) => b.toString('hex'))).toEqual(['0a', '0d0a', '0d']);
    expect(() => lineEndingBytes('x' as never)).toThrow(/unknown line ending/);
  });
});
