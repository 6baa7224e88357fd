/**
 * One health check of one rig, LAVA's way: the rig is only as healthy as a known-good image booting
 * on it. In order, each a named check, the first failure ends it (later ones would only repeat it):
 *
 * 1. `open`: the rig's parts bind (console port, probe, power driver present);
 * 2. `safe-state`: the rig goes to its declared safe state;
 * 3. `image`: with a probe, the scheme's known-good sample (firmware/) goes on through it, as a
 *    factory programmer would; without one the board keeps what it holds and any banner counts;
 * 4. `power-cycle`: off for the rig's off time, on again;
 * 5. `banner`: the app's banner within the boot timeout (lab.yaml health.bootTimeoutMs, else the
 *    rig's boot.timeoutMs), the programmed version when one was programmed;
 * 6. `probe`: the debug port reads the start of the scheme's first dump region.
 *
 * The rig is opened through openRig, so in a worker (HIL_LAB_FENCE set) every hardware action of
 * the check is fenced by the job's lease like any suite's. Losing the lease or an abort is not a
 * verdict on the rig: those reject instead of returning a failed result.
 */
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import type { RigConfig } from '../config/index.js';
import { FENCE_ENV, fenceFromEnv, LeaseLostError } from '../rig/fence.js';
import { openRig } from '../rig/open-rig.js';
import type { Rig } from '../rig/rig.js';
import type { Probe } from '../drivers/capabilities.js';
import { schemeAdapter, schemeMeta } from '../schemes/registry.js';
import { observeBoot, type BootObservation } from '../scenario/observe-boot.js';
import { loadUpdateImage, type UpdateImage } from '../scenario/update-image.js';
import type { LabConfig } from './config.js';
import type { HealthCheckStep, HealthResult } from './health-types.js';

const FIRMWARE_DIR = fileURLToPath(new URL('../../firmware/', import.meta.url));

/** Bytes the probe check reads: enough to prove the debug port answers, quick on any probe. */
const PROBE_READ_BYTES = 256;

export interface HealthCheckOptions {
  signal?: AbortSignal;
  /** The known-good image (default: the scheme's sample from firmware/). */
  image?: string;
  /**
   * The job's fence file: every hardware action of the check is fenced by it and written to the
   * rig's event log. A worker serves many rigs in one process, so it cannot fence through
   * HIL_LAB_FENCE in its own environment (which openRig honours too).
   */
  fenceFile?: string;
}

/** The scheme's sample image: what twin serve boots and the README's examples flash. */
export function healthImageFile(config: Pick<RigConfig, 'scheme'>): string {
  return `${FIRMWARE_DIR}${schemeMeta(config.scheme).samples.from}`;
}

/** Errors that say nothing about the rig's health: the job lost its lease, or the check was stopped. */
function notAVerdict(err: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || err instanceof LeaseLostError;
}

/**
 * The rig's debug probe, if its file declares one: a twin always has a debug port, but a twin rig
 * without `probe:` stands for a bench without one, and is checked like one.
 */
function probe(rig: Rig): Probe | undefined {
  return declaresProbe(rig.config) ? rig.probe : undefined;
}

function declaresProbe(config: RigConfig): boolean {
  return config.probe !== undefined || Object.values(config.mcus ?? {}).some((m) => m.probe !== undefined);
}

