/**
 * The example bench rigs in rigs/pi-*.yaml load as they are, and say what docs/wiring.md says:
 * the relay powers the target only when energised (safe = off), every pin has a safe level that
 * leaves the target out of reset and booting from flash, consoles are by-id paths, probes name
 * configs that Debian's openocd 0.12 ships.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadRig, parseRig, type RigConfig } from '../../src/config/index.js';

const RIGS = path.join(import.meta.dirname, '../../rigs');
const EXAMPLES = ['pi-stm32f429-disco', 'pi-pico-sfu', 'pi-nrf52840-dk', 'pi-stm32f429-disc1-loader-app'] as const;
const OPENOCD_SCRIPTS = '/usr/share/openocd/scripts';

const load = (name: string): Promise<RigConfig> => loadRig(path.join(RIGS, `${name}.yaml`));

/** Header pins a Pi line name sits on (40-pin header, all Pi models with one). */
const HEADER_PIN: Record<string, number> = {
  GPIO5: 29,
  GPIO12: 32,
  GPIO13: 33,
  GPIO19: 35,
  GPIO21: 40,
  GPIO6: 31,
  GPIO16: 36,
  GPIO17: 11,
  GPIO20: 38,
  GPIO22: 15,
  GPIO23: 16,
  GPIO24: 18,
  GPIO25: 22,
  GPIO26: 37,
  GPIO27: 13,
};

function pins(rig: RigConfig) {
  expect(rig.gpio).toBeDefined();
  return rig.gpio!.pins;
}

describe.each(EXAMPLES)('rigs/%s.yaml', (name) => {
  it('loads without errors, is a real bench (no twin) and is named after its file', async () => {
    const rig = await load(name);
    expect(rig.name).toBe(name);
    expect(rig.twin).toBeUndefined();
    expect(rig.description).toEqual(expect.any(String));
  });

  it('leaves the target unpowered on every exit, and never cuts shorter than minOffMs', async () => {
    const rig = await load(name);
    expect(rig.power.safeState).toBe('off');
    expect(rig.power.minOffMs).toBeGreaterThan(0);
    expect(rig.power.offMs).toBeGreaterThanOrEqual(rig.power.minOffMs!);
    if (rig.power.driver === 'relay') {
      // NO contact: energised = powered, so the safe (released) level 0 means off.
      expect(rig.power.poweredLevel).toBe(1);
      expect(pins(rig)[rig.power.pin]?.safe).toBe(0);
    }
  });

  it('gives every pin a line name on the header and a safe level, and drives reset open-drain style', async () => {
    const rig = await load(name);
    for (const [id, pin] of Object.entries(pins(rig))) {
      expect([id, pin.line && HEADER_PIN[pin.line] !== undefined]).toEqual([id, true]);
      expect([id, pin.direction, pin.safe]).toEqual([id, 'out', 0]);
      // Every documented pin is mentioned in the comments by line name and header pin number.
      const text = readFileSync(rig.file, 'utf8');
      expect(text).toContain(`${pin.line} (pin ${HEADER_PIN[pin.line!]})`);
    }
    // Reset: asserted = wire low (a diode to the target's reset line), released at exit.
    expect(rig.reset).toBeDefined();
    const reset = pins(rig)[rig.reset!.pin];
    expect(reset).toMatchObject({ activeLow: true, safe: 0, direction: 'out' });
    expect(rig.reset!.pulseMs).toBeGreaterThan(0);
  });

  it('reads the console from a stable /dev/serial/by-id/ path and waits for it to come back', async () => {
    const rig = await load(name);
    expect(rig.console.driver).toBe('serial');
    if (rig.console.driver !== 'serial') return;
    expect(rig.console.port).toMatch(/^\/dev\/serial\/by-id\/usb-/);
    expect(rig.console.reconnectMs).toBeGreaterThan(0);
  });

  it('names openocd configs that exist in the installed openocd (when there is one)', async () => {
    const rig = await load(name);
    expect(rig.probe?.driver).toBe('openocd');
    if (rig.probe?.driver !== 'openocd') return;
    expect(rig.probe.interface).toMatch(/^interface\/.+\.cfg$/);
    expect(rig.probe.target).toMatch(/\.cfg$/);
    expect(rig.probe.adapterSerial).toEqual(expect.any(String));
    if (!existsSync(OPENOCD_SCRIPTS)) return;
    for (const cfg of [rig.probe.interface!, rig.probe.target!, ...rig.probe.configs]) {
      expect([cfg, existsSync(path.join(OPENOCD_SCRIPTS, cfg))]).toEqual([cfg, true]);
    }
  });
});

