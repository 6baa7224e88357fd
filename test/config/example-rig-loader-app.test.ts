/**
 * rigs/pi-stm32f429-disc1-loader-app.yaml, beyond what every example bench rig must do
 * (test/config/example-rigs.test.ts): seed 001's scheme on a second DISC1 that shares the Pi with
 * pi-stm32f429-disco (its own lines, console and ST-LINK), a console that does not vanish at a cut,
 * the stable-app command, a RAM dump line that names this board's ST-LINK; and `hil doctor` on it
 * on a machine without the hardware.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { hil } from '../cli/hil.js';

const RIGS = path.join(import.meta.dirname, '../../rigs');
const FILE = path.join(RIGS, 'pi-stm32f429-disc1-loader-app.yaml');

describe('rigs/pi-stm32f429-disc1-loader-app.yaml', () => {
  it('is a loader-app rig on the STM32F429 with a relay, NRST and BOOT0, updated over the console (sfu-app)', async () => {
    const rig = await loadRig(FILE);
    expect([rig.target, rig.scheme, rig.updater.driver]).toEqual(['stm32f429', 'loader-app', 'sfu-app']);
    expect(rig.power).toMatchObject({ driver: 'relay', pin: 'RELAY', poweredLevel: 1, safeState: 'off' });
    expect(rig.gpio?.pins).toEqual({
      RELAY: { line: 'GPIO16', activeLow: true, safe: 0, direction: 'out' },
      NRST: { line: 'GPIO26', activeLow: true, safe: 0, direction: 'out' },
      BOOT0: { line: 'GPIO20', activeLow: false, safe: 0, direction: 'out' },
    });
    expect(rig.boot.stable).toEqual({ command: 'mark-stable' });
  });

  it('shares no line, console or ST-LINK with pi-stm32f429-disco (one Pi runs both)', async () => {
    const [rig, disco] = await Promise.all([loadRig(FILE), loadRig(path.join(RIGS, 'pi-stm32f429-disco.yaml'))]);
    const lines = (r: typeof rig) => Object.values(r.gpio!.pins).map((p) => p.line);
    expect(lines(rig).filter((l) => lines(disco).includes(l))).toEqual([]);
    if (rig.console.driver !== 'serial' || disco.console.driver !== 'serial' || rig.probe?.driver !== 'openocd' || disco.probe?.driver !== 'openocd') throw new Error('bench rigs');
    expect(rig.console.port).not.toBe(disco.console.port);
    expect(rig.probe.adapterSerial).not.toBe(disco.probe.adapterSerial);
    expect(rig.board?.serial).not.toBe(disco.board?.serial);
  });

  it('reads the console from a USB-serial adapter on USART2, not the ST-LINK VCP that vanishes at a cut', async () => {
    const rig = await loadRig(FILE);
    if (rig.console.driver !== 'serial') throw new Error('serial console expected');
    expect(rig.console).toMatchObject({ baud: 115200, lineEnding: 'crlf' });
    expect(rig.console.port).toMatch(/^\/dev\/serial\/by-id\/usb-Silicon_Labs_CP2102N_.*-if00-port0$/);
    const text = readFileSync(FILE, 'utf8');
    expect(text).toMatch(/adapter RXD <- PA2 \(USART2 TX\)/);
    expect(text).toMatch(/adapter TXD -> PA3 \(USART2 RX\)/);
  });

  it("documents a RAM dump through this board's own ST-LINK, halted and never reset", async () => {
    const rig = await loadRig(FILE);
    if (rig.probe?.driver !== 'openocd') throw new Error('openocd probe expected');
    const text = readFileSync(FILE, 'utf8');
    expect(text).toContain(`adapter serial ${rig.probe.adapterSerial}`);
    expect(text).toContain('halt; dump_image ram.bin 0x20000000 256');
    expect(text).toContain('hil inspect --scheme loader-app --ram ram.bin');
  });

  it('hil doctor without the hardware: exit 3, every failure with a fix, and nothing shared with the other rigs', async () => {
    const r = await hil(['doctor', '--rig', 'pi-stm32f429-disc1-loader-app', '--json']);
    expect(r.exitCode).toBe(3);
    const doc = JSON.parse(r.stdout) as { ok: boolean; rig: { name: string }; checks: { id: string; status: string; fix?: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.rig.name).toBe('pi-stm32f429-disc1-loader-app');
    for (const c of doc.checks.filter((x) => x.status === 'fail')) expect([c.id, c.fix]).toEqual([c.id, expect.any(String)]);
    expect(doc.checks.filter((c) => c.id.startsWith('wiring.')).map((c) => [c.id, c.status])).toEqual(expect.arrayContaining([['wiring.pins', 'ok']]));
    expect(doc.checks.find((c) => c.id === 'wiring.ports')?.status).toBe('ok');
    expect(doc.checks.find((c) => c.id.startsWith('node'))?.status).toBe('ok');
  });
});
