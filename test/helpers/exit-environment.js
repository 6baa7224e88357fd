/**
 * Jest's node environment, and one change to how a Jest worker process ends. At the end of a run
 * Jest tells each worker to stop and waits half a second for it to exit on its own; a worker that
 * has run a hundred files holds about a gigabyte of their modules, and tearing that heap down on a
 * natural exit (the event loop drained) took longer than that: the run ended with "A worker process
 * has failed to exit gracefully" though nothing was left open (every handle traced closed). Once a
 * worker's event loop is empty, `process.exit` skips the heap's teardown (the system takes the
 * memory back). A worker with something still open never gets here, so that warning still means
 * what it says.
 *
 * Plain JavaScript, loaded by Node itself: Jest loads test environments outside its transform.
 */
import { TestEnvironment } from 'jest-environment-node';

// Once per process (this module is loaded once per worker), and only in a worker (a child with an
// IPC channel to Jest): a run in band is Jest's own process, which ends its own way.
if (typeof process.send === 'function') {
  process.once('beforeExit', (code) => process.exit(code));
}

export default TestEnvironment;
