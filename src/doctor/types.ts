/**
 * What `hil doctor` checks produce and what they read the machine through. Every check takes a
 * DoctorEnv instead of touching fs/process/child_process itself, so a test can point it at a
 * fake /dev + /sys + /etc tree and fake executables: this container has no GPIO chips, serial
 * ports or USB devices, and a Pi is not available in CI.
 */
import type { RigConfig } from '../config/index.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** Stable, for scripts (`jq '.checks[] | select(.id == "serial.console")'`). */
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** The exact command or edit that fixes it; shown under warn and fail items. */
  fix?: string;
}

export interface RunResult {
  /** Undefined when the program could not be started or was killed. */
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** The program does not exist or is not executable. */
  notFound: boolean;
  timedOut: boolean;
}

export interface DoctorEnv {
  /** Prefix for /dev, /sys, /etc and /usr/share paths: `/` on a real machine, a temp dir in tests. */
  root: string;
  /** process.versions.node */
  nodeVersion: string;
  uid: number;
  /** The login name, for fixes that name the user. */
  user: string;
  /** gids the running process has (primary included): what the kernel checks right now. */
  groups: number[];
  /** Directories of PATH, in order. */
  pathDirs: string[];
  /** Can this user open the file (a path under `root`) for reading, writing, or both? */
  access(file: string, mode: 'r' | 'w' | 'rw'): Promise<boolean>;
  /** Runs a program with an argv array (never a shell), stdin closed, killed after timeoutMs. */
  run(cmd: string, argv: readonly string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
}

/** What every check family gets: the environment and, with `--rig`, the loaded rig. */
export interface CheckContext {
  env: DoctorEnv;
  rig?: RigConfig;
  /** Ctrl-C / SIGTERM: checks that loop over files stop at the next one. */
  signal?: AbortSignal;
}
