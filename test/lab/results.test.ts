// Results come home through a real redis-server: one stream entry per job, caps that replace an
// oversized attachment by a note the result then names, a job cap, draining to disk (and only the
// asked run's entries), the rig's last result, and bad entries named by stream id and field.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connectRedis } from '../../src/lab/connection.js';
import { resultsKey } from '../../src/lab/keys.js';
import { drainResults, fetchResults, lastResult, publishResults, readDrainedJobs, type JobResultsMeta } from '../../src/lab/results.js';
import { startRedis, type RedisProc } from './redis-server.js';

let server: RedisProc;
let redis: Redis;
let tmp: string;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await redis.connect();
  tmp = mkdtempSync(join(tmpdir(), 'hilrig-results-'));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function meta(over: Partial<JobResultsMeta> = {}): JobResultsMeta {
  return {
    runId: 'run-1',
    jobId: '17',
    rig: 'lab-twin-a',
    host: 'pi-3',
    workerId: 'w1',
    kind: 'suite',
    suite: 'smoke',
    campaign: 'nightly',
    attempt: 1,
    startedAt: 1_000,
    finishedAt: 2_000,
    outcome: 'passed',
    summary: '2 passed',
    ...over,
  };
}

/** An Allure results folder as allure-jest leaves it: one result naming two attachments, one in a step. */
function resultsDir(name: string, sizes: { small: number; big: number }): string {
  const run = join(tmp, name);
  const dir = join(run, 'allure-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'aaa-attachment.txt'), 'x'.repeat(sizes.small));
  writeFileSync(join(dir, 'bbb-attachment.svg'), `<svg>${'y'.repeat(sizes.big)}</svg>`);
  const result = {
    uuid: 'r1',
    name: 'cut at 40%',
    status: 'passed',
    attachments: [{ name: 'console', source: 'aaa-attachment.txt', type: 'text/plain' }],
    steps: [{ name: 'update', attachments: [{ name: 'timeline', source: 'bbb-attachment.svg', type: 'image/svg+xml' }], steps: [] }],
  };
  writeFileSync(join(dir, 'r1-result.json'), JSON.stringify(result));
  writeFileSync(join(dir, '.allure-write-r2-result.json.tmp'), '{"half');
  writeFileSync(join(run, 'results.jsonl'), '{"rig":"lab-twin-a","status":"passed"}\n');
  return dir;
}

describe('publishResults / fetchResults', () => {
  it('round trip: every file, the records beside, lastKey; the drained entry leaves the stream', async () => {
    const dir = resultsDir('plain', { small: 100, big: 200 });
    const sent = await publishResults(redis, server.lab(), meta(), dir);
    expect(sent.dropped).toEqual([]);
    expect(await redis.xlen(resultsKey('hil'))).toBe(1);
    expect(await lastResult(redis, server.lab(), 'lab-twin-a')).toEqual(meta());

    const out = join(tmp, 'drain-1');
    const got = await fetchResults(redis, server.lab(), out);
    expect(got).toEqual([meta()]);
    const jobs = readDrainedJobs(join(out, 'run-1'));
    expect(jobs).toHaveLength(1);
    const files = readdirSync(join(jobs[0]!.dir, 'allure-results')).sort();
    expect(files).toEqual(['aaa-attachment.txt', 'bbb-attachment.svg', 'r1-result.json']);
    expect(readFileSync(join(jobs[0]!.dir, 'allure-results', 'bbb-attachment.svg'), 'utf8')).toBe(readFileSync(join(dir, 'bbb-attachment.svg'), 'utf8'));
    expect(readFileSync(join(jobs[0]!.dir, 'results.jsonl'), 'utf8')).toContain('lab-twin-a');
    expect(await redis.xlen(resultsKey('hil'))).toBe(0);
  });

  it('an attachment over maxAttachmentBytes becomes a note, and the result names the note', async () => {
    const dir = resultsDir('big-attachment', { small: 100, big: 5000 });
    const lab = server.lab({ store: { results: { maxAttachmentBytes: 1024, maxJobBytes: 1 << 20 } } });
    const sent = await publishResults(redis, lab, meta({ jobId: '18' }), dir);
    expect(sent.dropped).toEqual([expect.stringMatching(/^bbb-attachment\.svg: attachment over maxAttachmentBytes \(5011 > 1024\)$/)]);
    const [job] = await drainResults(redis, lab, join(tmp, 'drain-2'));
    const results = join(job!.dir, 'allure-results');
    expect(existsSync(join(results, 'bbb-attachment.svg'))).toBe(false);
    expect(readFileSync(join(results, 'bbb-attachment.txt'), 'utf8')).toMatch(/bbb-attachment\.svg \(5011 bytes\) was left on the worker/);
    const r = JSON.parse(readFileSync(join(results, 'r1-result.json'), 'utf8')) as { steps: { attachments: { name: string; source: string; type: string }[] }[] };
    expect(r.steps[0]!.attachments[0]).toEqual({ name: 'timeline (left out: attachment over maxAttachmentBytes (5011 > 1024))', source: 'bbb-attachment.txt', type: 'text/plain' });
    expect(job!.dropped).toEqual(sent.dropped);
  });

  it('a job over maxJobBytes: its largest attachments go first, the results stay', async () => {
    const dir = resultsDir('big-job', { small: 3000, big: 3500 });
    const lab = server.lab({ store: { results: { maxAttachmentBytes: 8192, maxJobBytes: 5000 } } });
    const sent = await publishResults(redis, lab, meta({ jobId: '19' }), dir);
    expect(sent.dropped).toEqual([expect.stringMatching(/^bbb-attachment\.svg: job over maxJobBytes \(5000\)$/)]);
    expect(sent.bytes).toBeLessThanOrEqual(5000 + 1000);
    const [job] = await drainResults(redis, lab, join(tmp, 'drain-3'));
    expect(readdirSync(join(job!.dir, 'allure-results')).sort()).toEqual(['aaa-attachment.txt', 'bbb-attachment.txt', 'r1-result.json']);
  });

  it('an interrupted job travels with no results folder', async () => {
    await publishResults(redis, server.lab(), meta({ jobId: '20', outcome: 'interrupted', summary: 'worker pi-3 died mid-job (phase running)' }));
    const [job] = await drainResults(redis, server.lab(), join(tmp, 'drain-4'));
    expect(job!.meta.outcome).toBe('interrupted');
    expect(readdirSync(join(job!.dir, 'allure-results'))).toEqual([]);
  });

  it("a job's mark goes with its results in one transaction: both are there, with the mark's TTL; bad meta sends neither", async () => {
    const key = `${server.lab().redis.prefix}:phase:test.21.published`;
    await publishResults(redis, server.lab(), meta({ jobId: '21' }), undefined, { alsoSet: [{ key, value: '{"attempt":1}', ttlS: 60 }] });
    expect(await redis.get(key)).toBe('{"attempt":1}');
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    const [job] = await drainResults(redis, server.lab(), join(tmp, 'drain-mark'));
    expect(job!.meta.jobId).toBe('21');
    const other = `${key}.bad`;
    await expect(publishResults(redis, server.lab(), { ...meta({ jobId: '22' }), attempt: Number.NaN }, undefined, { alsoSet: [{ key: other, value: '1', ttlS: 60 }] })).rejects.toThrow(/attempt/);
    expect(await redis.exists(other)).toBe(0);
  });

  it('a job sent twice (the first reply lost to a Redis restart) is drained as one job, its one folder', async () => {
    const m = meta({ runId: 'run-twice', jobId: '23' });
    await publishResults(redis, server.lab(), m);
    await publishResults(redis, server.lab(), m);
    const jobs = await drainResults(redis, server.lab(), join(tmp, 'drain-twice'), { runId: 'run-twice' });
    expect(jobs.map((j) => [j.meta.jobId, j.meta.attempt])).toEqual([['23', m.attempt]]);
    expect(await redis.xlen(`${server.lab().redis.prefix}:results`)).toBe(0);
  });

  it('--run: only that run is drained, the others stay in the stream', async () => {
    await publishResults(redis, server.lab(), meta({ runId: 'run-a', jobId: '1' }));
    await publishResults(redis, server.lab(), meta({ runId: 'run-b', jobId: '2' }));
    const got = await fetchResults(redis, server.lab(), join(tmp, 'drain-5'), { runId: 'run-b' });
    expect(got.map((m) => m.runId)).toEqual(['run-b']);
    expect(await redis.xlen(resultsKey('hil'))).toBe(1);
    expect((await fetchResults(redis, server.lab(), join(tmp, 'drain-5'))).map((m) => m.runId)).toEqual(['run-a']);
  });

  it('bad meta is refused before anything is sent, naming the field', async () => {
    await expect(publishResults(redis, server.lab(), meta({ rig: '../etc' }))).rejects.toThrow(/publishResults meta: field rig: "\.\.\/etc" is not a name/);
    await expect(publishResults(redis, server.lab(), { ...meta(), outcome: 'great' as never })).rejects.toThrow(/field outcome: "great" is not one of/);
    expect(await redis.xlen(resultsKey('hil'))).toBe(0);
  });

  it('a bad stream entry is named by its id and field, and left in the stream', async () => {
    const id = await redis.xadd(resultsKey('hil'), '*', 'meta', JSON.stringify(meta({ jobId: '30' })), 'allure:../../evil', 'x');
    const problems: string[] = [];
    expect(await fetchResults(redis, server.lab(), join(tmp, 'drain-6'), { onProblem: (m) => problems.push(m) })).toEqual([]);
    expect(problems).toEqual([`hil:results entry ${id}: field "allure:../../evil": not a plain file name`]);
    await expect(fetchResults(redis, server.lab(), join(tmp, 'drain-6'))).rejects.toThrow(/field "allure:\.\.\/\.\.\/evil"/);
    await redis.xadd(resultsKey('hil'), '*', 'meta', '{nope');
    await redis.xdel(resultsKey('hil'), id!);
    await expect(fetchResults(redis, server.lab(), join(tmp, 'drain-6'))).rejects.toThrow(/entry \d+-\d+: field meta: not JSON/);
    await redis.del(resultsKey('hil'));
  });
});

describe('a Redis restart', () => {
  it('with appendonly: results published before a restart are still there after it', async () => {
    const aof = await startRedis({ appendonly: true });
    const client = await connectRedis(aof.lab());
    try {
      await publishResults(client, aof.lab(), meta({ jobId: '40' }), resultsDir('aof', { small: 10, big: 10 }));
      await aof.restart();
      const got = await fetchResults(client, aof.lab(), join(tmp, 'drain-aof'));
      expect(got.map((m) => m.jobId)).toEqual(['40']);
    } finally {
      client.disconnect();
      await aof.stop();
    }
  });

  it('without appendonly (and no RDB): what nobody drained is gone after a crash', async () => {
    const bare = await startRedis();
    const client = await connectRedis(bare.lab());
    try {
      await publishResults(client, bare.lab(), meta({ jobId: '41' }));
      await bare.kill9();
      await bare.restart();
      expect(await fetchResults(client, bare.lab(), join(tmp, 'drain-bare'))).toEqual([]);
    } finally {
      client.disconnect();
      await bare.stop();
    }
  });

  it('a job finishing while Redis is down: publishResults keeps trying and lands once Redis is back', async () => {
    const aof = await startRedis({ appendonly: true });
    const client = await connectRedis(aof.lab());
    try {
      await aof.stop();
      const tries: Promise<unknown> = publishResults(client, aof.lab(), meta({ jobId: '42' }), resultsDir('down', { small: 10, big: 10 }));
      await aof.restart();
      await tries;
      expect((await fetchResults(client, aof.lab(), join(tmp, 'drain-down'))).map((m) => m.jobId)).toEqual(['42']);
    } finally {
      client.disconnect();
      await aof.stop();
    }
  });
});