describe('rigs/pi-stm32f429-disco.yaml', () => {
  it('is an STM32F429 dual-bank rig on a relay, with NRST and BOOT0 from the Pi', async () => {
    const rig = await load('pi-stm32f429-disco');
    expect([rig.target, rig.scheme]).toEqual(['stm32f429', 'stm32-dualbank']);
    expect(rig.power).toMatchObject({ driver: 'relay', pin: 'RELAY', poweredLevel: 1, safeState: 'off' });
    expect(pins(rig)).toEqual({
      RELAY: { line: 'GPIO17', activeLow: true, safe: 0, direction: 'out' },
      NRST: { line: 'GPIO27', activeLow: true, safe: 0, direction: 'out' },
      // BOOT0 = 0 on exit: the next power-on boots from flash, not the ROM bootloader.
      BOOT0: { line: 'GPIO22', activeLow: false, safe: 0, direction: 'out' },
    });
    expect(rig.reset?.pin).toBe('NRST');
  });

  it('talks to the OTA app over the ST-LINK VCP and flashes through the ST-LINK', async () => {
    const rig = await load('pi-stm32f429-disco');
    expect(rig.updater.driver).toBe('sfu-app');
    expect(rig.console).toMatchObject({ driver: 'serial', baud: 115200 });
    if (rig.console.driver !== 'serial') return;
    expect(rig.console.port).toMatch(/STMicroelectronics_STM32_STLink_(\w+)-if02$/);
    expect(rig.probe).toMatchObject({ driver: 'openocd', interface: 'interface/stlink.cfg', target: 'target/stm32f4x.cfg' });
    // One ST-LINK: the probe's serial is the one in the VCP's by-id name.
    if (rig.probe?.driver !== 'openocd') return;
    expect(rig.console.port).toContain(`_${rig.probe.adapterSerial}-if02`);
  });
});

describe('rigs/pi-pico-sfu.yaml', () => {
  it('is an RP2040 SFU rig with the relay on VSYS and RUN as reset', async () => {
    const rig = await load('pi-pico-sfu');
    expect(rig.reset?.pin).toBe('RUN');
    expect([rig.target, rig.scheme]).toEqual(['rp2040', 'sfu-ab']);
    expect(rig.updater.driver).toBe('sfu');
    expect(rig.power).toMatchObject({ driver: 'relay', pin: 'RELAY', poweredLevel: 1 });
    expect(pins(rig)).toEqual({
      RELAY: { line: 'GPIO23', activeLow: true, safe: 0, direction: 'out' },
      RUN: { line: 'GPIO24', activeLow: true, safe: 0, direction: 'out' },
    });
    // No BOOTSEL pin: the SFU bootloader runs after every reset.
    expect(pins(rig).BOOTSEL).toBeUndefined();
  });

  it('uploads at the SFU rate through a USB-serial adapter and probes with the Debug Probe at 5 MHz', async () => {
    const rig = await load('pi-pico-sfu');
    expect(rig.console).toMatchObject({ driver: 'serial', baud: 921600 });
    if (rig.console.driver !== 'serial') return;
    expect(rig.console.port).toMatch(/CP2102N.*-if00-port0$/);
    expect(rig.probe).toMatchObject({
      driver: 'openocd',
      interface: 'interface/cmsis-dap.cfg',
      target: 'target/rp2040.cfg',
      adapterSpeedKhz: 5000,
    });
  });
});

