import { describe, it, expect } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSamplePair } from '../../src/firmware/sample-app.js';
import { makeSamples, SAMPLE_SIZE, SAMPLES } from '../../src/firmware/make-samples.js';
import { readAppInfo } from '../../src/protocols/appinfo.js';

const FIRMWARE = fileURLToPath(new URL('../../firmware/', import.meta.url));

describe('make-samples', () => {
  it('the committed firmware/*.bin are what the generator builds', async () => {
    expect(SAMPLE_SIZE).toBe(163596);
    expect(SAMPLES.map((s) => s.version)).toEqual(['1.0.0', '2.0.0']);
    for (const s of SAMPLES) {
      const { a, b } = buildSamplePair(s.version, SAMPLE_SIZE);
      expect((await readFile(join(FIRMWARE, `${s.file}.slotA.bin`))).equals(a)).toBe(true);
      expect((await readFile(join(FIRMWARE, `${s.file}.slotB.bin`))).equals(b)).toBe(true);
      expect(readAppInfo(a)).toMatchObject({ version: s.version, imageLength: 163596 });
    }
  });

  it('writes every sample image of the four schemes, and each is what the committed firmware/ holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hilrig-samples-'));
    try {
      const lines: string[] = [];
      const made = await makeSamples(dir, (l) => lines.push(l));
      const files = (await readdir(dir)).sort();
      expect(files).toEqual(
        [
          'app-v1.slotA.bin',
          'app-v1.slotB.bin',
          'app-v2.slotA.bin',
          'app-v2.slotB.bin',
          'app-v1.page2bin',
          'app-v2.page2bin',
          'stm32-app-v1.bin',
          'stm32-app-v2.bin',
          'stm32-app-v3.bin',
          'mcuboot-app-v1.signed.bin',
          'mcuboot-app-v2.signed.bin',
          'mcuboot-app-v2-crashes.signed.bin',
          'product-host-v1.signed.bin',
          'product-host-v2.signed.bin',
          'product-radio-v1.signed.bin',
          'product-radio-v2.signed.bin',
          'product-v1.tar',
          'product-v2.tar',
        ].sort(),
      );
      // Deterministic: the same bytes as the images the suites use.
      for (const f of files) expect((await readFile(join(dir, f))).equals(await readFile(join('firmware', f)))).toBe(true);
      expect(made.length).toBe(files.length);
      expect(made[0]).toEqual({ path: join(dir, 'app-v1.slotA.bin'), bytes: 163596, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
