/** Runs every check family (in parallel: they only read) and sums up whether the rig can run. */
import type { RigConfig } from '../config/index.js';
import { checkGpio } from './gpio.js';
import { checkNode } from './node.js';
import { checkOpenOcd } from './openocd.js';
import { checkSharedFlash, perMember } from './product.js';
import { checkRigWiring } from './rig-wiring.js';
import { checkSerial } from './serial.js';
import type { Check, CheckContext, DoctorEnv } from './types.js';
import { checkUhubctl } from './uhubctl.js';
import { checkUsbProbes } from './usb-probes.js';

export type CheckFamily = (ctx: CheckContext) => Promise<Check[]>;

/** In the order a reader fixes things: runtime, tools, devices, then the bench as a whole. */
// A product rig's per-processor parts (console, probe) are checked once per member (product.ts).
export const CHECK_FAMILIES: readonly CheckFamily[] = [
  checkNode,
  perMember(checkOpenOcd),
  perMember(checkUsbProbes),
  checkGpio,
  perMember(checkSerial),
  checkSharedFlash,
  checkUhubctl,
  checkRigWiring,
];

export interface DoctorReport {
  /** Nothing failed: the rig can run (without a rig: this machine runs hil). */
  ok: boolean;
  rig: { name: string; file: string; twin: boolean } | null;
  checks: Check[];
}

export async function runDoctor(env: DoctorEnv, rig?: RigConfig, families: readonly CheckFamily[] = CHECK_FAMILIES, signal?: AbortSignal): Promise<DoctorReport> {
  const ctx: CheckContext = { env, ...(rig && { rig }), ...(signal && { signal }) };
  const results = await Promise.all(
    families.map((family) =>
      family(ctx).catch((err: unknown): Check[] => {
        if (signal?.aborted) throw signal.reason;
        // A bug in one check must not hide the others' answers.
        return [{ id: `${family.name}.error`, title: family.name, status: 'warn', detail: `the check itself failed: ${(err as Error)?.message ?? String(err)}` }];
      }),
    ),
  );
  signal?.throwIfAborted();
  const checks = results.flat();
  return {
    ok: !checks.some((c) => c.status === 'fail'),
    rig: rig ? { name: rig.name, file: rig.file, twin: rig.twin !== undefined } : null,
    checks,
  };
}
