import { loadRig } from '../../config/index.js';
import { SweepSession as SessionOnConfig, sweepRigConfig, type SweepRequest } from './session-core.js';

export * from './session-core.js';

/**
 * One sweep's twin, images and recording (./session-core.ts), opened from the request's rig file.
 * A worker thread opens its session on the config the engine loaded instead (`openWith`).
 */
export class SweepSession extends SessionOnConfig {
  static async open(request: SweepRequest, opts: { signal?: AbortSignal } = {}): Promise<SweepSession> {
    return SessionOnConfig.openWith(sweepRigConfig(await loadRig(request.rig), request), request, opts);
  }
}
