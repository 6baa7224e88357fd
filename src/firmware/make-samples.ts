/**
 * Writes the twin's sample images to firmware/ (run: `npx tsx src/firmware/make-samples.ts`,
 * optionally with an output directory as the only argument):
 *
 * - app-v1.slotA.bin, app-v1.slotB.bin: version 1.0.0 linked for SFU slot A / slot B;
 * - app-v2.slotA.bin, app-v2.slotB.bin: version 2.0.0, likewise;
 * - app-v1.page2bin, app-v2.page2bin: the BIN2Page streams of each pair;
 * - stm32-app-v{1,2,3}.bin: stm32-dualbank images (linked for 0x0800_0000, either bank);
 * - mcuboot-app-v{1,2}.signed.bin: MCUboot images (header, payload, SHA-256 TLV), unpadded;
 * - mcuboot-app-v2-crashes.signed.bin: a valid MCUboot image whose app crashes at start;
 * - product-{host,radio}-v{1,2}.signed.bin: the two-processor product's member images (seed 000);
 * - product-v{1,2}.tar: its update bundles (host.signed.bin + radio.signed.bin, fixed tar metadata).
 *
 * Every file is a pure function of the code in src/firmware/: running this
 * again gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeBin2PageStream, encodeBin2Page } from '../protocols/sfu/bin2page.js';
import { buildMcubootImage } from './mcuboot-image.js';
import { PRODUCT_BUNDLES, PRODUCT_MEMBER_SAMPLES, buildProductBundle, buildProductMemberImage } from './product-samples.js';
import { buildSamplePair } from './sample-app.js';
import { buildStm32Image } from './stm32-image.js';

/** 160 KiB: big enough for a few seconds of transfer at 921600 baud, small enough to commit. */
/**
 * Not a multiple of 256, like real linker output. Chosen so that, in both BIN2Page streams and
 * for both slots, the decoder still holds the image's last 12 bytes in a partial page when START
 * arrives: that is what exposes a bootloader that signs before flushing it (for most sizes the
 * encoder's 0xFF fill completes that page earlier and the bug stays invisible).
 */
export const SAMPLE_SIZE = 163_596;

export const SAMPLES = [
  { file: 'app-v1', version: '1.0.0' },
  { file: 'app-v2', version: '2.0.0' },
] as const;

/**
 * stm32-dualbank samples: 200 KiB spans the 16 KiB, 64 KiB and a 128 KiB sector of a bank, so cuts
 * meet every erase size. v3 is the update back to bank 1 after v2 went to bank 2.
 */
export const STM32_SAMPLE_SIZE = 200 * 1024 + 52;
export const STM32_SAMPLES = [
  { file: 'stm32-app-v1.bin', version: '1.0.0' },
  { file: 'stm32-app-v2.bin', version: '2.0.0' },
  { file: 'stm32-app-v3.bin', version: '3.0.0' },
] as const;

/**
 * mcuboot-swap samples: a 130 KiB payload needs two scratch regions (120 KiB each), so a swap has a
 * region boundary to resume across.
 */
export const MCUBOOT_SAMPLE_SIZE = 130 * 1024;
export const MCUBOOT_CRASHING_SAMPLE = 'mcuboot-app-v2-crashes.signed.bin';
export const MCUBOOT_SAMPLES = [
  { file: 'mcuboot-app-v1.signed.bin', version: '1.0.0' },
  { file: 'mcuboot-app-v2.signed.bin', version: '2.0.0' },
] as const;

export const DEFAULT_FIRMWARE_DIR = fileURLToPath(new URL('../../firmware/', import.meta.url));

/** The decoded image must be the original, then only 0xFF (the last page is padded). */
function decodesTo(decoded: Uint8Array, image: Buffer): boolean {
  if (decoded.length < image.length || !Buffer.from(decoded.buffer, decoded.byteOffset, image.length).equals(image)) return false;
  return decoded.subarray(image.length).every((byte) => byte === 0xff);
}

export interface MadeFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** Builds the samples into `outDir` and returns what was written. */
export async function makeSamples(
  outDir = DEFAULT_FIRMWARE_DIR,
  log: (line: string) => void = (line) => console.log(line),
): Promise<MadeFile[]> {
  await mkdir(outDir, { recursive: true });
  const made: MadeFile[] = [];
  const write = async (name: string, data: Buffer) => {
    const path = resolve(outDir, name);
    await writeFile(path, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    made.push({ path, bytes: data.length, sha256 });
    log(`wrote ${path} (${data.length} bytes, sha256 ${sha256})`);
  };

  const pairs = SAMPLES.map((s) => ({ ...s, ...buildSamplePair(s.version, SAMPLE_SIZE) }));
  for (const p of pairs) {
    await write(`${p.file}.slotA.bin`, p.a);
    await write(`${p.file}.slotB.bin`, p.b);
  }

  for (const p of pairs) {
    const stream = encodeBin2Page(p.a, p.b);
    for (const [slot, image] of [['A', p.a], ['B', p.b]] as const) {
      if (!decodesTo(decodeBin2PageStream(Buffer.from(stream), slot), image)) {
        throw new Error(`${p.file}.page2bin does not decode back to ${p.file}.slot${slot}.bin: not written`);
      }
    }
    await write(`${p.file}.page2bin`, Buffer.from(stream.buffer, stream.byteOffset, stream.length));
  }
  for (const s of STM32_SAMPLES) await write(s.file, buildStm32Image(s.version, STM32_SAMPLE_SIZE));
  for (const s of MCUBOOT_SAMPLES) await write(s.file, buildMcubootImage(s.version, MCUBOOT_SAMPLE_SIZE));
  // Hashed and signed like any other, but linked for the wrong address: it HardFaults at start, so
  // a test swap to it must be reverted by the bootloader.
  await write(MCUBOOT_CRASHING_SAMPLE, buildMcubootImage('2.0.1', MCUBOOT_SAMPLE_SIZE, { linkBase: 0x7_3200 }));
  const members = new Map<string, Buffer>();
  for (const s of PRODUCT_MEMBER_SAMPLES) {
    const image = buildProductMemberImage(s.member, s.version);
    members.set(s.file, image);
    await write(s.file, image);
  }
  for (const b of PRODUCT_BUNDLES) await write(b.file, buildProductBundle(members.get(b.host)!, members.get(b.radio)!));
  return made;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await makeSamples(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_FIRMWARE_DIR);
}
