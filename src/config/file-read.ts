/**
 * Reading a file a user named (a rig, a suite, an image) without ever hanging or running out of
 * memory: only a regular file of bounded size is read. A FIFO blocks `open()` until a writer
 * appears and `/dev/zero` never ends, so the type is checked before opening (opening a tty can
 * reset a board through DTR), the file is opened non-blocking all the same (it may have been
 * swapped between the check and the open), the open descriptor is checked again, and reading
 * stops one byte past the limit (a file that grows while it is read).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** Why a file was not read, in words for an error message ("is a FIFO (named pipe)"). */
export class FileRefusal extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'FileRefusal';
  }
}

/** 1536 KiB, 256 KiB, 12 bytes. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe), which could block forever';
  if (s.isCharacterDevice()) return 'a character device, which could be endless';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The refusal for a file of this type and size, or undefined when it may be read. */
function refusal(file: string, s: Stats, maxBytes: number): FileRefusal | undefined {
  if (!s.isFile()) return new FileRefusal(file, `is ${kindOf(s)}: expected a regular file`);
  if (s.size > maxBytes) return new FileRefusal(file, `is ${formatSize(s.size)}, more than the ${formatSize(maxBytes)} allowed`);
  return undefined;
}

/** Node's "ELOOP: too many symbolic links encountered, open '/x'" -> "too many symbolic links encountered". */
function systemReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const text = e.message.replace(/^\w+: /, '').replace(/, \w+(?: '[^']*')*$/, '');
  return e.code === 'ENOENT' ? 'no such file' : text;
}

function tooBig(file: string, maxBytes: number): FileRefusal {
  return new FileRefusal(file, `grew past the ${formatSize(maxBytes)} allowed while it was read`);
}

/**
 * The bytes read so far, in a buffer sized from the stat'ed size (sysfs files say 4096 and hold
 * less; a file that grows makes it grow), never past maxBytes + 1.
 */
class Collected {
  private buffer: Buffer;
  private length = 0;

  constructor(
    private readonly file: string,
    size: number,
    private readonly maxBytes: number,
  ) {
    this.buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(size + 1, 4096)));
  }

  /** Where the next read goes: buffer, offset, length. */
  space(): [Buffer, number, number] {
    if (this.length === this.buffer.length) {
      if (this.length > this.maxBytes) throw tooBig(this.file, this.maxBytes);
      const bigger = Buffer.alloc(Math.min(this.maxBytes + 1, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    return [this.buffer, this.length, this.buffer.length - this.length];
  }

  /** Counts a read; false at the end of the file. */
  add(bytesRead: number): boolean {
    this.length += bytesRead;
    return bytesRead > 0;
  }

  bytes(): Buffer {
    if (this.length > this.maxBytes) throw tooBig(this.file, this.maxBytes);
    return this.buffer.subarray(0, this.length);
  }
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0);

/** The whole content of a regular file of at most `maxBytes`; a FileRefusal otherwise (never hangs). */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  let before: Stats;
  try {
    before = await stat(file);
  } catch (error) {
    throw new FileRefusal(file, systemReason(error));
  }
  const early = refusal(file, before, maxBytes);
  if (early) throw early;
  let handle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw new FileRefusal(file, systemReason(error));
  }
  try {
    const opened = await handle.stat();
    const late = refusal(file, opened, maxBytes);
    if (late) throw late;
    const got = new Collected(file, opened.size, maxBytes);
    while (got.add((await handle.read(...got.space(), null)).bytesRead));
    return got.bytes();
  } catch (error) {
    throw error instanceof FileRefusal ? error : new FileRefusal(file, systemReason(error));
  } finally {
    await handle.close();
  }
}

/** readRegularFile for synchronous callers (config checks that run before anything else). */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  let before: Stats;
  try {
    before = statSync(file);
  } catch (error) {
    throw new FileRefusal(file, systemReason(error));
  }
  const early = refusal(file, before, maxBytes);
  if (early) throw early;
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw new FileRefusal(file, systemReason(error));
  }
  try {
    const opened = fstatSync(fd);
    const late = refusal(file, opened, maxBytes);
    if (late) throw late;
    const got = new Collected(file, opened.size, maxBytes);
    while (got.add(readSync(fd, ...got.space(), null)));
    return got.bytes();
  } catch (error) {
    throw error instanceof FileRefusal ? error : new FileRefusal(file, systemReason(error));
  } finally {
    closeSync(fd);
  }
}

/**
 * What a path is, without reading it: a refusal when it is not a regular file of at most
 * `maxBytes` (or cannot be stat'ed), else its size. For checks that only need to know a file is sane.
 */
export function checkRegularFileSync(file: string, maxBytes: number): { size: number } {
  let s: Stats;
  try {
    s = statSync(file);
  } catch (error) {
    throw new FileRefusal(file, systemReason(error));
  }
  const refused = refusal(file, s, maxBytes);
  if (refused) throw refused;
  return { size: s.size };
}
