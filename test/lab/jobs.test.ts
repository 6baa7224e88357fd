import { describe, expect, test } from '@jest/globals';
import { JobDataError, newRunId, parseJob } from '../../src/lab/jobs.js';

const SHA = 'a'.repeat(64);
const suite = { kind: 'suite', suite: 'brownout-sfu', rig: 'lab-sfu-01', runId: '20261206T120000Z-nightly', by: 'ci@host', enqueuedAt: 1 };

function refusal(data: unknown): string {
  try {
    parseJob(data);
  } catch (err) {
    expect(err).toBeInstanceOf(JobDataError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('parseJob: a job names things the worker has, nothing else', () => {
  test('the three kinds, with their optional fields', () => {
    expect(parseJob(suite)).toEqual(suite);
    const withImages = { ...suite, campaign: 'nightly', images: { from: SHA, to: 'b'.repeat(64), via: ['c'.repeat(64)] } };
    expect(parseJob(withImages)).toEqual(withImages);
    const cell = { kind: 'signoff-cell', signoff: 'release-1.4', cell: 'lab-sfu-01.sfu.every-op', rig: 'lab-sfu-01', runId: 'r1', by: 'ci', enqueuedAt: 5 };
    expect(parseJob(cell)).toEqual(cell);
    const health = { kind: 'health', rig: 'lab-sfu-01', reason: 'job 7 broken: probe gone (exit 3) × 2', by: 'pi-a', enqueuedAt: 9 };
    expect(parseJob(health)).toEqual(health);
  });

  test.each([
    ['a path as suite', { ...suite, suite: '../../etc/passwd' }, /^job data: suite: expected a name/],
    ['an absolute path as rig', { ...suite, rig: '/dev/ttyUSB0' }, /^job data: rig: expected a name/],
    ['a command as suite', { ...suite, suite: 'x; rm -rf /' }, /^job data: suite: expected a name/],
    ['a YAML body as suite', { ...suite, suite: 'name: x\nscheme: sfu-ab' }, /^job data: suite: expected a name/],
    ['a name starting with a dot', { ...suite, campaign: '.hidden' }, /^job data: campaign: expected a name/],
    ['a 65-character name', { ...suite, rig: 'r'.repeat(65) }, /^job data: rig: expected a name/],
    ['an image by path', { ...suite, images: { from: 'firmware/app-v1.bin', to: SHA } }, /^job data: images\.from: expected a sha256/],
    ['an upper-case sha256', { ...suite, images: { from: SHA.toUpperCase(), to: SHA } }, /^job data: images\.from: expected a sha256/],
    ['a bad via entry', { ...suite, images: { from: SHA, to: SHA, via: [SHA, 'x'] } }, /^job data: images\.via\[1\]: expected a sha256/],
    ['an unknown image field', { ...suite, images: { from: SHA, to: SHA, file: '/tmp/x' } }, /^job data: images\.file: unknown field/],
    ['an unknown field', { ...suite, command: 'reboot' }, /^job data: command: unknown field \(allowed: kind, suite, rig, runId, by, enqueuedAt, campaign, images\)/],
    ['a field of another kind', { ...suite, reason: 'x' }, /^job data: reason: unknown field/],
    ['a missing field', { kind: 'suite', suite: 'a', rig: 'b', by: 'c', enqueuedAt: 1 }, /^job data: runId: missing/],
    ['an unknown kind', { ...suite, kind: 'shell' }, /^job data: kind: expected suite, signoff-cell or health, got "shell"/],
    ['a control character in by', { ...suite, by: 'ci\u001b[2J' }, /^job data: by: expected one line/],
    ['a multi-line reason', { kind: 'health', rig: 'r', reason: 'a\nb', by: 'x', enqueuedAt: 1 }, /^job data: reason: expected one line/],
    ['a negative time', { ...suite, enqueuedAt: -1 }, /^job data: enqueuedAt: expected epoch milliseconds/],
    ['a string time', { ...suite, enqueuedAt: '1' }, /^job data: enqueuedAt: expected epoch milliseconds/],
    ['an array', [suite], /^job data: \(job\): expected an object/],
    ['null', null, /^job data: \(job\): expected an object/],
  ])('refuses %s, naming the field', (_what, data, message) => {
    expect(refusal(data)).toMatch(message);
  });

  test('run ids are names', () => {
    const id = newRunId('nightly', new Date('2026-12-06T12:30:45.123Z'));
    expect(id).toBe('20261206T123045Z-nightly');
    expect(parseJob({ ...suite, runId: id }).kind).toBe('suite');
  });
});
