/**
 * lab.yaml's redis section -> ioredis options and a connected client. The password is read here,
 * from the variable or the file lab.yaml names, at the moment of connecting (a rotated password
 * file is picked up by the next connection), and never printed.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_PASSWORD_ENV, type LabConfig } from './config.js';

export type ConnectionPurpose = 'queue' | 'worker' | 'client';

/** ioredis options whose retryStrategy is always a function (BullMQ's option type refuses ioredis's `null`). */
export type LabRedisOptions = Omit<RedisOptions, 'retryStrategy'> & { retryStrategy: (times: number) => number };

/** Connecting gave up; says where and whether it was AUTH, TLS or the network. */
export class RedisConnectError extends ConfigError {}

/** "redis 127.0.0.1:6380 (TLS, AUTH as hil)": where, for messages. */
export function describeRedis(lab: LabConfig): string {
  const { host, port, tls, username } = lab.redis;
  const how = [tls ? 'TLS' : undefined, hasPassword(lab) ? `AUTH${username ? ` as ${username}` : ''}` : undefined].filter(Boolean);
  return `redis ${host}:${port}${how.length > 0 ? ` (${how.join(', ')})` : ''}`;
}

function hasPassword(lab: LabConfig): boolean {
  return lab.redis.passwordFile !== undefined || process.env[lab.redis.passwordEnv ?? DEFAULT_PASSWORD_ENV] !== undefined;
}

function readPassword(lab: LabConfig): string | undefined {
  const { passwordFile, passwordEnv } = lab.redis;
  const where = lab.file ? ` (${lab.file}: redis.passwordFile)` : '';
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(passwordFile, 'utf8');
    } catch (error) {
      throw new RedisConnectError(`cannot read the Redis password file ${passwordFile}${where}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new RedisConnectError(`the Redis password file ${passwordFile}${where} is empty`);
    return password;
  }
  const name = passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const value = process.env[name];
  if (passwordEnv !== undefined && (value === undefined || value === '')) {
    throw new RedisConnectError(`lab.yaml names ${name} for the Redis password (redis.passwordEnv) but it is not set`);
  }
  return value === '' ? undefined : value;
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new RedisConnectError(`cannot read redis.tls.${field} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * ioredis options for one purpose. A BullMQ Worker blocks on Redis and must never give up on a
 * command (`maxRetriesPerRequest: null`, BullMQ insists); a plain client (leases, status) fails a
 * command after a bounded wait instead, so a partition is noticed rather than waited out.
 */
export function redisOptions(lab: LabConfig, purpose: ConnectionPurpose): LabRedisOptions {
  const { host, port, db, username, tls } = lab.redis;
  const password = readPassword(lab);
  return {
    host,
    port,
    db,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(tls && {
      tls: {
        ...(tls.ca !== undefined && { ca: readPem(tls.ca, 'ca') }),
        ...(tls.cert !== undefined && { cert: readPem(tls.cert, 'cert') }),
        ...(tls.key !== undefined && { key: readPem(tls.key, 'key') }),
        ...(tls.servername !== undefined && { servername: tls.servername }),
        rejectUnauthorized: tls.rejectUnauthorized,
      },
    }),
    connectionName: `hil-${purpose}`,
    connectTimeout: Math.min(10000, lab.lease.ttlMs),
    ...(purpose === 'worker' || purpose === 'queue'
      ? { maxRetriesPerRequest: null }
      : {
          // Connect explicitly (connectRedis) so that a failure is an error with a cause, not a retry loop.
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          // A lease renewal that hangs (a partition) must fail before the next one is due.
          commandTimeout: Math.max(500, Math.floor(lab.lease.renewMs)),
        }),
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

function failureHint(error: Error): string {
  const message = error.message;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message)) return 'AUTH failed (wrong or missing password)';
  if (/certificate|self.signed|SSL|TLS|wrong version number|alert/i.test(message)) return 'TLS failed';
  if (/ECONNREFUSED/.test(message)) return 'connection refused (is redis-server running, is the port right?)';
  if (/ETIMEDOUT|timed out/i.test(message)) return 'no answer (a firewall, the wrong host, or TLS spoken to a plain port)';
  return 'cannot connect';
}

/** A connected, authenticated client (purpose 'client' unless given); rejects with where and why. */
export async function connectRedis(lab: LabConfig, purpose: ConnectionPurpose = 'client'): Promise<Redis> {
  const redis = new Redis({ ...redisOptions(lab, purpose), lazyConnect: true, retryStrategy: () => null });
  // Without a listener ioredis prints unhandled errors; connect()'s rejection carries them.
  let last: Error | undefined;
  redis.on('error', (error: Error) => (last = error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const cause = last ?? (error as Error);
    throw new RedisConnectError(`${describeRedis(lab)}: ${failureHint(cause)}: ${cause.message}${lab.file ? ` (lab file ${lab.file})` : ''}`, undefined);
  }
  // From here on, reconnect as configured (a Redis restart is survived by the same client).
  redis.options.retryStrategy = redisOptions(lab, purpose).retryStrategy;
  redis.removeAllListeners('error');
  redis.on('error', () => undefined);
  return redis;
}
