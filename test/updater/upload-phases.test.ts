/**
 * Issue 9 item 5: the SFU upload is an explicit state machine (src/drivers/updater/sfu/phases.ts).
 * These tests hold its shape: the transitions, what every reply code does in every phase, every
 * transition on the timeline, and the phase an error names agreeing with that timeline. Uploads
 * run against the in-process RP2040-SFU twin on a virtual clock.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import type { TimelineEvent } from '../../src/core/timeline.js';
import { UploadContext } from '../../src/drivers/updater/sfu/context.js';
import { SFU_PHASES, SFU_PHASE_TRANSITIONS, SfuDeviceError, SfuLinkError, SfuUploader, type SfuChannel, type SfuPhase } from '../../src/drivers/updater/sfu/index.js';
import { replyRule } from '../../src/drivers/updater/sfu/phases.js';
import { phaseHandlers } from '../../src/drivers/updater/sfu/session.js';
import { SfuCode, encodeBin2Page, type SfuCodeName } from '../../src/protocols/sfu/index.js';
import { samples, twinRig, type TwinRig } from '../helpers/sfu-twin.js';

const SIZE = 0x8000;
const CODES = Object.keys(SfuCode) as SfuCodeName[];

let rig: TwinRig | undefined;
const disposers: (() => void)[] = [];
afterEach(() => {
  rig?.dispose();
  rig = undefined;
  disposers.splice(0).forEach((d) => d());
});

/** Handlers over a context that is never run: enough to read their reply tables. */
function handlers() {
  const clock = new VirtualClock();
  disposers.push(() => clock.dispose());
  const channel: SfuChannel = { write: () => Promise.resolve(), onFrame: () => () => {}, description: 'nothing' };
  const ctx = new UploadContext(clock, channel, undefined, Buffer.alloc(SIZE), { writeBlock: 2048, prewrite: true, infoTimeoutMs: 5000 });
  const h = phaseHandlers(ctx);
  ctx.bind(h);
  return { ctx, handlers: h };
}

/** The phases the timeline shows, in order. */
function phasesOn(events: readonly TimelineEvent[]): string[] {
  return events.filter((e) => e.source === 'updater' && e.kind.startsWith('phase:')).map((e) => e.kind.slice('phase:'.length));
}

