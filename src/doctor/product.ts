/**
 * `hil doctor --rig` on a product rig (`mcus:`): the checks that are about one processor's parts
 * (its console's serial port, its openocd probe and that probe on USB) run once per member, on a
 * view of the rig that has that member's console, probe and target, and say which member in their
 * id, title and the rig-file keys they name. The shared flash reader gets its own check.
 */
import { rigMembers, type RigConfig } from '../config/index.js';
import { pathState, under, which } from './env.js';
import type { Check, CheckContext } from './types.js';

type Family = (ctx: CheckContext) => Promise<Check[]>;

/** The single-MCU view of one member: what the per-processor checks read. */
function memberView(rig: RigConfig, name: string): RigConfig {
  const mcu = rig.mcus![name]!;
  const { mcus: _mcus, probe: _probe, ...rest } = rig;
  return { ...rest, target: mcu.target, console: mcu.console, ...(mcu.probe && { probe: mcu.probe }) };
}

function relabel(check: Check, name: string): Check {
  const keys = (text: string) => text.replace(/(^|[\s(`'"])((?:console|probe)\.[A-Za-z]+)/g, `$1mcus.${name}.$2`);
  return {
    ...check,
    id: `${check.id}.${name}`,
    title: `${check.title} (${name})`,
    detail: keys(check.detail),
    ...(check.fix !== undefined && { fix: keys(check.fix) }),
  };
}

/** Runs `family` once per member of a product rig; on a single rig, as it is. */
export function perMember(family: Family): Family {
  const wrapped: Family = async (ctx) => {
    const rig = ctx.rig;
    if (!rig?.mcus) return family(ctx);
    const out: Check[] = [];
    for (const name of rigMembers(rig)) {
      for (const c of await family({ ...ctx, rig: memberView(rig, name) })) out.push(relabel(c, name));
    }
    return out;
  };
  Object.defineProperty(wrapped, 'name', { value: family.name });
  return wrapped;
}

/** The shared flash reader: flashrom is installed, and the SPI device its programmer names exists and opens. */
export async function checkSharedFlash({ env, rig }: CheckContext): Promise<Check[]> {
  const reader = rig?.shared?.flash?.reader;
  if (!rig?.mcus || !reader) return [];
  const checks: Check[] = [];
  const binary = await which(env, reader.binary, rig.file.replace(/\/[^/]*$/, ''));
  checks.push(
    binary
      ? { id: 'flashrom', title: 'flashrom (shared flash reader)', status: 'ok', detail: `${binary}` }
      : { id: 'flashrom', title: 'flashrom (shared flash reader)', status: 'fail', detail: `${reader.binary} is not on PATH`, fix: 'sudo apt-get install -y flashrom' },
  );
  const dev = /(?:^|[:,])dev=([^,]+)/.exec(reader.programmer)?.[1];
  if (dev?.startsWith('/dev/')) {
    const state = await pathState(under(env, dev));
    if (state !== 'present') {
      checks.push({
        id: 'flashrom.spi',
        title: 'SPI device (shared flash reader)',
        status: 'fail',
        detail: `${dev} is not there (shared.flash.reader.programmer)`,
        fix: 'enable SPI: add dtparam=spi=on to /boot/firmware/config.txt and reboot',
      });
    } else if (!(await env.access(under(env, dev), 'rw'))) {
      checks.push({
        id: 'flashrom.spi',
        title: 'SPI device (shared flash reader)',
        status: 'fail',
        detail: `${env.user || `uid ${env.uid}`} cannot open ${dev}`,
        fix: `sudo usermod -aG spi ${env.user || '$USER'} (then log in again)`,
      });
    } else {
      checks.push({ id: 'flashrom.spi', title: 'SPI device (shared flash reader)', status: 'ok', detail: `${dev}: readable and writable` });
    }
  }
  return checks;
}
