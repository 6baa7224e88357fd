/**
 * Repro records kept as files of their own (`reports/repro/<id>.json`), for results that have no
 * Allure result to carry them: `hil sweep`'s failing points. The id is the record's, so the file
 * name is all `hil repro <id>` needs to find it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, reproId, type ReproRecord } from './repro-record.js';

export const REPRO_STORE_DIR = 'reports/repro';

/** Writes the record as `<dir>/<id>.json` (same record, same file) and returns its id. */
export function storeRepro(record: ReproRecord, dir = REPRO_STORE_DIR): string {
  const id = reproId(record);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${id}.json`), canonicalJson(record) + '\n');
  return id;
}

/** Where a stored record of this id would be. */
export function storedReproFile(id: string, dir = REPRO_STORE_DIR): string {
  return join(dir, `${id}.json`);
}
