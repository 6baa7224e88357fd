/** `hil console` through the real CLI entry, on a twin rig (stdin piped: Ctrl-] quits). */
import { describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../cli/hil.js';
import { tempDir, stopAllSocat } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

describe('hil console (real CLI, twin rig)', () => {
  test('--power on shows the boot text on the wall clock; Ctrl-] quits with exit 0 and a transcript', async () => {
    const dir = await tempDir('hil-console-cli-');
    const transcript = join(dir, 't.log');
    const child = execa(process.execPath, [join(ROOT, 'bin/hil.js'), 'console', '--rig', 'twin-rp2040-sfu', '--power', 'on', '--transcript', transcript], {
      cwd: ROOT,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor('the twin app banner on stdout', () => /Fisrt start/.test(out));
    child.stdin!.write(Buffer.from([0x1d]));
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('Ctrl-] to quit');
    const lines = readFileSync(transcript, 'utf8').split('\n');
    expect(lines.some((l) => /^\[\+0\.\d{3}s\] find_latest_variant$/.test(l))).toBe(true);
    // Wall clock: the session lasted seconds (minutes at worst on a busy machine), not the hours a
    // virtual-time twin would race through. A bound between the two, not a speed limit.
    const last = lines.filter((l) => l.startsWith('[+')).pop()!;
    expect(Number(/^\[\+(\d+\.\d+)s\]/.exec(last)![1])).toBeLessThan(300);
    await stopAllSocat();
  });

  test('--power with a bad value is a usage error before anything opens', async () => {
    const r = await execa(process.execPath, [join(ROOT, 'bin/hil.js'), 'console', '--rig', 'twin-rp2040-sfu', '--power', 'off'], { cwd: ROOT, reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--power: expected on or cycle');
  });
});
