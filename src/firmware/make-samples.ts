/**
 * Writes the twin's sample images to firmware/ (run: `npx tsx src/firmware/make-samples.ts`,
 * optionally with an output directory as the only argument):
 *
 * - app-v1.slotA.bin, app-v1.slotB.bin: version 1.0.0 linked for SFU slot A / slot B;
 * - app-v2.slotA.bin, app-v2.slotB.bin: version 2.0.0, likewise;
 * - app-v1.page2bin, app-v2.page2bin: the BIN2Page streams of each pair, when the encoder
 *   (src/protocols/sfu/bin2page.ts, `encodeBin2Page(a, b)`) is available.
 *
 * Every file is a pure function of the code in src/firmware/sample-app.ts: running this
 * again gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSamplePair } from './sample-app.js';

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

export const DEFAULT_FIRMWARE_DIR = fileURLToPath(new URL('../../firmware/', import.meta.url));

interface Bin2PageCodec {
  encode: (a: Buffer, b: Buffer) => Buffer;
  /** `decodeBin2PageStream(stream, slot)` when the module has it: used to check each stream. */
  decode?: (stream: Buffer, slot: 'A' | 'B') => Buffer;
}

/**
 * TODO(bin2page): hook for the BIN2Page encoder, written separately in
 * src/protocols/sfu/bin2page.ts. While that module (or its `encodeBin2Page(a, b)` export) is
 * missing, no .page2bin file is written and a note says so. The specifier is kept in a variable
 * so this file type-checks with or without the module; once the encoder is settled, a static
 * import can replace this.
 */
async function loadBin2PageCodec(): Promise<Bin2PageCodec | string> {
  const specifier = '../protocols/sfu/bin2page.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    // Only "the encoder module itself is missing" is expected; a missing import inside it, or
    // an exception while loading it, is a real bug there and must not be hidden.
    const message = err instanceof Error ? err.message : String(err);
    const missing = /Cannot find module '([^']*)'/.exec(message)?.[1];
    if (missing !== undefined && /sfu\/bin2page(\.[jt]s)?$/.test(missing)) {
      return 'src/protocols/sfu/bin2page.ts does not exist yet';
    }
    throw err;
  }
  if (typeof mod.encodeBin2Page !== 'function') {
    return 'src/protocols/sfu/bin2page.ts has no encodeBin2Page(a, b) export';
  }
  return {
    encode: mod.encodeBin2Page as Bin2PageCodec['encode'],
    ...(typeof mod.decodeBin2PageStream === 'function' && { decode: mod.decodeBin2PageStream as Bin2PageCodec['decode'] }),
  };
}

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

  const codec = await loadBin2PageCodec();
  if (typeof codec === 'string') {
    log(`note: ${codec}; the .page2bin streams were not written (rerun \`npm run firmware\` once the encoder is there)`);
    return made;
  }
  for (const p of pairs) {
    const stream = codec.encode(p.a, p.b);
    if (!(stream instanceof Uint8Array)) throw new TypeError('encodeBin2Page(a, b) did not return a Buffer');
    if (codec.decode) {
      for (const [slot, image] of [['A', p.a], ['B', p.b]] as const) {
        if (!decodesTo(codec.decode(Buffer.from(stream), slot), image)) {
          throw new Error(`${p.file}.page2bin does not decode back to ${p.file}.slot${slot}.bin: not written`);
        }
      }
    }
    await write(`${p.file}.page2bin`, Buffer.from(stream.buffer, stream.byteOffset, stream.length));
  }
  return made;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await makeSamples(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_FIRMWARE_DIR);
}
