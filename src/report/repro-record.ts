/**
 * What replays one result: the rig, both images by content, the cut (a trigger for a suite cut, an
 * op index and mode for a sweep point), the twin's settings, and what was expected and seen. It
 * travels with the Allure result as the `repro.json` attachment and the `repro id` parameter, so
 * `hil repro <result.json | id>` can replay a result from the report alone, and a short id printed
 * in a failure line finds it again.
 */
import { createHash } from 'node:crypto';
import { formatCompatibleText, type CompatibleSet } from '../config/version-pattern.js';
import { isAbsolute, relative } from 'node:path';
import * as allure from 'allure-js-commons';
import { formatTrigger, type Trigger } from '../config/trigger.js';

export interface ReproImage {
  file: string;
  sha256: string;
}

/** A sweep point as the engine takes it (SweepCutPoint, with MODES' optional second cut). */
export interface ReproSweepPoint {
  op: number;
  mode: string;
  fraction?: number;
  seed: number;
  /** A range point's time (ms after the update started), where it decides whether the host saw the update finish. */
  atMs?: number;
  second?: { op: number; mode: string; fraction?: number; seed: number };
}

export interface ReproRecord {
  /** Bumped when a field changes meaning; `hil repro` refuses versions it does not know. */
  version: 1;
  /** A suite's (or `hil cut`'s) timed cut, or one point of an op sweep. */
  kind: 'cut' | 'sweep-point';
  /** The rig's name as the report shows it, and its file (relative to the working directory when inside it). */
  rig: { name: string; file: string };
  /** Twin rigs: the settings that made the cut, whatever the rig file says today. */
  twin?: { variant: string; powerLoss: string; timeFactor: number };
  /** `via`: the images a multi-stage update sends before `to`, in order (a suite's `images.via`). */
  images: { from: ReproImage; to: ReproImage; previous?: ReproImage; via?: ReproImage[] };
  /** The suite the result came from: its folder is where `hil repro` looks for a moved image. */
  suite?: { name: string; file: string };
  setup: string;
  /** A cut: the trigger as `hil cut --trigger` takes it; a sweep point: the point. */
  trigger: string | ReproSweepPoint;
  offMs: number;
  /** A cut: the twin's power-loss seed; a sweep point: the sweep's seed (the recording's baseline). */
  seed: number;
  /** A second cut, this long after power returned (a suite's `second:`). */
  secondMs?: number;
  bootLoopCycles?: number;
  /** Retries of the update after the recovery (a suite's `retry:`); absent = none (records before it). */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`), as `hil cut --compatible` takes them. */
  compatible?: string;
  /** Outcomes the result expected: a suite's expect.safe, or its caughtWhen on a seeded-bug rig. */
  expected: string[];
  /** The outcome the result saw. */
  seen: string;
  /** False when console and flash disagreed (the cut then failed whatever its outcome). */
  agree?: boolean;
}

/** A path as a record keeps it: relative to the working directory when inside it, so ids do not depend on the clone's location. */
export function reproPath(file: string): string {
  const r = relative(process.cwd(), file);
  return r === '' || r.startsWith('..') || isAbsolute(r) ? file : r;
}

/** JSON with every object's keys sorted and undefined fields dropped: one text per record. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The record's short id: the first 8 hex digits of the sha256 of its canonical JSON. */
export function reproId(record: ReproRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex').slice(0, 8);
}

/** The attachment's name, which `hil repro` looks for in a result file. */
export const REPRO_ATTACHMENT = 'repro.json';
/** The Allure parameter holding the id. */
export const REPRO_ID_PARAMETER = 'repro id';

/**
 * Adds the record to the running Allure test (parameter `repro id`, attachment `repro.json`) and
 * returns its id. The parameter is excluded from Allure's history id: the seen outcome is part of
 * the record, and a test's history must not split when its outcome changes. Outside an Allure
 * runtime (plain Jest) it only computes the id.
 */
export async function attachRepro(record: ReproRecord): Promise<string> {
  const id = reproId(record);
  if (typeof (globalThis as { allureTestRuntime?: unknown }).allureTestRuntime === 'function') {
    await allure.parameter(REPRO_ID_PARAMETER, id, { excluded: true });
    await allure.attachment(REPRO_ATTACHMENT, JSON.stringify(record, null, 2), 'application/json');
  }
  return id;
}

/**
 * A result's images as its record keeps them: paths as reproPath gives them, with the images a
 * multi-stage update's `to` carries (scenario/update-image.ts puts them on it as `via`).
 */
export function reproImages(images: { from: ReproImage; to: ReproImage; previous?: ReproImage }): ReproRecord['images'] {
  const image = (i: ReproImage): ReproImage => ({ file: reproPath(i.file), sha256: i.sha256 });
  const via = (images.to as ReproImage & { via?: readonly ReproImage[] }).via;
  return { from: image(images.from), to: image(images.to), ...(images.previous && { previous: image(images.previous) }), ...(via?.length && { via: via.map(image) }) };
}

/** What a suite's cut test has at hand, turned into its record (src/testing/suite.ts). */
export function cutReproRecord(c: {
  config: { name: string; file: string; twin?: { variant: string; powerLoss: string; timeFactor: number } };
  images: { from: ReproImage; to: ReproImage; previous?: ReproImage };
  suite?: { name: string; file: string };
  spec: { trigger: Trigger; offMs: number; seed: number; setup?: string; second?: number; bootLoopCycles?: number; retry?: number; compatible?: readonly CompatibleSet[] };
  expected: readonly string[];
  result: { outcome: string; verdict?: { agree: boolean } };
}): ReproRecord {
  const { twin } = c.config;
  const { images, spec } = c;
  return {
    version: 1,
    kind: 'cut',
    rig: { name: c.config.name, file: reproPath(c.config.file) },
    ...(twin && { twin: { variant: twin.variant, powerLoss: twin.powerLoss, timeFactor: twin.timeFactor } }),
    images: reproImages(images),
    ...(c.suite && { suite: { name: c.suite.name, file: reproPath(c.suite.file) } }),
    setup: spec.setup ?? 'default',
    trigger: formatTrigger(spec.trigger),
    offMs: spec.offMs,
    seed: spec.seed,
    ...(spec.second !== undefined && { secondMs: spec.second }),
    ...(spec.bootLoopCycles ? { bootLoopCycles: spec.bootLoopCycles } : {}),
    ...(spec.retry ? { retry: spec.retry } : {}),
    ...(spec.compatible?.length && { compatible: formatCompatibleText(spec.compatible) }),
    expected: [...c.expected],
    seen: c.result.outcome,
    ...(c.result.verdict && { agree: c.result.verdict.agree }),
  };
}
