/**
 * A result's inputs id: what tells "flaky" (the same cut gave another outcome) from "changed" (the
 * cut itself changed: other images, rig settings, trigger, seed). The repro id cannot: its record
 * holds the outcome seen (`seen`, `agree`), so an outcome that changes always changes it. The
 * inputs id is the same hash over the record without those two fields.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type ReproRecord } from '../report/repro-record.js';

export function inputsId(record: ReproRecord): string {
  const { seen, agree, ...inputs } = record;
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 8);
}
