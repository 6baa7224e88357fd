/**
 * The images of a repro record, found by content: a record names each image by file and sha256,
 * and the file may since have been rebuilt (same name, other bytes) or moved. The recorded file
 * is used while its sha256 still matches; otherwise a file with that sha256 is looked for in the
 * places images live (firmware/, the suite's folder, --images DIR). No match is exit 2 naming the
 * sha256 and the file it used to be: replaying other bytes would not be a repro.
 */
import { createHash } from 'node:crypto';
import { readdirSync, type Dirent } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { displayFile } from '../../config/errors.js';
import { FileRefusal, readRegularFileSync } from '../../config/file-read.js';
import { MAX_IMAGE_BYTES } from '../../config/limits.js';
import type { ReproImage, ReproRecord } from '../../report/repro-record.js';

/** How deep below a search folder images are looked for (firmware/ keeps its builds one or two levels down). */
const MAX_DEPTH = 3;
/** A search folder is not a disk: stop after this many files. */
const MAX_FILES = 5000;

export interface ResolvedImage {
  file: string;
  /** The recorded file had other bytes or was gone: this one has the recorded sha256. */
  moved?: { was: string; why: string };
}

export interface ResolvedImages {
  from: ResolvedImage;
  to: ResolvedImage;
  previous?: ResolvedImage;
  /** A multi-stage update's images before `to`, in order. */
  via?: ResolvedImage[];
}

const LABEL = { from: 'image A (from)', to: 'image B (to)', previous: 'the previous image', via: 'an image sent before B (via)' } as const;

/** The sha256 of a file's bytes, or why it could not be read. */
function hashFile(file: string): { sha256: string } | { why: string } {
  try {
    return { sha256: createHash('sha256').update(readRegularFileSync(file, MAX_IMAGE_BYTES)).digest('hex') };
  } catch (err) {
    if (err instanceof FileRefusal) return { why: err.reason };
    throw err;
  }
}

/** Files under a folder (regular files and links to them, dot folders and node_modules skipped), breadth first. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  let level = [dir];
  for (let depth = 0; depth <= MAX_DEPTH && level.length && found.length < MAX_FILES; depth++) {
    const next: string[] = [];
    for (const d of level) {
      let entries: Dirent[];
      try {
        entries = readdirSync(d, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (!e.name.startsWith('.') && e.name !== 'node_modules') next.push(p);
        } else if (e.isFile() || e.isSymbolicLink()) found.push(p);
      }
    }
    level = next;
  }
  return found.slice(0, MAX_FILES);
}

/**
 * Where a recorded relative path may be: from the working directory, or from the project the
 * results came from (a results folder is <project>/reports/allure-results).
 */
export function baseDirs(resultFile: string | undefined): string[] {
  const bases = [process.cwd()];
  if (resultFile) bases.push(resolve(dirname(resultFile), '..', '..'));
  return [...new Set(bases)];
}

export function resolveReproImages(record: ReproRecord, opts: { resultFile?: string; imageDirs?: readonly string[] }): ResolvedImages {
  const bases = baseDirs(opts.resultFile);
  const searchDirs = [...(opts.imageDirs ?? []).map((d) => resolve(d)), ...bases.map((b) => join(b, 'firmware')), ...(record.suite ? bases.map((b) => dirname(resolve(b, record.suite!.file))) : [])];
  const hashes = new Map<string, ReturnType<typeof hashFile>>();
  const hashOf = (file: string) => {
    let h = hashes.get(file);
    if (!h) hashes.set(file, (h = hashFile(file)));
    return h;
  };
  const find = (key: keyof typeof LABEL, image: ReproImage): ResolvedImage => {
    let why = 'no such file';
    for (const base of bases) {
      const file = resolve(base, image.file);
      const h = hashOf(file);
      if ('sha256' in h && h.sha256 === image.sha256) return { file };
      if ('sha256' in h) why = `now holds other bytes (sha256 ${h.sha256.slice(0, 12)}…)`;
      else if (h.why !== 'no such file') why = h.why;
    }
    for (const dir of [...new Set(searchDirs)]) {
      for (const file of filesUnder(dir)) {
        const h = hashOf(file);
        if ('sha256' in h && h.sha256 === image.sha256) return { file, moved: { was: image.file, why } };
      }
    }
    const looked = [...new Set(searchDirs)].map((d) => displayFile(d)).join(', ');
    throw new ConfigError(
      `${LABEL[key]} sha256 ${image.sha256}: no file has these bytes. The result used ${image.file}, which ${why === 'no such file' ? 'is gone' : why}; looked in ${looked}. Put the image back or name its folder with --images DIR`,
    );
  };
  const { from, to, previous, via } = record.images;
  return { from: find('from', from), to: find('to', to), ...(previous && { previous: find('previous', previous) }), ...(via?.length && { via: via.map((i) => find('via', i)) }) };
}
