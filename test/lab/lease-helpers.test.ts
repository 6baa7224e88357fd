// The lab's test helpers themselves: a real redis-server (AUTH, AOF across a restart, TLS) and the
// partition proxy, so the lab tests that build on them fail for their own reasons only.
import { afterAll, expect, test } from '@jest/globals';
import { connectRedis, RedisConnectError } from '../../src/lab/connection.js';
import { startRedis, type RedisProc } from './redis-server.js';
import { startProxy } from './tcp-proxy.js';

const servers: RedisProc[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

async function started(opts: Parameters<typeof startRedis>[0]): Promise<RedisProc> {
  const server = await startRedis(opts);
  servers.push(server);
  return server;
}

test('AUTH with the password from the lab file; without it the error says AUTH', async () => {
  const server = await started({ password: 'pw-test' });
  const redis = await connectRedis(server.lab());
  expect(await redis.get('nothing')).toBeNull();
  redis.disconnect();
  const noPassword = server.lab();
  delete noPassword.redis.passwordFile;
  await expect(connectRedis(noPassword)).rejects.toThrow(RedisConnectError);
  await expect(connectRedis(noPassword)).rejects.toThrow(/127\.0\.0\.1:\d+.*AUTH failed/);
});

test('appendonly: a key written before a restart is there after it', async () => {
  const server = await started({ appendonly: true });
  const redis = await connectRedis(server.lab());
  await redis.set('kept', 'yes');
  redis.disconnect();
  await server.kill9();
  await server.restart();
  const again = await connectRedis(server.lab());
  expect(await again.get('kept')).toBe('yes');
  again.disconnect();
});

test('TLS with the CA made for the run; a plain client on the TLS port is refused', async () => {
  const server = await started({ tls: true, password: 'pw-tls' });
  const redis = await connectRedis(server.lab());
  expect(await redis.ping()).toBe('PONG');
  redis.disconnect();
  const plain = server.lab();
  delete plain.redis.tls;
  await expect(connectRedis(plain)).rejects.toThrow(RedisConnectError);
});

test('the proxy forwards, cuts (reset and blackhole) and heals', async () => {
  const server = await started({});
  const proxy = await startProxy(server.port);
  try {
    const lab = server.lab({ redis: { port: proxy.port } });
    const redis = await connectRedis(lab);
    expect(await redis.ping()).toBe('PONG');
    proxy.cut('blackhole');
    // A blackhole answers nothing: the client's command timeout is what notices.
    await expect(redis.ping()).rejects.toThrow();
    proxy.heal();
    proxy.cut();
    await expect(connectRedis(lab)).rejects.toThrow(RedisConnectError);
    proxy.heal();
    const again = await connectRedis(lab);
    expect(await again.ping()).toBe('PONG');
    again.disconnect();
    redis.disconnect();
  } finally {
    await proxy.close();
  }
});
