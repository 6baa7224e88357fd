import { describe, it, expect } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAppInfo } from '../../src/protocols/appinfo.js';
import { readMcubootImage } from '../../src/protocols/mcuboot/header.js';
import { PRODUCT_BUNDLES, PRODUCT_MEMBER_SAMPLES, PRODUCT_SAMPLE_SIZE, buildProductBundle, buildProductMemberImage } from '../../src/firmware/product-samples.js';
import { HOST_PARTITIONS, PRODUCT_RUN_ADDRESS } from '../../src/targets/nrf91-nrf52-product.js';
import { NRF9160 } from '../../src/targets/nrf9160.js';

const FIRMWARE = fileURLToPath(new URL('../../firmware/', import.meta.url));
const run = promisify(execFile);

describe('product sample firmware', () => {
  it('each member image is a valid signed MCUboot image of its version, linked to run at primary + 0x200 with a plausible vector table', async () => {
    for (const s of PRODUCT_MEMBER_SAMPLES) {
      const image = await readFile(join(FIRMWARE, s.file));
      expect(image.equals(buildProductMemberImage(s.member, s.version))).toBe(true);
      const facts = readMcubootImage(image, HOST_PARTITIONS.primary.size);
      expect(facts).toMatchObject({ valid: true, hdrSize: 0x200, imgSize: PRODUCT_SAMPLE_SIZE, version: `${s.version}+0`, totalSize: image.length });
      const payload = image.subarray(0x200);
      const run = PRODUCT_RUN_ADDRESS[s.member];
      expect(run).toBe(0xc200);
      expect(readAppInfo(payload)).toMatchObject({ version: s.version, linkBase: run });
      const sp = payload.readUInt32LE(0);
      const reset = payload.readUInt32LE(4);
      expect(sp > NRF9160.sramBase && sp <= NRF9160.sramTop).toBe(true);
      expect(reset % 2).toBe(1);
      expect(reset > run && reset < run + PRODUCT_SAMPLE_SIZE).toBe(true);
    }
  });

  it('the two members of one version differ (a host image in the radio slot is told apart)', async () => {
    const host = await readFile(join(FIRMWARE, 'product-host-v1.signed.bin'));
    const radio = await readFile(join(FIRMWARE, 'product-radio-v1.signed.bin'));
    expect(host.equals(radio)).toBe(false);
  });

  it('the bundles are deterministic tars that GNU tar lists and extracts to the member images', async () => {
    for (const b of PRODUCT_BUNDLES) {
      const tar = await readFile(join(FIRMWARE, b.file));
      const host = await readFile(join(FIRMWARE, b.host));
      const radio = await readFile(join(FIRMWARE, b.radio));
      expect(tar.equals(buildProductBundle(host, radio))).toBe(true);
      const { stdout } = await run('tar', ['tvf', join(FIRMWARE, b.file)]);
      expect(stdout).toMatch(/^-rw-r--r-- 0\/0 +25180 2026-01-01 00:00 host\.signed\.bin$/m);
      expect(stdout).toMatch(/radio\.signed\.bin$/m);
      const { stdout: hostOut } = await run('tar', ['xOf', join(FIRMWARE, b.file), 'host.signed.bin'], { encoding: 'buffer', maxBuffer: 1 << 20 });
      expect(Buffer.from(hostOut).equals(host)).toBe(true);
    }
  });
});