describe('rigs/pi-nrf52840-dk.yaml', () => {
  it('is an nRF52840 MCUboot rig powered through uhubctl, updated through the J-Link OB', async () => {
    const rig = await load('pi-nrf52840-dk');
    expect([rig.target, rig.scheme]).toEqual(['nrf52840', 'mcuboot-swap']);
    expect(rig.power).toMatchObject({ driver: 'uhubctl', hub: expect.any(String), port: expect.any(Number), binary: 'uhubctl' });
    expect(rig.updater.driver).toBe('probe');
    expect(pins(rig)).toEqual({ RESET: { line: 'GPIO5', activeLow: true, safe: 0, direction: 'out' } });
  });

  it('reads J-Link VCOM0 at 115200 and selects SWD for the J-Link through the DK board file', async () => {
    const rig = await load('pi-nrf52840-dk');
    expect(rig.console).toMatchObject({ driver: 'serial', baud: 115200 });
    if (rig.console.driver !== 'serial') return;
    expect(rig.console.port).toMatch(/SEGGER_J-Link_\d+-if00$/);
    // interface/jlink.cfg + target/nrf52.cfg alone picks JTAG and fails in openocd 0.12.
    expect(rig.probe).toMatchObject({ driver: 'openocd', interface: 'interface/jlink.cfg', target: 'board/nordic_nrf52_dk.cfg' });
    if (rig.probe?.driver !== 'openocd') return;
    expect(rig.console.port).toContain(`_${rig.probe.adapterSerial}-if00`);
  });

  it('keeps the relay alternative in its comments, and it loads once uncommented', () => {
    const file = path.join(RIGS, 'pi-nrf52840-dk.yaml');
    const lines = readFileSync(file, 'utf8').split('\n');
    // Drop the active uhubctl power: section, uncomment the relay one and the RELAY pin.
    const start = lines.indexOf('power:');
    const alt = lines.findIndex((l) => /^# power: +# relay alternative/.test(l));
    expect([start, alt].every((i) => i > 0) && start < alt).toBe(true);
    const uncomment = (from: number, prefix: string): void => {
      for (let i = from; i < lines.length && lines[i].startsWith(`${prefix}# `); i++) lines[i] = prefix + lines[i].slice(prefix.length + 2);
    };
    uncomment(alt, '');
    uncomment(
      lines.findIndex((l) => l.startsWith('    # RELAY:')),
      '    ',
    );
    const out = [...lines.slice(0, start), ...lines.slice(alt)];
    const rig = parseRig(out.join('\n'), file);
    expect(rig.power).toMatchObject({ driver: 'relay', pin: 'RELAY', poweredLevel: 1, safeState: 'off' });
    expect(pins(rig).RELAY).toEqual({ line: 'GPIO6', activeLow: true, safe: 0, direction: 'out' });
    expect(pins(rig).RESET).toEqual({ line: 'GPIO5', activeLow: true, safe: 0, direction: 'out' });
  });
});

describe('rigs/pi-nrf9160-nrf52840-product.yaml', () => {
  const NAME = 'pi-nrf9160-nrf52840-product';

  it('is a two-processor product on one relay: each MCU with a by-id console, a J-Link by serial and its own reset line', async () => {
    const rig = await load(NAME);
    expect([rig.scheme, rig.target, rig.twin]).toEqual(['multi-mcu-dfu', 'nrf9160', undefined]);
    expect(rig.description).toEqual(expect.any(String));
    expect(rig.power).toMatchObject({ driver: 'relay', pin: 'RELAY', poweredLevel: 1, safeState: 'off' });
    expect(rig.power.offMs).toBeGreaterThanOrEqual(rig.power.minOffMs!);
    expect(rig.updater.driver).toBe('fota');
    const text = readFileSync(rig.file, 'utf8');
    const serials = new Set<string>();
    for (const [name, mcu] of Object.entries(rig.mcus!)) {
      expect([name, mcu.console.driver === 'serial' && /^\/dev\/serial\/by-id\/usb-/.test(mcu.console.port)]).toEqual([name, true]);
      expect(mcu.probe).toMatchObject({ driver: 'openocd', interface: 'interface/jlink.cfg' });
      if (mcu.probe?.driver === 'openocd') serials.add(mcu.probe.adapterSerial!);
      const reset = pins(rig)[mcu.reset!.pin]!;
      expect(reset).toMatchObject({ activeLow: true, safe: 0, direction: 'out' });
      expect(text).toContain(`${reset.line} (pin ${HEADER_PIN[reset.line!]})`);
    }
    // Two probes of one kind in one rig: told apart only by their serials.
    expect(serials.size).toBe(2);
    expect(pins(rig).RELAY).toEqual({ line: 'GPIO12', activeLow: true, safe: 0, direction: 'out' });
    expect(text).toContain('GPIO12 (pin 32)');
  });

  it('watches the lock line as an input and reads the shared NOR over the Pi SPI0 with flashrom, wiring in the comments', async () => {
    const rig = await load(NAME);
    expect(rig.shared?.lock?.pin).toBe('LOCK');
    expect(pins(rig).LOCK).toMatchObject({ line: 'GPIO21', direction: 'in' });
    expect(rig.shared?.flash).toMatchObject({ part: 'W25Q32JV', sizeMiB: 4, reader: { driver: 'flashrom', programmer: 'linux_spi:dev=/dev/spidev0.0,spispeed=8000' } });
    const text = readFileSync(rig.file, 'utf8');
    for (const wire of ['GPIO21 (pin 40)', 'GPIO11 SCLK (pin 23)', 'GPIO10 MOSI (pin 19)', 'GPIO9  MISO (pin 21)', 'GPIO8  CE0  (pin 24)', 'dtparam=spi=on']) expect(text).toContain(wire);
    expect(text).toMatch(/hold[s]? BOTH MCUs in reset/);
  });

  it("names openocd configs the installed openocd has (the nRF91 target only in openocd newer than Debian's 0.12)", async () => {
    const rig = await load(NAME);
    if (!existsSync(OPENOCD_SCRIPTS)) return;
    for (const mcu of Object.values(rig.mcus!)) {
      if (mcu.probe?.driver !== 'openocd') continue;
      for (const cfg of [mcu.probe.interface!, mcu.probe.target!]) {
        if (cfg === 'target/nordic/nrf91.cfg') continue;
        expect([cfg, existsSync(path.join(OPENOCD_SCRIPTS, cfg))]).toEqual([cfg, true]);
      }
    }
  });
});

describe('rigs/twin-nrf9160-nrf52840-product.yaml', () => {
  it('is the twin of the same product: members host and radio, fota, the shared parts', async () => {
    const rig = await loadRig(path.join(RIGS, 'twin-nrf9160-nrf52840-product.yaml'));
    expect(Object.keys(rig.mcus!)).toEqual(['host', 'radio']);
    expect(rig.twin).toMatchObject({ variant: 'correct', timeFactor: 0 });
    expect(rig.updater.driver).toBe('fota');
    expect(rig.shared?.flash).toEqual({ part: 'W25Q32JV', sizeMiB: 4 });
  });
});
