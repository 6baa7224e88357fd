/**
 * `hil console` run in-process against the RP2040-SFU twin rig, with PassThrough stdin/stdout.
 * The command never powers the board, so the twin stays silent: these tests are about the
 * command's plumbing (connect message, quit, transcript file, exit codes, usage errors).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { makeConsoleCommand, consoleCommand } from '../../src/cli/commands/console.js';
import { helpText, parseCommandArgs } from '../../src/cli/command.js';
import { Output } from '../../src/cli/output.js';
import { ExitCode, InterruptedError, UsageError } from '../../src/core/errors.js';
import { useRig } from '../../src/testing/index.js';
import { stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const RIG = join(import.meta.dirname, '../../rigs/twin-rp2040-sfu.yaml');

afterEach(async () => {
  await stopAllSocat();
});

function harness(argv: string[], signal = new AbortController().signal) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const errText: string[] = [];
  stderr.on('data', (c: Buffer) => errText.push(c.toString()));
  stdout.resume();
  const cmd = makeConsoleCommand({ stdin, stdout });
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const out = new Output({ quiet: !!values.quiet, json: !!values.json }, stderr as unknown as NodeJS.WriteStream, stdout as unknown as NodeJS.WriteStream);
  const run = cmd.run({ values, positionals, out, signal });
  return { stdin, run, stderr: () => errText.join('') };
}

describe('hil console', () => {
  it('connects, says how to quit, ends on Ctrl-] with exit 0 and a transcript in --log-dir', async () => {
    const dir = await tempDir();
    const h = harness(['--rig', RIG, '--log-dir', join(dir, 'logs')]);
    await waitFor('the console to connect', () => /Ctrl-\] to quit/.test(h.stderr()));
    h.stdin.write('\x1d');
    expect(await h.run).toBe(ExitCode.ok);
    expect(h.stderr()).toMatch(/^connected to twin.* \(rig twin-rp2040-sfu\), Ctrl-\] to quit$/m);
    const files = await readdir(join(dir, 'logs'));
    expect(files).toEqual([expect.stringMatching(/^console-twin-rp2040-sfu-.*\.log$/)]);
    expect(await readFile(join(dir, 'logs', files[0]!), 'utf8')).toMatch(/^# hil console on /);
    expect(h.stderr()).toMatch(/transcript: .*\.log \(0 lines\)/);
  });

  it('an abort ends it with the interrupted exit code', async () => {
    const ac = new AbortController();
    const h = harness(['--rig', RIG], ac.signal);
    await waitFor('the console to connect', () => /Ctrl-\] to quit/.test(h.stderr()));
    ac.abort(new InterruptedError());
    expect(await h.run).toBe(ExitCode.interrupted);
  });

  it.each([
    [['--rig', RIG, '--json'], /interactive/],
    [['--rig', RIG, '--transcript', 'a.log', '--log-dir', 'logs'], /one or the other/],
    [['--rig', RIG, '--line-ending', 'crcr'], /--line-ending: expected lf, crlf or cr/],
    [['--rig', RIG, '--transcript', '/nonexistent-dir/t.log'], /cannot write transcript/],
    [[], /--rig is required/],
  ])('%j is a usage error', async (argv, message) => {
    const h = harness(argv);
    const err = await h.run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });

  it('has help in the house style', () => {
    const help = helpText(consoleCommand);
    expect(help).toMatch(/^hil console: /);
    expect(help).toMatch(/switches power only when asked/);
    expect(help).toMatch(/--transcript FILE/);
  });
});

describe('terminal on the twin rig (powered by the test, not by the command)', () => {
  const rig = useRig(RIG);

  it("shows the twin's boot text and writes it to the transcript", async () => {
    const { runTerminal } = await import('../../src/cli/terminal.js');
    const dir = await tempDir();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const shown: Buffer[] = [];
    stdout.on('data', (c: Buffer) => shown.push(c));
    const transcriptPath = join(dir, 't.log');
    const done = runTerminal({ console: rig.rig.console, input: stdin, output: stdout, transcriptPath, clock: rig.rig.clock });
    await rig.power.on();
    const said = () => rig.console.lines.filter((l) => l.text.trim());
    await waitFor('two lines from the device', () => said().length >= 2);
    stdin.write('\x1d');
    const r = await done;
    expect(r.reason).toBe('quit');
    expect(r.lines).toBeGreaterThanOrEqual(2);
    const transcript = await readFile(transcriptPath, 'utf8');
    const first = said()[0]!.text;
    expect(transcript).toMatch(new RegExp(`^\\[\\+\\d+\\.\\d{3}s\\] ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(Buffer.concat(shown).toString('latin1')).toContain(first);
  });
});