export async function runHealthCheck(config: RigConfig, lab: LabConfig, opts: HealthCheckOptions = {}): Promise<HealthResult> {
  const { signal } = opts;
  const checks: HealthCheckStep[] = [];
  const bootTimeoutMs = lab.health.bootTimeoutMs ?? config.boot.timeoutMs;

  /** Runs one check; false (recorded) when it failed, so the caller stops. */
  async function check(name: string, body: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> {
    signal?.throwIfAborted();
    try {
      const r = await body();
      checks.push({ name, ...r });
      return r.ok;
    } catch (err) {
      if (notAVerdict(err, signal)) throw err;
      checks.push({ name, ok: false, detail: (err as Error).message });
      return false;
    }
  }

  // A known-good image that cannot be read is this host's problem, not the rig's: it rejects (a
  // ConfigError naming the file) before any hardware is touched, instead of pausing every rig.
  const image = declaresProbe(config) ? await loadUpdateImage(opts.image ?? healthImageFile(config), config.scheme) : undefined;
  let rig: Rig | undefined;
  try {
    let fromLine = 0;
    const steps: [string, () => Promise<{ ok: boolean; detail: string }>][] = [
      [
        'open',
        async () => {
          const opened = await openRig(config);
          rig = opts.fenceFile ? await fenceFromEnv(opened, { [FENCE_ENV]: opts.fenceFile }) : opened;
          return { ok: true, detail: config.twin ? `twin ${config.twin.variant}` : `bench (${config.power.driver} power, ${config.console.driver} console)` };
        },
      ],
      [
        'safe-state',
        async () => {
          await rig!.safe();
          const want = config.power.safeState;
          const state = rig!.power.state;
          return { ok: state === want || state === 'unknown', detail: `power ${state} (safe state: ${want})` };
        },
      ],
      [
        'image',
        async () => {
          if (!probe(rig!) || !image) return { ok: true, detail: 'no probe: the board keeps the image it holds, any banner counts' };
          const scheme = await schemeAdapter(config.scheme);
          // A real probe needs a powered target; the twin's debug port works on an unpowered model.
          if (!rig!.twin) await rig!.power.on();
          await scheme.baseline(probe(rig!)!, { from: image }, scheme.setups[0]!, { ...(signal && { signal }) });
          return { ok: true, detail: `programmed ${basename(image.file)}${image.version ? ` ${image.version}` : ''} through the probe` };
        },
      ],
      [
        'power-cycle',
        async () => {
          const offMs = Math.max(config.power.offMs, config.power.minOffMs ?? 0);
          rig!.console.flushPartial();
          fromLine = rig!.console.lines.length;
          await rig!.power.cycle(offMs);
          return { ok: rig!.power.state !== 'off', detail: `off ${offMs} ms, power ${rig!.power.state}` };
        },
      ],
      [
        'banner',
        async () => {
          const obs = await observeBoot(rig!.console, rig!.clock, { fromLine, timeoutMs: bootTimeoutMs, ...(signal && { signal }) });
          return bannerVerdict(obs, image, bootTimeoutMs, rig!.console.lines.at(-1)?.text);
        },
      ],
      [
        'probe',
        async () => {
          if (!probe(rig!)) return { ok: true, detail: 'no probe on this rig' };
          const first = schemeMeta(config.scheme).dumpRegions[0]!;
          const region = { name: first.name, base: first.base, size: Math.min(first.size, PROBE_READ_BYTES) };
          const got = await probe(rig!)!.dump([region], { ...(signal && { signal }) });
          const bytes = got[region.name]?.length ?? 0;
          return { ok: bytes === region.size, detail: `read ${bytes} of ${region.size} B of ${region.name} at 0x${region.base.toString(16)}` };
        },
      ],
    ];
    // The first failure ends the check: what comes after it would only fail for the same cause.
    for (const [name, body] of steps) if (!(await check(name, body))) break;
  } finally {
    if (rig) {
      try {
        await rig.close();
      } catch (err) {
        if (!notAVerdict(err, signal)) checks.push({ name: 'close', ok: false, detail: `safe state on close: ${(err as Error).message}` });
      }
    }
  }
  const failed = checks.find((c) => !c.ok);
  return { rig: config.name, ok: !failed, ...(failed && { reason: `${failed.name}: ${failed.detail}` }), checks, at: Date.now() };
}

function bannerVerdict(obs: BootObservation, image: UpdateImage | undefined, timeoutMs: number, lastLine: string | undefined): { ok: boolean; detail: string } {
  const last = `last line: ${lastLine === undefined ? '(none)' : JSON.stringify(lastLine.slice(0, 120))}`;
  if (!obs.banner) {
    const seen = {
      'boot-loop': `a boot loop (${obs.crashes} crash${obs.crashes === 1 ? '' : 'es'})`,
      silent: 'a silent console',
      hung: 'a bootloader that gave up',
      waiting: 'a device that spoke but ran no app',
      running: 'a running app',
    }[obs.state];
    return { ok: false, detail: `no banner within ${timeoutMs} ms: ${seen}; ${last}` };
  }
  const after = obs.bootMs !== undefined ? ` after ${Math.round(obs.bootMs)} ms` : '';
  // A product's image version names every member as its banner does (`host=…,radio=…`).
  if (image?.version && obs.banner.version !== image.version) {
    return { ok: false, detail: `runs ${obs.banner.version}, not the programmed ${image.version}${after}; ${last}` };
  }
  return { ok: true, detail: `${obs.banner.version} running from slot ${obs.banner.slot}${after}` };
}
