import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Longest file name stem kept (a sweep's name is built from a rig, images and a mode: it can run long). */
const MAX_STEM = 120;

/**
 * A file name for a map from any text: letters, digits, dot, dash and underscore kept, every other
 * run of characters (and every run of dashes) one dash, no leading dot or dash (no hidden file, no option-like name), no
 * path separators (so `../x` stays in the directory), `.svg` appended once.
 */
export function mapFileName(name: string): string {
  let stem = name
    .replace(/\.svg$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '');
  if (stem.length > MAX_STEM) stem = stem.slice(0, MAX_STEM).replace(/[.-]+$/, '');
  return `${stem || 'map'}.svg`;
}

/** Writes a map as `<dir>/<safe name>.svg` (creating dir) and returns its path. */
export function writeResilienceMap(dir: string, name: string, svg: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, mapFileName(name));
  writeFileSync(path, svg);
  return path;
}
