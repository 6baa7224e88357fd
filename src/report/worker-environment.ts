/**
 * The Jest environment of `hil run`'s generated tests: allure-jest's node environment plus a
 * lifeline to the `hil run` that started it.
 *
 * Why here: test code runs inside a vm whose `process` is a copy, so its `process.on('SIGTERM')`
 * never sees a signal. The environment runs in the worker's real process, so it is the one place
 * that can notice a signal or the death of hil (SIGKILL, OOM killer, a crash), put the rig in its
 * safe state and exit, instead of driving the rig for a campaign nobody is waiting for.
 *
 * `hil run` gives Jest the compiled file (dist/report/worker-environment.js): plain JavaScript,
 * loaded with no transform, so it may import the project's modules like any other.
 */
import allureNode from 'allure-jest/node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { TestEnvironment as NodeEnvironment } from 'jest-environment-node';
import { pidRunning } from './process-group.js';
import { markWorker, rigHintHardware, unmarkWorker } from './worker-marks.js';

// allure-jest's types describe its CommonJS build as a namespace; at run time the default import
// is its module.exports: the class itself, or an object holding it as `default`.
const AllureNodeEnvironment = ((allureNode as unknown as { default?: typeof NodeEnvironment }).default ?? allureNode) as unknown as typeof NodeEnvironment;

/** What a test file registers: the rig's safe state, run before the worker exits. */
export type SafeState = () => Promise<void>;

/** Exposed to test code as `globalThis.hilLifeline`. */
export interface Lifeline {
  /** Aborted first when the worker stops, so a cut in progress stops driving the rig. */
  readonly signal: AbortSignal;
  /** Registers a safe state to run if hil goes away or signals; returns the unregister function. */
  onStop(safe: SafeState): () => void;
}

/** Exit code of a worker stopped by its lifeline (hil's "interrupted"). */
const INTERRUPTED = 4;
/** How often the worker checks hil is still there. */
const POLL_MS = 200;
/** The longest a rig gets to reach its safe state before the worker exits anyway. */
const SAFE_STATE_LIMIT_MS = 15_000;

const safeStates = new Set<SafeState>();
const stopped = new AbortController();
let started = false;
let stopping = false;

async function stop(reason: string, killParent?: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Jest's parent may be gone already: a write to its pipe (our stderr, a console message, IPC)
  // then fails, and nothing may cut the safe state short.
  const ignore = () => {};
  process.stderr.on('error', ignore);
  process.stdout.on('error', ignore);
  process.on('uncaughtException', ignore);
  process.on('unhandledRejection', ignore);
  process.stderr.write(`\nhil run worker ${process.pid}: ${reason}: putting the rig in its safe state\n`);
  stopped.abort(new Error(`hil run worker stopped: ${reason}`));
  const limit = new Promise<void>((r) => setTimeout(r, SAFE_STATE_LIMIT_MS));
  await Promise.race([Promise.allSettled([...safeStates].map((s) => s())), limit]);
  // Jest's parent would hand the remaining test files to a fresh worker: stop it too.
  if (killParent !== undefined && killParent !== process.pid && killParent > 1 && process.ppid === killParent) {
    try {
      process.kill(killParent, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  process.exit(INTERRUPTED);
}

/** Once per worker process: signal handlers and the poll of hil's pid and of our own parent. */
function startLifeline(hilPid: number | undefined): void {
  if (started) return;
  started = true;
  const parent = process.ppid;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(`got ${sig}`));
  const check = () => {
    if (hilPid !== undefined && hilPid !== process.pid && !pidRunning(hilPid)) void stop(`hil run (pid ${hilPid}) is gone`, parent);
    else if (process.ppid !== parent) void stop(`its parent (pid ${parent}) is gone`);
  };
  setInterval(check, POLL_MS).unref();
  check();
}

export default class HilWorkerEnvironment extends AllureNodeEnvironment {
  private readonly workersDir: string | undefined;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const options = config.projectConfig.testEnvironmentOptions as { hilPid?: unknown; workersDir?: unknown };
    const pid = Number(options.hilPid);
    startLifeline(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    // Before the test file loads, so before its rig opens: hil may kill a worker whose rig is a
    // twin at once on a stop, and must wait for one that drives a relay (./worker-marks.ts).
    this.workersDir = typeof options.workersDir === 'string' ? options.workersDir : undefined;
    if (this.workersDir) {
      try {
        markWorker(this.workersDir, { hardware: rigHintHardware(context.testPath.replace(/\.test\.mjs$/, '.rig.json')), testPath: context.testPath });
      } catch {
        // No mark: hil counts this worker as holding hardware and waits for its safe state.
        this.workersDir = undefined;
      }
    }
    const lifeline: Lifeline = {
      signal: stopped.signal,
      onStop(safe) {
        safeStates.add(safe);
        return () => safeStates.delete(safe);
      },
    };
    (this.global as unknown as { hilLifeline: Lifeline }).hilLifeline = lifeline;
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    // The test file's afterAll closed its rig: nothing held until the next file's mark.
    if (this.workersDir) unmarkWorker(this.workersDir);
  }
}
