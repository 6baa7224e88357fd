/**
 * A real redis-server for one test file: a free port on 127.0.0.1 (never 6379, never the system
 * service), its own directory, optional AUTH, AOF and TLS (certificates made by openssl for the
 * run). Killed with this process: `setpriv --pdeathsig KILL` where available, and an exit hook.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultLab, type LabConfig, type LabRedis } from '../../src/lab/config.js';
import { SAFETY_MS } from '../helpers/wait-for.js';

export interface RedisTlsFiles {
  /** The CA that signed the server's and the client's certificates. */
  ca: string;
  /** A client certificate and key (the server asks for one optionally). */
  cert: string;
  key: string;
  /** The server's TLS port (the plain `port` stays open too, for the test's own clients). */
  port: number;
}

export interface LabOverrides {
  redis?: Partial<LabRedis>;
  lease?: Partial<LabConfig['lease']>;
  state?: string;
  store?: Partial<LabConfig['store']>;
  health?: Partial<LabConfig['health']>;
}

export interface RedisProc {
  port: number;
  host: '127.0.0.1';
  dir: string;
  password?: string;
  tls?: RedisTlsFiles;
  pid(): number;
  /**
   * A LabConfig pointing at this server (over TLS when started with tls), the password from a
   * file, the state directory a temp dir of this server's (the same one on every call unless
   * overridden), short leases (ttl 3 s, renew 1 s) unless overridden.
   */
  lab(extra?: LabOverrides): LabConfig;
  /** lab() written as a lab.yaml (for `hil worker --lab FILE`); returns its path. */
  labFile(extra?: LabOverrides): string;
  /** SIGTERM and wait: Redis writes its AOF/RDB and exits. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill9(): Promise<void>;
  /** Starts again on the same port with the same dir (AOF replays); after stop/kill9, or stops first. */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  password?: string;
  appendonly?: boolean;
  tls?: boolean;
  /** With tls: whether the server demands a client certificate (default optional). */
  tlsAuthClients?: 'yes' | 'optional';
  /** Data directory (AOF, RDB); a temp dir by default. */
  dir?: string;
}

const running = new Set<ChildProcess>();
let hooked = false;

function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** A port nobody listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));

/** CA, server and client certificates for 127.0.0.1 / localhost, valid for a day. */
export function makeTlsFiles(dir: string): { ca: string; caKey: string; serverCert: string; serverKey: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=hilrig test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who === 'server' ? 'localhost' : 'hil-worker'}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`));
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${who}.ext`), '-out', f(`${who}.crt`));
  }
  return { ca: f('ca.crt'), caKey: f('ca.key'), serverCert: f('server.crt'), serverKey: f('server.key'), cert: f('client.crt'), key: f('client.key') };
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisProc> {
  killAllOnExit();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hilrig-redis-'));
  const own = mkdtempSync(join(tmpdir(), 'hilrig-lab-'));
  const state = join(own, 'state');
  mkdirSync(state, { recursive: true });
  const port = await freePort();
  const certs = opts.tls ? makeTlsFiles(join(own, 'tls')) : undefined;
  const tls: RedisTlsFiles | undefined = certs && { ca: certs.ca, cert: certs.cert, key: certs.key, port: await freePort() };
  const passwordFile = opts.password !== undefined ? join(own, 'redis.pass') : undefined;
  if (passwordFile) writeFileSync(passwordFile, `${opts.password}\n`, { mode: 0o600 });

  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    // A lab's Redis must never drop keys to make room: a lost lease key is a double-booked rig.
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...(opts.password !== undefined ? ['--requirepass', opts.password] : []),
    ...(certs && tls
      ? [
          '--tls-port',
          String(tls.port),
          '--tls-cert-file',
          certs.serverCert,
          '--tls-key-file',
          certs.serverKey,
          '--tls-ca-cert-file',
          certs.ca,
          '--tls-auth-clients',
          opts.tlsAuthClients ?? 'optional',
        ]
      : []),
  ];

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', 'redis-server', ...args]] : ['redis-server', args];
    const proc = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    void exited.then(() => running.delete(proc));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on port ${port} not ready after ${SAFETY_MS} ms; it said:\n${log}`)), SAFETY_MS);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          proc.stdout!.off('data', onData);
          proc.stdout!.resume();
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before it was ready; it said:\n${log}`));
      });
    });
  };

  const signal = async (sig: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    await exited;
  };

  await launch();

  const lab = (extra: LabOverrides = {}): LabConfig => {
    const base = defaultLab();
    const redis: LabRedis = {
      ...base.redis,
      host: '127.0.0.1',
      port: tls ? tls.port : port,
      ...(passwordFile && { passwordFile }),
      ...(tls && { tls: { ca: tls.ca, cert: tls.cert, key: tls.key, servername: 'localhost', rejectUnauthorized: true } }),
      ...extra.redis,
    };
    return {
      redis,
      lease: { ttlMs: 3000, renewMs: 1000, ...extra.lease },
      state: extra.state ?? state,
      store: { images: join(own, 'images'), results: { ...base.store.results }, ...extra.store },
      health: { ...base.health, ...extra.health },
    };
  };

  let labFiles = 0;
  return {
    port,
    host: '127.0.0.1',
    dir,
    ...(opts.password !== undefined && { password: opts.password }),
    ...(tls && { tls }),
    pid: () => child?.pid ?? -1,
    lab,
    labFile(extra) {
      const config = lab(extra);
      const file = join(own, `lab-${++labFiles}.yaml`);
      writeFileSync(file, stringify({ redis: config.redis, lease: config.lease, state: config.state, store: config.store, health: config.health }));
      return file;
    },
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await launch();
    },
  };
}

/** Removes a directory made for a test (the data dir of a stopped server, say). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
