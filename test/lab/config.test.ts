// lab.yaml: defaults, relative paths, and every bad input named by file:line:col and field, a
// password in the file above all.
import { expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from '../../src/config/index.js';
import { LAB_ENV, defaultLab, labFile, loadLab, parseLab } from '../../src/lab/config.js';
import { redisOptions } from '../../src/lab/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'hilrig-labcfg-'));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problems(text: string): string {
  const file = write('bad.yaml', text);
  try {
    loadLab(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigFileError');
}

test('defaults without a file: local Redis, prefix hil, 15 s leases renewed every 5 s', () => {
  const lab = defaultLab('/somewhere');
  expect(lab.redis).toEqual({ host: '127.0.0.1', port: 6379, db: 0, prefix: 'hil' });
  expect(lab.lease).toEqual({ ttlMs: 15000, renewMs: 5000 });
  expect(lab.state).toBe('/var/lib/hil');
  expect(lab.store.results).toEqual({ maxAttachmentBytes: 262144, maxJobBytes: 4194304 });
  expect(lab.health).toEqual({ everyMs: 3600000, passesToResume: 2 });
  expect(lab.file).toBeUndefined();
});

test('a full file: paths relative to the file, TLS files, password from a file', () => {
  const file = write(
    'lab.yaml',
    [
      'redis:',
      '  host: redis.lab.example',
      '  port: 6380',
      '  username: hil',
      '  passwordFile: secrets/redis.pass',
      '  prefix: lab2',
      '  tls: { ca: tls/ca.crt, cert: tls/client.crt, key: tls/client.key, servername: redis.lab.example }',
      'lease: { ttlMs: 20000, renewMs: 6000 }',
      'state: state',
      'store: { images: /srv/images, results: { maxAttachmentBytes: 100000 } }',
      'health: { everyMs: 600000, passesToResume: 3, bootTimeoutMs: 8000 }',
      '',
    ].join('\n'),
  );
  const lab = loadLab(file);
  expect(lab.file).toBe(file);
  expect(lab.redis).toEqual({
    host: 'redis.lab.example',
    port: 6380,
    db: 0,
    username: 'hil',
    passwordFile: join(dir, 'secrets/redis.pass'),
    prefix: 'lab2',
    tls: { ca: join(dir, 'tls/ca.crt'), cert: join(dir, 'tls/client.crt'), key: join(dir, 'tls/client.key'), servername: 'redis.lab.example', rejectUnauthorized: true },
  });
  expect(lab.lease).toEqual({ ttlMs: 20000, renewMs: 6000 });
  expect(lab.state).toBe(join(dir, 'state'));
  expect(lab.store).toEqual({ images: '/srv/images', results: { maxAttachmentBytes: 100000, maxJobBytes: 4194304 } });
  expect(lab.health).toEqual({ everyMs: 600000, passesToResume: 3, bootTimeoutMs: 8000 });
});

test('which file: --lab, else $HIL_LAB, else ./lab.yaml, else none', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'hilrig-labcwd-'));
  expect(labFile(undefined, {}, cwd)).toBeUndefined();
  expect(labFile(undefined, { [LAB_ENV]: 'x/lab.yaml' }, cwd)).toBe(join(cwd, 'x/lab.yaml'));
  writeFileSync(join(cwd, 'lab.yaml'), 'state: s\n');
  expect(labFile(undefined, {}, cwd)).toBe(join(cwd, 'lab.yaml'));
  expect(labFile('other.yaml', { [LAB_ENV]: 'x/lab.yaml' }, cwd)).toBe(join(cwd, 'other.yaml'));
});

test('a password in the file is refused at its line, saying where a password goes', () => {
  const message = problems('redis:\n  host: 10.0.0.2\n  password: hunter2\n');
  expect(message).toMatch(/bad\.yaml:3:13: redis\.password: a password is never written in lab\.yaml: name a variable \(passwordEnv/);
  // The password itself is not repeated in the message.
  expect(message).not.toContain('hunter2');
});

test('bad values name file:line:col and field, all at once', () => {
  const message = problems(['redis:', '  port: "6379x"', '  prefix: "a:b"', '  tls: { rejectUnauthorised: false }', 'lease: { ttlMs: 10 }', 'stat: /x', ''].join('\n'));
  expect(message).toMatch(/bad\.yaml:2:9: redis\.port: expected an integer, got "6379x"/);
  expect(message).toMatch(/:3:11: redis\.prefix: expected a plain name/);
  expect(message).toMatch(/:4:10: redis\.tls\.rejectUnauthorised: unknown key \(did you mean "rejectUnauthorized"\?\)/);
  expect(message).toMatch(/:5:17: lease\.ttlMs: expected an integer >= 1000/);
  expect(message).toMatch(/:6:1: stat: unknown key \(did you mean "state"\?\)/);
});

test('renewMs must be under half the TTL; passwordEnv and passwordFile exclude each other; cert needs key', () => {
  const message = problems(['redis:', '  passwordEnv: PW', '  passwordFile: /etc/pw', '  tls:', '    cert: c.pem', 'lease:', '  ttlMs: 10000', '  renewMs: 5000', ''].join('\n'));
  expect(message).toMatch(/:3:17: redis\.passwordFile: give passwordEnv or passwordFile, not both/);
  expect(message).toMatch(/:5:11: redis\.tls\.cert: a client certificate needs both cert and key/);
  expect(message).toMatch(/:8:12: lease\.renewMs: must be less than half of lease\.ttlMs \(10000\), got 5000/);
});

test('YAML errors and unreadable files are located too', () => {
  expect(problems('redis: [1, 2\n')).toMatch(/bad\.yaml:\d+:\d+: /);
  expect(problems('- a\n- b\n')).toMatch(/bad\.yaml:1:1: expected a lab as a YAML mapping at the top level, got a list/);
  expect(() => loadLab(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read/);
});

test('the password reaches ioredis from the named variable or file, never from elsewhere', () => {
  const pwFile = write('pw', 's3cret\n');
  const fromFile = parseLab(`redis: { passwordFile: ${pwFile} }\n`, join(dir, 'a.yaml'));
  expect(redisOptions(fromFile, 'client').password).toBe('s3cret');
  const fromEnv = parseLab('redis: { passwordEnv: HILRIG_TEST_PW }\n', join(dir, 'b.yaml'));
  expect(() => redisOptions(fromEnv, 'client')).toThrow(/names HILRIG_TEST_PW for the Redis password \(redis\.passwordEnv\) but it is not set/);
  process.env.HILRIG_TEST_PW = 'from-env';
  try {
    expect(redisOptions(fromEnv, 'client').password).toBe('from-env');
  } finally {
    delete process.env.HILRIG_TEST_PW;
  }
  // A worker's connection never gives up on a command (BullMQ's requirement); a client's does.
  expect(redisOptions(fromFile, 'worker').maxRetriesPerRequest).toBeNull();
  expect(redisOptions(fromFile, 'client').maxRetriesPerRequest).toBe(1);
});

test('lab.example.yaml is a valid lab file and says what the defaults say', () => {
  const example = loadLab(join(process.cwd(), 'lab.example.yaml'));
  const defaults = defaultLab(process.cwd());
  expect(example.redis).toEqual({ ...defaults.redis, passwordEnv: 'HIL_REDIS_PASSWORD' });
  expect(example.lease).toEqual(defaults.lease);
  expect(example.state).toBe(defaults.state);
  expect(example.store).toEqual(defaults.store);
  expect(example.health).toEqual(defaults.health);
});
