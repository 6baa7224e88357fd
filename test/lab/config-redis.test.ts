// lab.yaml's connection against a real redis-server: AUTH from a file, TLS with certificates made
// by openssl for the run (Debian's redis-server is built with TLS), a client certificate when the
// server demands one, and errors that say where and whether AUTH or TLS failed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { connectRedis, describeRedis, RedisConnectError } from '../../src/lab/connection.js';
import { RigLeases, isLease } from '../../src/lab/lease.js';
import { makeTlsFiles, startRedis, type RedisProc } from './redis-server.js';

let server: RedisProc;

beforeAll(async () => {
  server = await startRedis({ tls: true, tlsAuthClients: 'yes', password: 'tls-pw' });
});

afterAll(async () => {
  await server.stop();
});

test('TLS with a client certificate and AUTH: leases work as on a plain connection', async () => {
  const lab = server.lab();
  expect(describeRedis(lab)).toBe(`redis 127.0.0.1:${server.tls!.port} (TLS, AUTH)`);
  const redis = await connectRedis(lab);
  try {
    const got = await new RigLeases(redis, lab).acquire('tls-rig', { workerId: 'w1', host: hostname(), pid: process.pid });
    expect(isLease(got) && got.token).toBe(1);
  } finally {
    redis.disconnect();
  }
});

test('a server certificate from another CA is refused: TLS failed', async () => {
  const other = makeTlsFiles(mkdtempSync(join(tmpdir(), 'hilrig-otherca-')));
  const lab = server.lab();
  await expect(connectRedis({ ...lab, redis: { ...lab.redis, tls: { ...lab.redis.tls!, ca: other.ca } } })).rejects.toThrow(
    new RegExp(`redis 127\\.0\\.0\\.1:${server.tls!.port} \\(TLS, AUTH\\): TLS failed`),
  );
});

test('without the client certificate the server demands, connecting fails and says so', async () => {
  const lab = server.lab();
  const { cert: _c, key: _k, ...noClientCert } = lab.redis.tls!;
  await expect(connectRedis({ ...lab, redis: { ...lab.redis, tls: noClientCert } })).rejects.toThrow(RedisConnectError);
});

test('the wrong password: AUTH failed, and the password is not in the message', async () => {
  const lab = server.lab();
  process.env.HILRIG_WRONG_PW = 'not-the-password';
  try {
    const { passwordFile: _p, ...redis } = lab.redis;
    const error = await connectRedis({ ...lab, redis: { ...redis, passwordEnv: 'HILRIG_WRONG_PW' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisConnectError);
    expect((error as Error).message).toMatch(/AUTH failed \(wrong or missing password\)/);
    expect((error as Error).message).not.toContain('not-the-password');
  } finally {
    delete process.env.HILRIG_WRONG_PW;
  }
});

test('a missing TLS file is named with its field', async () => {
  const lab = server.lab();
  await expect(connectRedis({ ...lab, redis: { ...lab.redis, tls: { ...lab.redis.tls!, ca: '/nonexistent/ca.crt' } } })).rejects.toThrow(/cannot read redis\.tls\.ca \/nonexistent\/ca\.crt: ENOENT/);
});

test('nothing listening: connection refused, naming host and port', async () => {
  const lab = server.lab({ redis: { port: 1, tls: undefined } });
  delete lab.redis.tls;
  await expect(connectRedis(lab)).rejects.toThrow(/redis 127\.0\.0\.1:1 \(AUTH\): connection refused/);
});
