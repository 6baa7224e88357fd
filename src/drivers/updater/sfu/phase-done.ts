/** done: the upload is over (the result is built from the shared state); nothing the device says changes it. */
import type { UploadContext } from './context.js';
import { ignored, type PhaseHandler, type ReplyTable } from './phases.js';

const OVER = ignored('the upload is over');

export class DonePhase implements PhaseHandler {
  readonly phase = 'done';
  readonly replies: ReplyTable = {
    INFO: OVER,
    ERASE: OVER,
    ERASE_PART: OVER,
    WRITE: OVER,
    START: OVER,
    SPEED: OVER,
    TIMEOUT: OVER,
    WRERROR: OVER,
    HWRESET: OVER,
  };

  constructor(private readonly s: UploadContext) {}

  enter(): void {
    this.s.progress({ phase: 'done', acked: this.s.bytes, total: this.s.bytes });
  }

  /** A terminal phase: the machine stops here and never runs it. */
  run(): Promise<void> {
    return Promise.reject(new Error('SFU upload: the done phase has no flow'));
  }
}
