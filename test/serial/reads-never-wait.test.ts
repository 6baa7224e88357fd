/**
 * Issue 8 defect 3: `hil sfu upload` stopped reading the port while a write was blocked. Through
 * serialport 13, a write that hits EAGAIN re-arms the native poller for "writable" only, dropping
 * the pending read's "readable" interest; replies from the device then sat unread until the write
 * finished (seconds, behind a bootloader that was erasing). The serial link now moves its bytes
 * through libuv's tty stream, which keeps both interests. Real kernel pty, no mocks.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ByteLink } from '../../src/drivers/console/byte-link.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import { startDirectPty, type DirectPty } from './direct-pty.js';

const links: ByteLink[] = [];
const devices: DirectPty[] = [];

afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  await Promise.all(devices.splice(0).map((d) => d.kill()));
});

describe('serial link: reads never wait on writes', () => {
  it('delivers what the device sends while a big write is blocked (the device is not reading)', async () => {
    // The device is deaf for 1 s but talks every 20 ms; then it reads everything.
    const big = Buffer.alloc(256 * 1024, 0x55);
    const device = await startDirectPty({ deafMs: 1000, everyMs: 20, chunk: 16, endMs: 10_000, expect: big.length });
    devices.push(device);
    const link = await openSerialLink(device.path, { baud: 921600 });
    links.push(link);
    const order: string[] = [];
    let received = 0;
    const firstData = new Promise<void>((resolve) =>
      link.onData((chunk) => {
        if (received === 0) order.push('data');
        received += chunk.length;
        resolve();
      }),
    );
    // Far more than a pty buffers (about 68 KiB): the write stays blocked until the device reads.
    const written = link.write(big).then(() => void order.push('write done'));
    device.go();
    await Promise.race([firstData, written]);
    // Before the fix the first device byte only came after the write had finished.
    expect(order[0]).toBe('data');
    await written;
    await firstData;
    expect(received).toBeGreaterThan(0);
    expect(await device.done).toBe(big.length);
  }, 20_000);
});
