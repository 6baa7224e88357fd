/**
 * useRig(): a rig for a Jest test file, labgrid's pytest fixture in Jest. Called at module or
 * describe level, it registers beforeAll (load the rig file, open the rig) and afterAll (safe
 * state, release), and returns a handle whose members work inside the tests.
 */
import { afterAll, beforeAll } from '@jest/globals';
import type { RigConfig } from '../config/index.js';
import type { Lifeline } from '../report/worker-environment.js';
import { openRigSession, type RigSession, type RigSessionOptions } from './rig-session.js';

export type UseRigOptions = Pick<RigSessionOptions, 'twin' | 'onOpenError'>;

/** The handle useRig() returns: a RigSession once beforeAll has opened the rig. */
export type RigHandle = Omit<RigSession, 'close'>;

/**
 * Declares a rig for the enclosing describe block (or the file). Every exit closes it: a failed
 * test, a thrown error, and, under `hil run`'s worker environment, a signal to the worker or the
 * death of hil (the rig is registered with the environment's lifeline).
 *
 * `rig` is a rig file, or a RigConfig already loaded (the YAML runner passes the one its suite
 * prepared, with the suite's twin overrides). With `onOpenError: 'record'` a rig that cannot open
 * fails no hook: each rig.cut() throws a RigCutError with a `rig-error` result instead.
 */
export function useRig(rig: string | RigConfig, opts: UseRigOptions = {}): RigHandle {
  let session: RigSession | undefined;
  let openError: unknown;
  let closed = false;
  let unregister: (() => void) | undefined;
  // Only there under hil's worker environment (src/report/worker-environment.ts); plain Jest has none.
  const lifeline = (globalThis as { hilLifeline?: Lifeline }).hilLifeline;

  beforeAll(async () => {
    try {
      const opened = await openRigSession(rig, { ...opts, ...(lifeline && { signal: lifeline.signal }) });
      session = opened;
      unregister = lifeline?.onStop(() => opened.close());
    } catch (err) {
      openError = err;
      // Failing here fails every test of the block with this error (a config error keeps its file:line:col).
      throw err;
    }
  });
  afterAll(async () => {
    closed = true;
    unregister?.();
    await session?.close();
  });

  const live = (member: string): RigSession => {
    if (session && !closed) return session;
    const where = `useRig(${JSON.stringify(typeof rig === 'string' ? rig : rig.file)})`;
    if (closed) throw new Error(`${where}: rig.${member} used after afterAll closed the rig`);
    if (openError) throw new Error(`${where}: rig.${member}: the rig did not open: ${(openError as Error).message}`);
    throw new Error(`${where}: rig.${member} used before the rig was opened: use the handle inside a test or a hook (beforeAll opens it), not at module or describe level`);
  };

  return {
    get name() {
      return live('name').name;
    },
    get config() {
      return live('config').config;
    },
    get openError() {
      return live('openError').openError;
    },
    get rig() {
      return live('rig').rig;
    },
    get power() {
      return live('power').power;
    },
    get console() {
      return live('console').console;
    },
    get updater() {
      return live('updater').updater;
    },
    cut: (o) => live('cut').cut(o),
    inspect: (known) => live('inspect').inspect(known),
  };
}
