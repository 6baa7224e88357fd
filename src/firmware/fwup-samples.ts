/**
 * Writes the seed-001 (loader-app scheme) sample images to firmware/ (run:
 * `npx tsx src/firmware/fwup-samples.ts [outDir]`). Kept apart from make-samples.ts, which
 * another scheme's owner maintains; same rule: every file is a pure function of this code.
 *
 * - fwup-boot.bin: the immutable bootloader for 0x0800_0000 (no header);
 * - fwup-loader-v1.bin, fwup-loader-v2.bin: Loaders for slot 1 (the factory one, and an update);
 * - fwup-app-v1.bin, fwup-app-v2.bin: Applications for slot 2;
 * - fwup-updater-v1.bin: the Updater (slot 2, for a while);
 * - fwup-app-v2-crashes.bin: a committed, CRC-correct Application linked for the wrong address:
 *   it faults at start (the boot counter's case);
 * - fwup-app-v2-bad-crc.bin: fwup-app-v2.bin with its last byte flipped, as a corrupted download:
 *   it would run, but its data no longer matches its header CRC, so a Loader must refuse it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildFwupBootloader, buildFwupImage } from './fwup-image.js';

/** 200 KiB spans slot 2's first 128 KiB sector and part of the next, so cuts meet a sector boundary. */
export const FWUP_APP_SIZE = 200 * 1024 + 52;
export const FWUP_LOADER_SIZE = 24 * 1024;

export const FWUP_SAMPLES: readonly { file: string; build: () => Buffer }[] = [
  { file: 'fwup-boot.bin', build: () => buildFwupBootloader() },
  { file: 'fwup-loader-v1.bin', build: () => buildFwupImage({ type: 'loader', version: '1.0.0', size: FWUP_LOADER_SIZE }) },
  { file: 'fwup-loader-v2.bin', build: () => buildFwupImage({ type: 'loader', version: '2.0.0', size: FWUP_LOADER_SIZE + 4096 } /* UPDATED_LOADER in src/schemes/loader-app/setups.ts */) },
  { file: 'fwup-app-v1.bin', build: () => buildFwupImage({ type: 'app', version: '1.0.0', size: FWUP_APP_SIZE }) },
  { file: 'fwup-app-v2.bin', build: () => buildFwupImage({ type: 'app', version: '2.0.0', size: FWUP_APP_SIZE + 8192 }) },
  { file: 'fwup-updater-v1.bin', build: () => buildFwupImage({ type: 'updater', version: '1.0.0', size: 40 * 1024 }) },
  { file: 'fwup-app-v2-bad-crc.bin', build: () => corrupted(buildFwupImage({ type: 'app', version: '2.0.0', size: FWUP_APP_SIZE + 8192 })) },
  { file: 'fwup-app-v2-crashes.bin', build: () => buildFwupImage({ type: 'app', version: '2.0.1', size: 64 * 1024, linkBase: 0x0803_0000 }) },
];

/** The last byte flipped: past the vector table and the info block, inside the header's CRC. */
function corrupted(image: Buffer): Buffer {
  image[image.length - 1] = image[image.length - 1]! ^ 0xff;
  return image;
}

export async function makeFwupSamples(outDir = fileURLToPath(new URL('../../firmware/', import.meta.url))): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const s of FWUP_SAMPLES) {
    const path = resolve(outDir, s.file);
    await writeFile(path, s.build());
    written.push(path);
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const p of await makeFwupSamples(process.argv[2] ? resolve(process.argv[2]) : undefined)) console.log(`wrote ${p}`);
}