describe('the SFU upload state machine', () => {
  it('goes info -> erase -> write -> start -> sign -> done and never back (ERASE and START go out once)', () => {
    expect(SFU_PHASES).toEqual(['info', 'erase', 'write', 'start', 'sign', 'done']);
    for (const [i, phase] of SFU_PHASES.entries()) {
      const next = SFU_PHASES[i + 1];
      expect(SFU_PHASE_TRANSITIONS[phase]).toEqual(next ? [next] : []);
    }
    expect(Object.keys(SFU_PHASE_TRANSITIONS).sort()).toEqual([...SFU_PHASES].sort());
  });

  it('refuses a transition the table does not have, and stays where it was', () => {
    const { ctx } = handlers();
    ctx.begin();
    expect(ctx.phase).toBe('info');
    for (const to of ['info', 'write', 'start', 'sign', 'done'] as SfuPhase[]) {
      expect(() => ctx.enter(to)).toThrow(`no transition from the info phase to ${to}`);
      expect(ctx.phase).toBe('info');
    }
  });

  it('rules on every reply code in every phase: a handler, or ignored with a reason', () => {
    const { handlers: h } = handlers();
    for (const phase of SFU_PHASES) {
      expect(h[phase].phase).toBe(phase);
      for (const code of CODES) {
        const rule = h[phase].replies[code];
        const where = `${code} in the ${phase} phase`;
        if (typeof rule === 'function') continue;
        expect({ where, ignored: typeof rule?.ignored === 'string' && rule.ignored.length > 10 }).toEqual({ where, ignored: true });
      }
      // A code outside the protocol (noise that happened to parse) is ignored everywhere.
      expect(replyRule(h[phase].replies, 0x00)).toMatchObject({ ignored: expect.stringMatching(/not an SFU code/) });
    }
  });

  it('handles exactly the replies each phase expects (WRERROR and TIMEOUT count from the ERASE on; nothing after done)', () => {
    const { handlers: h } = handlers();
    const handled = Object.fromEntries(SFU_PHASES.map((p) => [p, CODES.filter((c) => typeof h[p].replies[c] === 'function').sort()]));
    expect(handled).toEqual({
      info: ['HWRESET', 'INFO'],
      erase: ['ERASE', 'ERASE_PART', 'HWRESET', 'TIMEOUT', 'WRERROR'],
      write: ['HWRESET', 'TIMEOUT', 'WRERROR', 'WRITE'],
      start: ['HWRESET', 'START', 'TIMEOUT', 'WRERROR'],
      sign: ['HWRESET', 'WRERROR'],
      done: [],
    });
    // Verdict lines are read once START is out, never before.
    expect(SFU_PHASES.filter((p) => h[p].line !== undefined)).toEqual(['start', 'sign']);
  });

  it('puts every transition on the timeline, in order, once each', async () => {
    rig = await twinRig();
    const r = await rig.uploader.upload(samples('2.0.0', SIZE).b);
    expect(r.signed).toBe(true);
    expect(phasesOn(rig.timeline.events)).toEqual(['info', 'erase', 'write', 'start', 'sign', 'done']);
    const updater = rig.timeline.events.filter((e) => e.source === 'updater');
    // Each phase's own events come after its transition: ERASE after phase:erase, START after phase:start.
    const at = (kind: string) => updater.findIndex((e) => e.kind === kind);
    expect(at('phase:erase')).toBeLessThan(at('erase'));
    expect(at('erase-done')).toBeLessThan(at('phase:write'));
    expect(at('phase:start')).toBeLessThan(at('start'));
    expect(at('signed')).toBeLessThan(at('phase:done'));
    expect(updater.find((e) => e.kind === 'phase:write')?.data).toEqual({ from: 'erase', to: 'write' });
  });

  it('ignores, harmlessly, every reply a phase ignores: injected at each phase, the upload still ends signed with one ERASE and one START', async () => {
    rig = await twinRig();
    const con = rig.console;
    const listeners = new Set<(f: { code: number; body: Buffer }) => void>();
    const injected: string[] = [];
    const channel: SfuChannel = {
      write: (b) => con.write(b),
      onFrame: (l) => {
        listeners.add(l);
        const off = con.onFrame(l);
        return () => {
          listeners.delete(l);
          off();
        };
      },
      onLine: (l) => con.onLine(l),
      description: 'console with injected replies',
    };
    const { handlers: h } = handlers();
    const off = rig.timeline.subscribe((e) => {
      if (e.source !== 'updater' || !e.kind.startsWith('phase:')) return;
      const phase = e.kind.slice('phase:'.length) as SfuPhase;
      // Right after the transition, before anything else the device says in the new phase.
      queueMicrotask(() => {
        for (const code of CODES) {
          if (typeof h[phase].replies[code] === 'function') continue;
          injected.push(`${phase}:${code}`);
          for (const l of [...listeners]) l({ code: SfuCode[code], body: Buffer.alloc(12, 0x5a) });
        }
      });
    });
    disposers.push(off);
    const image = samples('2.0.0', SIZE).b;
    const r = await new SfuUploader({ channel, clock: rig.clock, timeline: rig.timeline }).upload(image);
    expect(r).toMatchObject({ ok: true, signed: true, bytes: SIZE });
    expect(rig.slots().b.subarray(0, SIZE).equals(image)).toBe(true);
    expect(rig.link.count(SfuCode.ERASE)).toBe(1);
    expect(rig.link.count(SfuCode.START)).toBe(1);
    // Every phase that ran had something to ignore, and all of it was injected.
    for (const phase of ['info', 'erase', 'write', 'start', 'sign'] as const) {
      expect(injected.filter((x) => x.startsWith(`${phase}:`)).length).toBe(CODES.filter((c) => typeof h[phase].replies[c] !== 'function').length);
    }
  });
});

