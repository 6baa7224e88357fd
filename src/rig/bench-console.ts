/**
 * The console link of a real bench. A USB-serial adapter powered by the board (ST-LINK VCP,
 * J-Link VCOM) does not exist while the board is off, which is the safe state a rig opens in: then
 * the board is powered and its port awaited for console.reconnectMs before the link opens.
 */
import { existsSync } from 'node:fs';
import type { RigConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { RigError } from '../core/errors.js';
import type { Timeline } from '../core/timeline.js';
import type { Power } from '../drivers/capabilities.js';
import { openConsoleLink } from '../drivers/console/open.js';
import type { ReconnectingLink } from '../drivers/console/reconnecting-link.js';

export async function openBenchConsole(config: RigConfig, power: Power, clock: Clock, timeline: Timeline): Promise<ReconnectingLink> {
  const c = config.console;
  if (c.driver === 'twin') throw new RigError(`${config.file}: console.driver twin needs a twin: section`);
  if (c.driver === 'serial' && !existsSync(c.port) && power.state !== 'on') {
    timeline.add('console', 'absent', `${c.port} is not there with the board off: powering on to find it`);
    await power.on();
    const deadline = Date.now() + c.reconnectMs;
    while (!existsSync(c.port) && Date.now() < deadline) await clock.sleep(100);
    if (!existsSync(c.port)) {
      throw new RigError(`${config.file}: serial port ${c.port} did not appear within ${c.reconnectMs} ms of powering the board: is the adapter plugged in (and the by-id path right)?`);
    }
  }
  return openConsoleLink(c, { clock });
}
