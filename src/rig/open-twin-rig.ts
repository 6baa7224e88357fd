import { ScaledClock, VirtualClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import { stableRule } from '../config/stable-rule.js';
import { TwinProbe } from '../drivers/flasher/twin-probe.js';
import { TwinPower } from '../drivers/power/twin.js';
import { createTwin } from '../drivers/device/twin.js';
import { twinSweep } from '../drivers/device/twin-sweep.js';
import { openTwinLinkInProcess, type TwinLinkOpener } from '../drivers/console/twin-in-process.js';

/** The twin device as the drivers hand it over (rig/ never imports twin/ itself). */
type TwinDevice = ReturnType<typeof createTwin>;
import type { Clock } from '../core/clock.js';
import { Console } from '../drivers/console/console.js';
import { OffsetProbe } from '../drivers/flasher/offset-probe.js';
import { schemeMeta } from '../schemes/meta-registry.js';
import type { Rig, RigMcu, TwinHandle } from './rig.js';
import { openWith, type Cleanups } from './rig-parts.js';
import { memoryAt, productMemories } from './product-regions.js';

/**
 * Binds a twin rig: the simulated device, its console link, power and debug port. By default in
 * process only, which keeps socat, serialport and the bench drivers out of a sweep worker thread's
 * start-up (they were most of it); openRig passes the opener that also does ptys.
 */
export function openTwinRig(config: RigConfig, openLink: TwinLinkOpener = openTwinLinkInProcess): Promise<Rig> {
  const t = config.twin;
  if (!t) throw new ConfigError(`${config.file}: not a twin rig (no twin: section)`);
  return openWith(config, async (cleanups) => {
    if (t.transport === 'pty' && t.timeFactor === 0) {
      throw new ConfigError(`${config.file}: twin.transport pty needs twin.timeFactor > 0 (a pty runs on the wall clock)`);
    }
    const clock = t.timeFactor === 0 ? new VirtualClock() : new ScaledClock(t.timeFactor);
    if (clock instanceof VirtualClock) cleanups.push(() => clock.dispose());
    const timeline = new Timeline(clock);
    const device = createTwin(config.scheme, { clock, variant: t.variant, powerLoss: t.powerLoss, seed: t.seed });
    device.configureBoard?.({ stable: stableRule(config.boot), ...(t.sramFlipRate !== undefined && { sramFlipRate: t.sramFlipRate }), ...(t.crashReset && { crashReset: t.crashReset }) });
    forwardEvents(device, timeline);
    const product = device.members ? await openMembers(config, device, openLink, clock, cleanups) : undefined;
    const opened = product ? undefined : await openLink(device, { transport: t.transport, paceBaud: t.paceBaud, baud: config.console.baud, clock });
    if (opened) cleanups.push(() => opened.close());
    const memories = product ? productMemories(schemeMeta(config.scheme)) : [];
    const twin: TwinHandle = {
      variant: t.variant,
      snapshot: () => device.snapshot(),
      restore: (s) => device.restore(s as ReturnType<typeof device.snapshot>),
      flashOps: () => device.flash.opCount,
      reseed: (seed) => device.mcu.reseed(seed),
      onMarker: (listener) =>
        device.onEvent((e) => {
          if (e.kind !== 'flash') return;
          if (!product) return listener();
          listener({ ...(e.mcu !== undefined && { mcu: e.mcu }), ...(memoryAt(memories, e.address, 1) && { memory: memoryAt(memories, e.address, 1)!.name }) });
        }),
      baselines: new Map(),
      sweep: twinSweep(device),
    };
    cleanups.push(() => device.powerOff());
    const power = new TwinPower(device, timeline, config.power.driver === 'twin' ? config.power.sag : undefined);
    return {
      clock,
      timeline,
      link: opened?.link ?? product![0]!.console.link,
      power,
      probe: new TwinProbe(device, timeline),
      twin,
      marker: twin.onMarker,
      ...(product && { mcus: product.map((m) => ({ ...m, reset: () => power.cycle(RESET_CYCLE_MS) })) }),
    };
  });
}

/** A product member has no reset line on the twin: its reset is the product's short power cycle. */
const RESET_CYCLE_MS = 20;

/** What the twin did, into the rig's timeline (each event of a product says whose it is), unless the timeline is quiet. */
function forwardEvents(device: TwinDevice, timeline: Timeline): void {
  device.onEvent((e) => {
    if (timeline.quiet) return;
    const data = e.mcu !== undefined ? { mcu: e.mcu } : undefined;
    if (e.kind === 'phase') timeline.add('twin', `phase:${e.name}`, e.detail, data);
    else if (e.kind === 'boot') timeline.add('twin', `boot:${e.image}`, e.slot, data);
    else if (e.kind === 'flash-interrupted') {
      timeline.add('twin', 'flash-interrupted', `${e.op} at 0x${e.address.toString(16)} (${e.length} B) ${(e.fraction * 100).toFixed(0)}% done -> ${e.applied}`, data);
    } else if (e.kind === 'lock') timeline.add('twin', 'lock', e.holder ?? 'released', { holder: e.holder, ...data });
    else if (e.kind === 'link') timeline.add('twin', 'link', e.text, { from: e.from, to: e.to });
    else if (e.kind === 'bus-conflict') timeline.add('twin', 'bus-conflict', `${e.conflict}: ${e.op} at 0x${e.address.toString(16)} with ${e.other}`, data);
  });
}

/**
 * A product twin's processors: each member's console on its own link (the rig's transport: in
 * process, or a pty each), and its debug port at its own addresses. The rig's console merges them.
 */
async function openMembers(config: RigConfig, device: TwinDevice, openLink: TwinLinkOpener, clock: Clock, cleanups: Cleanups): Promise<Omit<RigMcu, 'reset'>[]> {
  const t = config.twin!;
  const meta = schemeMeta(config.scheme);
  const memories = productMemories(meta);
  const out: Omit<RigMcu, 'reset'>[] = [];
  for (const member of device.members!) {
    const mcu = config.mcus?.[member.name];
    if (!mcu) throw new ConfigError(`${config.file}: the ${config.scheme} twin has a member ${member.name}, which mcus: does not name`);
    // The transports need a device's UART and clock alone: this member's UART, the product's clock.
    const view = {
      target: member.target,
      scheme: `${config.scheme}:${member.name}`,
      clock: device.clock,
      uartRx: (b: Buffer) => member.uartRx(b),
      onUartTx: (l: (b: Buffer) => void) => member.onUartTx(l),
    };
    const opened = await openLink(view as unknown as TwinDevice, { transport: t.transport, paceBaud: t.paceBaud, baud: mcu.console.baud, clock });
    cleanups.push(() => opened.close());
    const console = new Console({ link: opened.link, clock });
    cleanups.push(() => console.close());
    const memory = memories.find((m) => m.owner === member.name);
    const probe = mcu.probe && memory ? new OffsetProbe(new TwinProbe(device), memory.base, memory.size, `${member.name} probe`) : undefined;
    out.push({ name: member.name, target: member.target, console, ...(probe && { probe }) });
  }
  return out;
}
