/**
 * A `hil detect` worker thread: runs the tasks the pool sends it, one at a time, keeping its
 * sweep sessions open between them (see DetectRunner), and reports points done in blocks.
 */
import { parentPort } from 'node:worker_threads';
import { DetectRunner, type DetectTask, type DetectTaskResult } from './tasks.js';

/** Points between progress messages. */
const PROGRESS_EVERY = 32;

export type DetectWorkerMessage = { progress: number } | { ok: true; result: DetectTaskResult } | { ok: false; id: number; error: string };

if (parentPort) {
  const port = parentPort;
  const runner = new DetectRunner();
  let queue = Promise.resolve();
  port.on('message', (task: DetectTask | { close: true }) => {
    queue = queue.then(async () => {
      if ('close' in task) {
        await runner.close();
        port.close();
        return;
      }
      let pending = 0;
      const onPoint = () => {
        if (++pending >= PROGRESS_EVERY) {
          port.postMessage({ progress: pending } satisfies DetectWorkerMessage);
          pending = 0;
        }
      };
      try {
        const result = await runner.run(task, onPoint);
        if (pending) port.postMessage({ progress: pending } satisfies DetectWorkerMessage);
        port.postMessage({ ok: true, result } satisfies DetectWorkerMessage);
      } catch (err) {
        port.postMessage({ ok: false, id: task.id, error: err instanceof Error ? err.message : String(err) } satisfies DetectWorkerMessage);
      }
    });
  });
}
