/**
 * The chunk server keeps each answer's bytes by request (a sweep asks for the same chunks thousands
 * of times): a repeated request gets the same bytes, and a package offered again under the same id
 * with other contents is answered from its own bytes. The console is on an in-memory byte link
 * (what the rig writes is recorded, what the device says is fed in); the pty path is
 * fota-updater.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Listeners, type ByteLink } from '../../src/core/byte-link.js';
import { Console } from '../../src/drivers/console/console.js';
import { FotaChunkServer } from '../../src/drivers/updater/fota/chunk-server.js';
import type { FotaPackage } from '../../src/drivers/updater/fota/package.js';

function memoryLink(): { link: ByteLink; written: Buffer[]; say(text: string): void } {
  const data = new Listeners<Buffer>();
  const written: Buffer[] = [];
  const link: ByteLink = {
    description: 'in-memory link',
    write: async (bytes) => {
      written.push(Buffer.from(bytes));
    },
    onData: (l) => data.add(l),
    onClose: () => () => {},
    close: async () => {},
  };
  return { link, written, say: (text) => data.emit(Buffer.from(`${text}\n`, 'latin1')) };
}

function pkg(id: string, fill: number): FotaPackage {
  const data = Buffer.alloc(1000, fill);
  return { id, members: [{ name: 'host', size: data.length, sha256: '00'.repeat(32), data }], total: data.length };
}

describe('fota chunk server answers', () => {
  it('answers a repeated request with the same bytes, and a package offered again under its id from its own bytes', () => {
    const clock = new VirtualClock();
    const { link, written, say } = memoryLink();
    const server = new FotaChunkServer(new Console({ link, clock }));
    server.offer(pkg('abcd1234', 0x11));
    say('fota get abcd1234 host 500 100');
    say('fota get abcd1234 host 500 100');
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual(written[0]);
    const line = written[0]!.toString('latin1');
    expect(line).toBe(`fota data abcd1234 host 500 ${Buffer.alloc(100, 0x11).toString('base64')}\n`);
    server.offer(pkg('abcd1234', 0x22));
    say('fota get abcd1234 host 500 100');
    expect(written[2]!.toString('latin1')).toBe(`fota data abcd1234 host 500 ${Buffer.alloc(100, 0x22).toString('base64')}\n`);
    server.close();
  });
});
