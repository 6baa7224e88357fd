/** `hil doctor` through the real CLI entry (bin/hil.js) on this machine. */
import { describe, expect, test } from '@jest/globals';
import { hil } from '../cli/hil.js';

describe('hil doctor (real machine, real CLI)', () => {
  test('a twin rig can run here: exit 0, clean JSON on stdout, node and openocd reported', async () => {
    const r = await hil(['doctor', '--rig', 'twin-rp2040-sfu', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.rig.name).toBe('twin-rp2040-sfu');
    expect(doc.checks.find((c: { id: string }) => c.id.startsWith('node')).status).toBe('ok');
  });

  test('the example Pi rig cannot run on a machine without its hardware: exit 3 and a fix for each failure', async () => {
    const r = await hil(['doctor', '--rig', 'pi-stm32f429-disco']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/✗/);
    expect(r.stdout + r.stderr).toMatch(/fix: /);
  });

  test('a rig that does not exist is a usage error (exit 2)', async () => {
    const r = await hil(['doctor', '--rig', 'no-such-rig']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no-such-rig');
  });
});
