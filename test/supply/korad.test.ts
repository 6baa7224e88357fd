/**
 * The Korad driver against the fake KA3005P over a real pty (socat + serialport): identify,
 * on/off/cycle with the output read back, pacing, sag staircase, and the failure messages.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { RigError } from '../../src/core/errors.js';
import { waitFor } from '../helpers/wait-for.js';
import { bench, cleanup, gaps, lastSent } from './helpers.js';

afterEach(cleanup);

describe('Korad KA3005P over a pty', () => {
  it('identifies, sets the current limit and nominal, and reads the output state', async () => {
    const b = await bench('korad');
    const power = await b.open();
    expect(power.idn).toBe('KORAD KA3005P V5.5 SN:00000042');
    expect(power.state).toBe('off');
    expect(b.fake.commands).toEqual(['*IDN?', 'ISET1:0.500', 'VSET1:3.30', 'STATUS?']);
    expect(b.fake.log.some((l) => l.unknown)).toBe(false);
    expect({ volts: b.fake.volts, amps: b.fake.amps }).toEqual({ volts: 3.3, amps: 0.5 });
  });

  it("keeps ~50 ms between commands (on the driver's clock), so none merge on the supply", async () => {
    const b = await bench('korad');
    const power = await b.open();
    await power.on();
    await power.off();
    expect(b.fake.log.some((l) => l.unknown)).toBe(false);
    expect(b.turns.map((t) => t.cmd)).toEqual(b.fake.commands);
    expect(Math.min(...gaps(b))).toBeGreaterThanOrEqual(40);
  });

  it('on sets the nominal then OUT1, off is OUT0, both confirmed by STATUS?', async () => {
    const b = await bench('korad');
    const power = await b.open();
    b.fake.volts = 1.2; // as if an earlier sag had been interrupted
    await power.on();
    expect(power.state).toBe('on');
    expect(b.fake.output).toBe(true);
    expect(b.fake.volts).toBe(3.3);
    expect(await power.measureVolts()).toBe(3.3);
    await power.off();
    expect(power.state).toBe('off');
    expect(b.fake.output).toBe(false);
    expect(b.fake.commands.slice(4)).toEqual(['VSET1:3.30', 'OUT1', 'STATUS?', 'VOUT1?', 'OUT0', 'STATUS?']);
    expect(b.timeline.events.map((e) => `${e.source} ${e.kind}`)).toEqual(['power on', 'power off']);
  });

  it('an output that does not follow OUT1 is a RigError and state unknown', async () => {
    const b = await bench('korad');
    const power = await b.open();
    b.fake.stuckOutput = true;
    await expect(power.on()).rejects.toThrow(/output still off after switching it on/);
    expect(power.state).toBe('unknown');
  });

  it('cycle keeps the output off for offMs, and clamps up to minOffMs', async () => {
    const b = await bench('korad');
    const power = await b.open({ minOffMs: 300 });
    await power.on();
    // When the driver wrote them (its clock): the fake's receive times shift with its own delays.
    const offAt = () => lastSent(b, 'OUT0');
    const onAt = () => lastSent(b, 'OUT1');

    await power.cycle(400);
    expect(onAt() - offAt()).toBeGreaterThanOrEqual(400);
    expect(b.timeline.events.some((e) => e.kind === 'cycle-clamped')).toBe(false);

    await power.cycle(10);
    // At least the clamp (a physical lower bound); how much longer depends on the machine's load, so
    // that the clamp and not the request or the previous 400 ms was used is read from the event.
    expect(onAt() - offAt()).toBeGreaterThanOrEqual(300);
    const clamp = b.timeline.events.find((e) => e.kind === 'cycle-clamped');
    expect(clamp?.data).toEqual({ requestedMs: 10, offMs: 300 });
    expect(power.state).toBe('on');
    await expect(power.cycle(-1)).rejects.toThrow(RigError);
  });

  it('sag steps reach the supply in order and end back at the nominal', async () => {
    const b = await bench('korad');
    const power = await b.open();
    await power.on();
    const before = b.fake.setpoints.length;
    const r = await power.sag({ volts: 2.4, holdMs: 120, steps: 3, rampMs: 60 });
    expect(b.fake.setpoints.slice(before)).toEqual([3.0, 2.7, 2.4, 2.7, 3.0, 3.3]);
    expect(b.fake.commands.at(-1)).toBe('VSET1?'); // the read-back that confirms the last step landed
    expect(b.fake.volts).toBe(3.3);
    expect(b.fake.output).toBe(true);
    expect(b.fake.log.some((l) => l.unknown)).toBe(false);
    expect(r.steps.map((s) => `${s.phase} ${s.volts}`)).toEqual(['down 3', 'down 2.7', 'down 2.4', 'up 2.7', 'up 3', 'up 3.3']);
    expect(r.holdMs).toBeGreaterThanOrEqual(120);
    // The honest part: a 60 ms ramp in 3 steps asks for 20 ms steps; the Korad pacing makes them >= 50 ms.
    expect(r.maxStepGapMs).toBeGreaterThanOrEqual(45);
    expect(r.maxLateMs).toBeGreaterThan(0);
    const kinds = b.timeline.events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'sag-step')).toHaveLength(6);
    expect(kinds.slice(-8)).toEqual(['sag-start', ...Array(6).fill('sag-step'), 'sag-end']);
  });

  it('a dropped step is caught by the set point read-back, and the nominal is restored', async () => {
    const b = await bench('korad');
    const power = await b.open();
    await power.on();
    b.fake.dropVsetIn = 2; // the way back up
    await expect(power.sag({ volts: 2.4, holdMs: 20 })).rejects.toThrow(`supply on ${b.port}: set point reads back 2.4 V, last sent 3.3 V (a command was dropped?)`);
    // The restoring VSET has left the driver; the fake takes it when the line goes quiet.
    await waitFor('the fake back at 3.3 V', () => b.fake.volts === 3.3);
    expect(b.timeline.events.at(-1)?.kind).toBe('sag-failed');
  });

  it('a silent supply is a RigError naming the port and the likely mistakes', async () => {
    const b = await bench('korad');
    b.fake.mode = 'silent';
    const err = await b.open({ replyTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toBe(`supply on ${b.port} did not answer *IDN? (wrong port, baud, or protocol korad vs scpi?)`);
  });

  it('garbage in reply to a numeric query is a RigError quoting the bytes', async () => {
    const b = await bench('korad');
    const power = await b.open();
    await power.on();
    b.fake.mode = 'garbage';
    await expect(power.measureVolts()).rejects.toThrow(`supply on ${b.port} answered VOUT1? with "\\xff\\xfe?!" (4 bytes), not a number`);
    await expect(power.off()).rejects.toThrow(/STATUS\? with "\\xff\\xfe\?!" \(4 bytes\), not one status byte/);
    expect(power.state).toBe('unknown');
  });

  it('hostile values are rejected before anything is sent', async () => {
    const b = await bench('korad');
    for (const bad of [{ volts: Number.NaN }, { volts: -1 }, { amps: -0.1 }, { volts: 40, maxVolts: 5.5 }, { channel: 0 }, { minOffMs: Infinity }]) {
      const err = await b.open(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RigError);
      expect((err as Error).message).toMatch(new RegExp(Object.keys(bad).at(-1) === 'maxVolts' ? 'maxVolts' : Object.keys(bad)[0]!));
    }
    expect(b.fake.log).toEqual([]);

    const power = await b.open();
    await power.on();
    const sent = b.fake.log.length;
    const bads: [object, RegExp][] = [
      [{ volts: Number.NaN, holdMs: 10 }, /sag: volts must be a number >= 0, got NaN/],
      [{ volts: -0.5, holdMs: 10 }, /sag: volts must be a number >= 0/],
      [{ volts: 3.3, holdMs: 10 }, /sag: volts must be below the nominal 3.3 V/],
      [{ volts: 2, holdMs: -1 }, /sag: holdMs must be a number >= 0/],
      [{ volts: 2, holdMs: 10, rampMs: Number.NaN }, /sag: rampMs must be a number >= 0/],
      [{ volts: 2, holdMs: 10, steps: 0 }, /sag: steps must be an integer/],
      [{ volts: 2, holdMs: 10, steps: 2.5 }, /sag: steps must be an integer/],
    ];
    for (const [profile, msg] of bads) await expect(power.sag(profile as never)).rejects.toThrow(msg);
    await expect(power.protocol.setVolts(Number.NaN)).rejects.toThrow(/korad: volts must be a number >= 0, got NaN/);
    await expect(power.protocol.setAmps(-1)).rejects.toThrow(/korad: amps/);
    // The link is ordered: a query answered now proves nothing was sent before it.
    await power.measureVolts();
    expect(b.fake.commands.slice(sent)).toEqual(['VOUT1?']);
  });

  it('sag needs the output on', async () => {
    const b = await bench('korad');
    const power = await b.open();
    await expect(power.sag({ volts: 2, holdMs: 10 })).rejects.toThrow(/sag needs the output on \(state is off\)/);
  });
});
