// A multi-stage update's images in a repro record (images.via, in order, by file and sha256), and a
// record with a malformed via refused naming the field.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrigger } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { cutReproRecord } from '../../src/report/repro-record.js';
import { reproFromFile } from '../../src/report/repro-find.js';

describe('repro records of a multi-stage update', () => {
  it('keep the via images in order, and one-stage records have none', async () => {
    const from = await loadUpdateImage('firmware/fwup-app-v1.bin', 'loader-app');
    const to = await loadUpdateImage('firmware/fwup-app-v2.bin', 'loader-app', ['firmware/fwup-updater-v1.bin', 'firmware/fwup-loader-v2.bin']);
    const updater = await loadUpdateImage('firmware/fwup-updater-v1.bin', 'loader-app');
    const loader = await loadUpdateImage('firmware/fwup-loader-v2.bin', 'loader-app');
    const config = { name: 'twin', file: 'rigs/twin-stm32f429-loader-app.yaml' };
    const spec = { trigger: parseTrigger('progress:7%'), offMs: 200, seed: 1, setup: 'factory', retry: 2 };
    const record = cutReproRecord({ config, images: { from, to }, spec, expected: ['updated'], result: { outcome: 'updated' } });
    expect(record.images.via).toEqual([
      { file: 'firmware/fwup-updater-v1.bin', sha256: updater.sha256 },
      { file: 'firmware/fwup-loader-v2.bin', sha256: loader.sha256 },
    ]);
    expect(record.retry).toBe(2);
    const plain = cutReproRecord({ config, images: { from, to: await loadUpdateImage('firmware/fwup-app-v2.bin', 'loader-app') }, spec, expected: ['updated'], result: { outcome: 'updated' } });
    expect(plain.images.via).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'hil-repro-via-'));
    try {
      const file = join(dir, 'repro.json');
      writeFileSync(file, JSON.stringify(record));
      expect(reproFromFile(file).record.images.via).toEqual(record.images.via);
      writeFileSync(file, JSON.stringify({ ...record, images: { ...record.images, via: [{ file: 'x.bin' }] }, retry: 1.5 }));
      let error: unknown;
      try {
        reproFromFile(file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('images.via');
      expect((error as Error).message).toContain('retry');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
