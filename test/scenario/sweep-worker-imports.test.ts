/**
 * A sweep worker thread opens its twin rig through openTwinRig (in process only), so its start-up
 * never loads the bench drivers (serialport, execa, libgpiod, openocd) or socat's pty transport:
 * they were most of each worker's start-up. What the worker's module graph loads is recorded by the
 * loader hook the lazy-commands test uses, in a real node process on the compiled dist/.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/hil.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-worker-imports-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('the sweep worker module loads no bench driver, serial or pty module', async () => {
  const file = join(tmp, 'modules.txt');
  const r = await execa(process.execPath, ['--import', join(ROOT, 'test/cli/fixtures/record-loading.mjs'), '--input-type=module', '-e', "await import('./dist/scenario/sweep/session.js')"], {
    cwd: ROOT,
    env: { HIL_RECORD_MODULES: file },
    reject: false,
  });
  expect(r.exitCode).toBe(0);
  const modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  // The hook did record: the session and the twin rig opener are there.
  expect(modules.some((u) => u.endsWith('/dist/scenario/sweep/session.js'))).toBe(true);
  expect(modules.some((u) => u.endsWith('/dist/rig/open-twin-rig.js'))).toBe(true);
  const unwanted = modules.filter((u) => /node_modules\/(serialport|@serialport|execa|onoff)\/|\/dist\/rig\/bench-|\/dist\/twin\/transport\/pty\.js|\/dist\/drivers\/console\/serial-link\.js/.test(u));
  expect(unwanted).toEqual([]);
});