describe('an error names the phase the timeline shows it in', () => {
  /** Uploads, expects a failure, and returns it with the last phase on the timeline. */
  async function failure(upload: (rig: TwinRig) => Promise<unknown>): Promise<{ error: SfuDeviceError | SfuLinkError; lastPhase: string | undefined }> {
    const error = await upload(rig!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error instanceof SfuDeviceError || error instanceof SfuLinkError).toBe(true);
    const events = rig!.timeline.events;
    expect(events.at(-1)).toMatchObject({ source: 'updater', kind: 'failed' });
    return { error: error as SfuDeviceError | SfuLinkError, lastPhase: phasesOn(events).at(-1) };
  }

  it('info: nothing answers', async () => {
    rig = await twinRig({ start: 'off' });
    const { error, lastPhase } = await failure((r) => r.uploader.upload(samples('2.0.0', SIZE).b, { infoTimeoutMs: 600 }));
    expect([error.phase, lastPhase]).toEqual(['info', 'info']);
  });

  it('erase: the ERASE is lost', async () => {
    rig = await twinRig({ plan: { host: ({ code }) => (code === SfuCode.ERASE ? 'drop' : 'pass') } });
    const { error, lastPhase } = await failure((r) => r.uploader.upload(samples('2.0.0', SIZE).b));
    expect([error.phase, lastPhase]).toEqual(['erase', 'erase']);
  });

  it('write: an image linked for the other slot (WRERROR)', async () => {
    rig = await twinRig();
    const { error, lastPhase } = await failure((r) => r.uploader.upload(samples('2.0.0', SIZE).a));
    expect([error.phase, lastPhase]).toEqual(['write', 'write']);
  });

  it('write: the device times out after the ERASE reply while a pre-written WRITE is stuck in the port (was named erase)', async () => {
    rig = await twinRig();
    const con = rig.console;
    let writes = 0;
    // INFO, ERASE, one pre-written WRITE go through; the next write never completes.
    const channel: SfuChannel = {
      write: (b) => (++writes > 3 ? new Promise<void>(() => {}) : con.write(b)),
      onFrame: (l) => con.onFrame(l),
      onLine: (l) => con.onLine(l),
      description: 'a port that stops taking bytes',
    };
    const uploader = new SfuUploader({ channel, clock: rig.clock, timeline: rig.timeline });
    const { error, lastPhase } = await failure(() => uploader.upload(samples('2.0.0', 0x20000).b));
    expect(error).toBeInstanceOf(SfuLinkError);
    expect(error.message).toMatch(/has been stalled for \d+ ms, and the device timed the session out meanwhile \(TIMEOUT\)/);
    // The ERASE reply had come (and the progress said write): the erase was over.
    expect(rig.timeline.events.some((e) => e.kind === 'erase-done')).toBe(true);
    expect([error.phase, lastPhase]).toEqual(['write', 'write']);
  });

  it('start: the device took a forged WRITE, so the START reply does not match', async () => {
    rig = await twinRig({ plan: { host: ({ code, codeIndex, bytes }) => (code === SfuCode.WRITE && bytes.length > 12 && codeIndex === 7 ? 'forge' : 'pass') } });
    const { error, lastPhase } = await failure((r) => r.uploader.upload(samples('2.0.0', SIZE).b));
    expect([error.phase, lastPhase]).toEqual(['start', 'start']);
  });

  it('sign: BIN2Page decoding errors after START', async () => {
    rig = await twinRig();
    const v2 = samples('2.0.0', SIZE);
    const stream = encodeBin2Page(v2.a, v2.b);
    stream[stream.length - 256]! &= 0x7f;
    const { error, lastPhase } = await failure((r) => r.uploader.upload(stream));
    expect([error.phase, lastPhase]).toEqual(['sign', 'sign']);
  });
});
