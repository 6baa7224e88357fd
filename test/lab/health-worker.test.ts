// A health check end to end: a real `hil worker` serving two twin rigs, a real redis-server, and
// `hil lab check` / `hil lab status` as an operator runs them. The rig whose banner never comes
// (a twin rig file without a probe: blank flash, its bootloader waits) is taken out of rotation
// by its failed check, with the reason, and audited; the healthy one passes and keeps running.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { readAudit } from '../../src/lab/audit.js';
import type { LabConfig } from '../../src/lab/config.js';
import { startRedis, type RedisProc } from './redis-server.js';
import { ROOT } from './helpers/lab-workdir.js';
import { startWorker, type WorkerProc } from './helpers/worker-proc.js';
import { hil } from '../cli/hil.js';

let server: RedisProc;
let redis: Redis;
let lab: LabConfig;
let labFile: string;
let tmp: string;
let worker: WorkerProc | undefined;

beforeAll(async () => {
  server = await startRedis();
  tmp = mkdtempSync(join(tmpdir(), 'hilrig-health-worker-'));
  const overrides = { health: { passesToResume: 2 }, state: join(tmp, 'state') };
  lab = server.lab(overrides);
  labFile = server.labFile(overrides);
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: null });
  await redis.connect();
  const twin = readFileSync(join(ROOT, 'rigs/twin-rp2040-sfu.yaml'), 'utf8');
  mkdirSync(join(tmp, 'rigs'));
  writeFileSync(join(tmp, 'rigs/lab-well.yaml'), twin.replace(/^name: .*$/m, 'name: lab-well'));
  writeFileSync(join(tmp, 'rigs/lab-sick.yaml'), twin.replace(/^name: .*$/m, 'name: lab-sick').replace(/^probe:\n( {2}.*\n)+/m, ''));
  worker = startWorker({ cwd: tmp, rigs: join(tmp, 'rigs/*.yaml'), labFile, id: 'pi-h' });
  await worker.waitLine(/worker pi-h ready/);
});

afterAll(async () => {
  if (worker) {
    worker.sigint();
    await worker.exited;
  }
  redis?.disconnect();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('health checks through a real worker', () => {
  it('a failed check pauses the rig with its reason; a passing one leaves its rig running', async () => {
    for (const rig of ['lab-sick', 'lab-well']) expect((await hil(['lab', 'check', rig, '--lab', labFile])).exitCode).toBe(0);
    await worker!.waitLine(/rig lab-sick: health check \(.*\): FAILED: banner: no banner within 6000 ms.*; queue paused/);
    await worker!.waitLine(/rig lab-well: health check \(.*\): ok/);

    const r = await hil(['lab', 'status', '--json', '--lab', labFile]);
    expect(r.exitCode).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rigs: { rig: string; worker?: { id: string }; queue: { paused: boolean }; health: { state: string; reason?: string } }[] }).rigs;
    const sick = rows.find((x) => x.rig === 'lab-sick')!;
    const well = rows.find((x) => x.rig === 'lab-well')!;
    expect(sick).toMatchObject({ worker: { id: 'pi-h' }, queue: { paused: true }, health: { state: 'paused' } });
    expect(sick.health.reason).toMatch(/^banner: no banner within 6000 ms: a device that spoke but ran no app/);
    expect(well).toMatchObject({ worker: { id: 'pi-h' }, queue: { paused: false }, health: { state: 'ok' } });
    const [pause] = (await readAudit(redis, lab, { rig: 'lab-sick' })).filter((e) => e.action === 'pause');
    expect(pause).toMatchObject({ by: 'health', detail: sick.health.reason });
  });
});
