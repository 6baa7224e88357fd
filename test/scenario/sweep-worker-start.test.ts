/**
 * A sweep worker thread opens its session on the rig config the engine loaded (WorkerTask.config),
 * so its start-up loads no config reader: zod (with its 60-odd locale modules) and yaml were about
 * half of each worker's start-up. Recorded with the lazy-commands test's loader hook, in a real
 * node process on the compiled dist/.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/hil.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-worker-start-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function modulesOf(entry: string): Promise<string[]> {
  const file = join(tmp, `${entry.replace(/\W/g, '_')}.txt`);
  const r = await execa(process.execPath, ['--import', join(ROOT, 'test/cli/fixtures/record-loading.mjs'), '--input-type=module', '-e', `await import('./${entry}')`], {
    cwd: ROOT,
    env: { HIL_RECORD_MODULES: file },
    reject: false,
  });
  expect(r.exitCode).toBe(0);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const CONFIG_READERS = /node_modules\/(zod|yaml)\/|\/dist\/config\/(load|rig-schema|suite-schema|fields|document)\.js$/;

test('the sweep worker module loads neither zod nor yaml nor the rig file loader', async () => {
  const modules = await modulesOf('dist/scenario/sweep/worker.js');
  // The hook did record: the worker, its session and the twin rig opener are there.
  expect(modules.some((u) => u.endsWith('/dist/scenario/sweep/worker.js'))).toBe(true);
  expect(modules.some((u) => u.endsWith('/dist/scenario/sweep/session-core.js'))).toBe(true);
  expect(modules.some((u) => u.endsWith('/dist/rig/open-twin-rig.js'))).toBe(true);
  expect(modules.filter((u) => CONFIG_READERS.test(u))).toEqual([]);
});

test('the session module the rest of hilrig imports still reads rig files (the check above is not vacuous)', async () => {
  const modules = await modulesOf('dist/scenario/sweep/session.js');
  expect(modules.some((u) => /node_modules\/zod\//.test(u))).toBe(true);
  expect(modules.some((u) => u.endsWith('/dist/config/load.js'))).toBe(true);
});
