/**
 * The `fota` update path: the rig plays the product's cloud on the host MCU's console. `update(tar)`
 * offers the tar's members (`fota begin`), serves the chunks the device asks for, reports progress
 * as bytes served of the package's total, and resolves when the device says `fota: complete`. The
 * chunk server under it stays attached for the rig's life (chunk-server.ts), so downloads that resume
 * after a cut are served whether or not an update() is waiting.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import { DeviceError, RigError } from '../../../core/errors.js';
import type { Timeline } from '../../../core/timeline.js';
import type { UpdateResult, Updater } from '../../capabilities.js';
import type { Console } from '../../console/console.js';
import { FotaChunkServer } from './chunk-server.js';
import { fotaPackage, type FotaPackage } from './package.js';
import { beginLine, versionsText, type DeviceLine } from './protocol.js';

export { FotaChunkServer } from './chunk-server.js';
export { fotaPackage, type FotaPackage } from './package.js';
export { MAX_CHUNK, parseDeviceLine, type DeviceLine } from './protocol.js';

export interface FotaUpdaterOptions {
  /** The host MCU's own console (unprefixed lines; writes reach the host). */
  console: Console;
  clock: Clock;
  timeline?: Timeline;
  /** How long the device may take to answer `fota begin`. */
  acceptMs: number;
  /** How long the device may say no fota line at all during an update. */
  quietMs: number;
}

export interface FotaUpdater extends Updater {
  readonly server: FotaChunkServer;
  close(): void;
}

export function fotaUpdater(opts: FotaUpdaterOptions): FotaUpdater {
  const { console, clock, timeline } = opts;
  const server = new FotaChunkServer(console, timeline);
  const offer = (tar: Buffer): FotaPackage => {
    let pkg: FotaPackage;
    try {
      pkg = fotaPackage(tar);
    } catch (error) {
      throw new RigError(`fota: the image is not a product update (a tar of one image per member): ${(error as Error).message}`, { cause: error });
    }
    server.offer(pkg);
    return pkg;
  };
  return {
    server,
    close: () => server.close(),
    prepare: (tar) => void offer(tar),
    async update(tar, { signal, onProgress }): Promise<UpdateResult> {
      signal?.throwIfAborted();
      const pkg = offer(tar);
      const started = clock.now();
      const seen = new Set<string>();
      let served = 0;
      let fail: (error: Error) => void = () => {};
      const done = new Promise<UpdateResult>((resolve, reject) => {
        let accepted = false;
        let timer: Timer | undefined;
        const arm = (ms: number, what: string): void => {
          timer?.cancel();
          timer = clock.setTimer(ms, () => finish(new DeviceError(`fota: ${what} (package ${pkg.id}); last line: ${JSON.stringify(console.lines.at(-1)?.text ?? '(nothing received)')}`)));
        };
        const offServed = server.onServed((s) => {
          if (s.pkg !== pkg.id || seen.has(`${s.member}@${s.offset}`)) return;
          seen.add(`${s.member}@${s.offset}`);
          served = Math.min(pkg.total, served + s.length);
          onProgress?.({ phase: 'download', acked: served, total: pkg.total });
        });
        const offLines = server.onDeviceLine((l) => onLine(l));
        const onAbort = (): void => finish(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        const finish = (outcome: UpdateResult | unknown): void => {
          timer?.cancel();
          offServed();
          offLines();
          signal?.removeEventListener('abort', onAbort);
          if (outcome instanceof Error || (signal?.aborted && outcome === signal.reason)) reject(outcome);
          else resolve(outcome as UpdateResult);
        };
        const onLine = (l: DeviceLine): void => {
          if (accepted) arm(opts.quietMs, `the device said no fota line for ${opts.quietMs} ms`);
          if (l.kind === 'accepted' && l.pkg === pkg.id && !accepted) {
            accepted = true;
            timeline?.add('updater', 'fota-accepted', pkg.id);
            onProgress?.({ phase: 'accepted', acked: served, total: pkg.total });
            arm(opts.quietMs, `the device said no fota line for ${opts.quietMs} ms`);
          } else if (l.kind === 'busy' && !accepted) {
            finish(new DeviceError(`fota: the device is busy with another update and refused package ${pkg.id}`));
          } else if (l.kind === 'error') {
            finish(new DeviceError(`fota: the device refused package ${pkg.id}: ${l.reason}`));
          } else if (l.kind === 'settled' && l.state === 'failed') {
            finish(new DeviceError(`fota: the device gave up the update: ${l.reason} (${versionsText(l.versions)})`));
          } else if (l.kind === 'settled' && l.state === 'complete' && accepted) {
            const seconds = (clock.now() - started) / 1000;
            timeline?.add('updater', 'fota-complete', versionsText(l.versions));
            onProgress?.({ phase: 'complete', acked: pkg.total, total: pkg.total });
            finish({ ok: true, slotBase: 0, bytes: pkg.total, seconds, bytesPerSecond: seconds > 0 ? served / seconds : 0, committed: true });
          } else if (l.kind === 'settled' && l.state === 'idle' && accepted) {
            // Idle = booted with nothing left to do: the accepted package is gone without a word.
            finish(new DeviceError(`fota: the device went idle without finishing package ${pkg.id} (${versionsText(l.versions)})`));
          }
        };
        fail = (error) => finish(error);
        arm(opts.acceptMs, `no answer to fota begin within ${opts.acceptMs} ms`);
      });
      timeline?.add('updater', 'fota-begin', `${pkg.id} ${pkg.members.map((m) => `${m.name} ${m.size} B`).join(', ')}`);
      onProgress?.({ phase: 'offer', acked: 0, total: pkg.total });
      try {
        await console.write(`${beginLine(pkg.id, pkg.members)}\n`);
      } catch (error) {
        fail(new RigError(`fota: could not offer package ${pkg.id} on ${console.link.description}: ${(error as Error).message}`, { cause: error }));
      }
      return done;
    },
  };
}
