/**
 * What `hil sfu upload --help` shows and the options it parses, apart from the
 * implementation (./sfu-upload.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const sfuUploadHelp: CommandHelp = {
  path: ['sfu', 'upload'],
  summary: 'upload an image to an SFU bootloader on a serial port (RP2040-SFU, STM32F4 SFU)',
  usage: 'hil sfu upload --port PORT [--baud 921600] [--block 2048] [--info-timeout-ms 10000] [--require-info-block] IMAGE [--json]',
  details: `The TypeScript replacement for Mirn's sfu-cli-uploader. Polls INFO until the bootloader answers
(reset or power-cycle the board: the bootloader listens for about 2 s after reset), erases once,
streams pipelined WRITEs within the device's receive buffer, checks the START reply's CRC itself and
waits for the device to sign the slot. IMAGE is a RAW binary linked for the slot INFO announces, or a
BIN2Page stream (the device decodes it for whichever slot it writes).
Before the port is opened, IMAGE is checked: a BIN2Page stream must be the header and whole,
well-formed 256-byte blocks; an image (each decoding of a BIN2Page stream) that carries hilrig's
app info block must reach the length it states, and one without it must start with a plausible
vector table (SP in SRAM, a Thumb reset address in flash). A truncated, random or foreign file is
refused (exit 2): the device would sign whatever arrives with a matching CRC.
Exit 0 only when the device reported the slot signed.

  --port PORT            serial device, e.g. /dev/serial/by-id/usb-Silicon_Labs_CP2102N...
  --baud N               line rate (default 921600)
  --block N              data bytes per WRITE, a multiple of 256 up to 3840 (default 2048)
  --info-timeout-ms N    how long to poll INFO before giving up (default 10000)
  --require-info-block   refuse an image without hilrig's app info block (the sample firmware
                         and builds that carry it); without the flag, such an image must still
                         start with a plausible vector table`,
  examples: ['hil sfu upload --port /dev/ttyUSB0 firmware/app-v2.page2bin', 'hil sfu upload --port /dev/ttyUSB0 --json app.bin | jq .bytesPerSecond'],
  options: {
    port: { type: 'string' },
    baud: { type: 'string' },
    block: { type: 'string' },
    'info-timeout-ms': { type: 'string' },
    'require-info-block': { type: 'boolean' },
  },
};
