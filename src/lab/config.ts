/**
 * lab.yaml: where the lab's Redis is and how to reach it, lease timing, the Pi's state directory,
 * the image/result stores and health-check timing. Errors name file:line:col and the field like
 * the rig loader (they go through src/config/'s YAML and zod helpers).
 *
 * A password is never part of the file's body nor of a command line (both end up in shell history,
 * `ps`, backups and bug reports): only `passwordEnv` (a variable name) or `passwordFile` (a path).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigFileError, readRegularFileSync, FileRefusal, formatSize, type ConfigIssue } from '../config/index.js';
import { readYamlMapping, validate } from '../config/document.js';
import { bool, int, mapping, str } from '../config/fields.js';
import { rememberSource } from '../config/locate.js';
import { decodeConfigText } from '../config/text.js';
import { MAX_CONFIG_BYTES } from '../config/limits.js';

/** The variable `--lab` falls back to. */
export const LAB_ENV = 'HIL_LAB';
/** The default for redis.passwordEnv when neither passwordEnv nor passwordFile is given. */
export const DEFAULT_PASSWORD_ENV = 'HIL_REDIS_PASSWORD';

export interface LabTls {
  /** CA bundle (PEM) that signed the server's certificate; absent: the system's CAs. */
  ca?: string;
  /** Client certificate and key (PEM) for servers with `tls-auth-clients yes`. */
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export interface LabRedis {
  host: string;
  port: number;
  db: number;
  username?: string;
  /** Name of the environment variable holding the password. */
  passwordEnv?: string;
  /** Absolute path of a file holding the password (trailing newline stripped). */
  passwordFile?: string;
  prefix: string;
  tls?: LabTls;
}

export interface LabConfig {
  /** Absolute path of the lab.yaml it came from; absent: defaults only. */
  file?: string;
  redis: LabRedis;
  lease: { ttlMs: number; renewMs: number };
  /** Absolute: file locks, fence files, rig event logs. */
  state: string;
  store: { images: string; results: { maxAttachmentBytes: number; maxJobBytes: number } };
  health: { everyMs: number; passesToResume: number; bootTimeoutMs?: number };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const DAY_MS = 24 * 3600 * 1000;

const password = z.unknown().refine(() => false, {
  message: 'a password is never written in lab.yaml: name a variable (passwordEnv: HIL_REDIS_PASSWORD) or a file (passwordFile: /etc/hil/redis.pass)',
});

const labSchema = mapping({
  redis: mapping({
    host: str().default('127.0.0.1'),
    port: int({ min: 1, max: 65535 }).default(6379),
    db: int({ min: 0, max: 15 }).default(0),
    username: str().optional(),
    password: password.optional(),
    passwordEnv: str().regex(ENV_NAME, { error: 'expected an environment variable name (letters, digits, _)' }).optional(),
    passwordFile: str().optional(),
    prefix: str().regex(NAME, { error: 'expected a plain name (letters, digits, . _ -; at most 64)' }).default('hil'),
    tls: mapping({
      ca: str().optional(),
      cert: str().optional(),
      key: str().optional(),
      servername: str().optional(),
      rejectUnauthorized: bool().default(true),
    }).optional(),
  }).default({ host: '127.0.0.1', port: 6379, db: 0, prefix: 'hil' }),
  lease: mapping({
    ttlMs: int({ min: 1000, max: DAY_MS }).default(15000),
    renewMs: int({ min: 100, max: DAY_MS }).default(5000),
  }).default({ ttlMs: 15000, renewMs: 5000 }),
  state: str().default('/var/lib/hil'),
  store: mapping({
    images: str().default('/srv/hil/images'),
    results: mapping({
      maxAttachmentBytes: int({ min: 1024, max: 64 * 1024 * 1024 }).default(262144),
      maxJobBytes: int({ min: 4096, max: 256 * 1024 * 1024 }).default(4194304),
    }).default({ maxAttachmentBytes: 262144, maxJobBytes: 4194304 }),
  }).default({ images: '/srv/hil/images', results: { maxAttachmentBytes: 262144, maxJobBytes: 4194304 } }),
  health: mapping({
    everyMs: int({ min: 1000, max: 30 * DAY_MS }).default(3600000),
    passesToResume: int({ min: 1, max: 100 }).default(2),
    bootTimeoutMs: int({ min: 1, max: 3600000 }).optional(),
  }).default({ everyMs: 3600000, passesToResume: 2 }),
});

/** Which lab.yaml applies: `--lab FILE`, else $HIL_LAB, else ./lab.yaml if present, else none. */
export function labFile(file?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (file !== undefined) return path.resolve(cwd, file);
  const fromEnv = env[LAB_ENV];
  if (fromEnv) return path.resolve(cwd, fromEnv);
  const here = path.resolve(cwd, 'lab.yaml');
  return existsSync(here) ? here : undefined;
}

/** The lab with every default, as if from an empty lab.yaml in `cwd`. */
export function defaultLab(cwd = process.cwd()): LabConfig {
  return resolveLab(labSchema.parse({}), undefined, cwd);
}

/** Reads and validates the lab file that applies (see labFile); defaults when there is none. */
export function loadLab(file?: string): LabConfig {
  const chosen = labFile(file);
  if (chosen === undefined) return defaultLab();
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(chosen, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    const hint = /more than|grew past/.test(error.reason) ? ` (a lab file is well under ${formatSize(MAX_CONFIG_BYTES)})` : '';
    throw new ConfigFileError([{ file: chosen, path: '', message: `cannot read: ${error.reason}${hint}` }]);
  }
  const decoded = decodeConfigText(bytes, 'a lab file');
  if (!decoded.ok) throw new ConfigFileError([{ file: chosen, line: decoded.line, col: decoded.col, path: '', message: decoded.message }]);
  return parseLab(decoded.text, chosen);
}

/** Validates a lab file's text; relative paths in it are relative to the file's directory. */
export function parseLab(text: string, file: string): LabConfig {
  const absolute = path.resolve(file);
  const read = readYamlMapping(text, absolute, 'a lab');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(labSchema, read.data, read.locator);
  if (!result.ok) throw new ConfigFileError(result.issues, result.more);
  const issues: ConfigIssue[] = [];
  const value = result.value;
  if (value.lease.renewMs >= value.lease.ttlMs / 2) {
    // Two renewals must fit in one TTL: one lost to a slow network must not lose the lease.
    issues.push(read.locator.issue(['lease', 'renewMs'], `must be less than half of lease.ttlMs (${value.lease.ttlMs}), got ${value.lease.renewMs}`));
  }
  if (value.redis.passwordEnv !== undefined && value.redis.passwordFile !== undefined) {
    issues.push(read.locator.issue(['redis', 'passwordFile'], 'give passwordEnv or passwordFile, not both'));
  }
  const tls = value.redis.tls;
  if (tls && (tls.cert === undefined) !== (tls.key === undefined)) {
    issues.push(read.locator.issue(['redis', 'tls', tls.cert === undefined ? 'key' : 'cert'], 'a client certificate needs both cert and key'));
  }
  if (issues.length > 0) throw new ConfigFileError(issues);
  const lab = resolveLab(value, absolute, path.dirname(absolute));
  rememberSource(lab, read.locator);
  return lab;
}

type LabFields = z.output<typeof labSchema>;

function resolveLab(value: LabFields, file: string | undefined, base: string): LabConfig {
  const at = (p: string): string => path.resolve(base, p);
  const { password: _ignored, tls, passwordFile, ...redis } = value.redis;
  return {
    ...(file !== undefined && { file }),
    redis: {
      ...redis,
      ...(passwordFile !== undefined && { passwordFile: at(passwordFile) }),
      ...(tls && {
        tls: {
          ...tls,
          ...(tls.ca !== undefined && { ca: at(tls.ca) }),
          ...(tls.cert !== undefined && { cert: at(tls.cert) }),
          ...(tls.key !== undefined && { key: at(tls.key) }),
        },
      }),
    },
    lease: { ...value.lease },
    state: at(value.state),
    store: { images: at(value.store.images), results: { ...value.store.results } },
    health: { ...value.health },
  };
}
