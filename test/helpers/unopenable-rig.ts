import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A bench rig whose relay needs libgpiod's gpioset, which the test hides from PATH: it cannot open. */
export function unopenableRigFile(dir: string): string {
  const file = join(dir, 'no-gpioset.yaml');
  writeFileSync(
    file,
    [
      'name: no-gpioset',
      'target: rp2040',
      'scheme: sfu-ab',
      'gpio: { pins: { RELAY: { chip: gpiochip0, offset: 17 } } }',
      'power: { driver: relay, pin: RELAY, onSettleMs: 1, offSettleMs: 1, minOffMs: 10, offMs: 10 }',
      'console: { driver: serial, port: /dev/serial/by-id/not-plugged-in, baud: 115200 }',
      'updater: { driver: sfu }',
    ].join('\n') + '\n',
  );
  return file;
}
