/**
 * Issue 8 for `hil doctor`: the documented `probe.target: none` (defect 19), and a folder of
 * hostile sibling rig files (defects 5 and 6): a FIFO sibling, too many siblings, Ctrl-C.
 * The machine is a fake tree (fake.ts); openocd is the real binary.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOpenOcd, checkRigWiring, runDoctor } from '../../src/doctor/index.js';
import { MAX_COMPARED_RIGS } from '../../src/doctor/rig-wiring.js';
import { InterruptedError } from '../../src/core/errors.js';
import { benchRig, byId, fakeMachine, writeRig, type FakeMachine } from './fake.js';

let m: FakeMachine;
afterEach(() => m?.cleanup());

const TWIN = 'target: rp2040\nscheme: sfu-ab\ntwin:\npower: { driver: twin }\nconsole: { driver: twin }\nupdater: { driver: sfu }\nprobe: { driver: twin }\n';

describe('defect 19: probe.target: none', () => {
  test('is ok (the interface and configs describe the target), not a missing file "none"', async () => {
    m = fakeMachine({ extraPath: ['/usr/bin'] });
    m.env.root = '/';
    m.file('rigs/board.cfg', '# the whole target\n');
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/cmsis-dap.cfg\n  target: none\n  configs: [board.cfg]' }));
    const checks = await checkOpenOcd({ env: m.env, rig });
    expect(byId(checks, 'openocd.target')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^none: no target cfg is loaded/) });
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });
});

describe('defects 5 and 6: hostile rig files next to the rig', () => {
  test('a FIFO sibling is reported as not loading, at once (it used to block forever)', async () => {
    m = fakeMachine();
    const dir = join(m.root, 'rigs');
    const rig = writeRig(dir, 'twin', TWIN);
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    writeFileSync(join(dir, 'nul.yaml'), 'target: rp\0');
    const files = byId(await checkRigWiring({ env: m.env, rig }), 'wiring.files');
    expect(files.status).toBe('warn');
    expect(files.detail).toContain('nul.yaml:1:11: NUL byte (0x00): a rig file must be text');
    expect(files.detail).toContain('pipe.yaml: cannot read: is a FIFO (named pipe), which could block forever: expected a regular file');
  });

  test(`only the first ${MAX_COMPARED_RIGS} siblings are read; the rest are counted`, async () => {
    m = fakeMachine();
    const dir = join(m.root, 'rigs');
    const rig = writeRig(dir, 'a-twin', TWIN);
    for (let i = 0; i < MAX_COMPARED_RIGS + 5; i++) writeFileSync(join(dir, `z${String(i).padStart(3, '0')}.yaml`), TWIN);
    const checks = await checkRigWiring({ env: m.env, rig });
    expect(byId(checks, 'wiring.pins').detail).toContain(`checked against the ${MAX_COMPARED_RIGS} other rig files`);
    expect(byId(checks, 'wiring.skipped')).toMatchObject({ status: 'warn', detail: expect.stringContaining('5 more rig files') });
  });

  test('Ctrl-C / SIGTERM (the command signal) stops the doctor between files', async () => {
    m = fakeMachine();
    const rig = writeRig(join(m.root, 'rigs'), 'twin', TWIN);
    const abort = new AbortController();
    abort.abort(new InterruptedError());
    await expect(checkRigWiring({ env: m.env, rig, signal: abort.signal })).rejects.toBeInstanceOf(InterruptedError);
    await expect(runDoctor(m.env, rig, undefined, abort.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});
