/**
 * The SCPI driver against the fake SCPI supply over a real pty: identify (with *CLS and channel
 * selection), error-queue checks after sets, on/off, a sag without per-step checks, failures.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { RigError } from '../../src/core/errors.js';
import { bench, cleanup, lastSent } from './helpers.js';

afterEach(cleanup);

describe('SCPI supply over a pty', () => {
  it('identifies, clears stale errors, selects the channel, and checks the queue after each set', async () => {
    const b = await bench('scpi');
    b.fake.errors.push('-100,"Command error"'); // left over from before we came
    const power = await b.open({ channel: 2 });
    expect(power.idn).toBe('HILRIG,FAKE-SCPI-PSU,0,1.0');
    expect(power.state).toBe('off');
    expect(b.fake.channel).toBe(2);
    expect(b.fake.commands).toEqual(['*IDN?', '*CLS', 'INST:NSEL 2', 'SYST:ERR?', 'CURR 0.500', 'SYST:ERR?', 'VOLT 3.300', 'SYST:ERR?', 'OUTP?']);
  });

  it('on is VOLT then OUTP ON, off is OUTP OFF, both read back; cycle clamps to minOffMs', async () => {
    const b = await bench('scpi');
    const power = await b.open({ minOffMs: 200 });
    const from = b.fake.log.length;
    await power.on();
    expect(b.fake.output).toBe(true);
    expect(await power.measureVolts()).toBe(3.3);
    await power.off();
    expect(b.fake.output).toBe(false);
    expect(b.fake.commands.slice(from)).toEqual(['VOLT 3.300', 'SYST:ERR?', 'OUTP ON', 'SYST:ERR?', 'OUTP?', 'MEAS:VOLT?', 'OUTP OFF', 'SYST:ERR?', 'OUTP?']);
    await power.cycle(0);
    // When the driver wrote them (its clock), not when the fake got round to them.
    const off = lastSent(b, 'OUTP OFF');
    const on = lastSent(b, 'OUTP ON');
    expect(on - off).toBeGreaterThanOrEqual(200);
    expect(power.state).toBe('on');
    expect(b.timeline.events.find((e) => e.kind === 'cycle-clamped')?.data).toEqual({ requestedMs: 0, offMs: 200 });
  });

  it('a non-empty error queue after a set is a RigError with the error text', async () => {
    const b = await bench('scpi');
    const power = await b.open();
    await expect(power.protocol.setVolts(99)).rejects.toThrow(`supply on ${b.port} reported after VOLT 99.000: -222,"Data out of range"`);
    const err = await (await bench('scpi', { maxVolts: 3 })).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/reported after VOLT 3.300: -222,"Data out of range"/);
  });

  it('sag steps go without per-step error checks, in order, and one check at the end', async () => {
    const b = await bench('scpi');
    const power = await b.open();
    await power.on();
    const from = b.fake.log.length;
    const r = await power.sag({ volts: 1.8, holdMs: 50, steps: 2 });
    expect(b.fake.commands.slice(from)).toEqual(['VOLT 2.550', 'VOLT 1.800', 'VOLT 2.550', 'VOLT 3.300', 'SYST:ERR?']);
    expect(b.fake.volts).toBe(3.3);
    expect(r.holdMs).toBeGreaterThanOrEqual(50);
    const events = b.timeline.events.filter((e) => e.kind === 'sag-step').map((e) => e.data);
    expect(events.map((d) => [d?.phase, d?.volts])).toEqual([
      ['down', 2.55],
      ['down', 1.8],
      ['up', 2.55],
      ['up', 3.3],
    ]);
  });

  it('an error raised during a sag fails it after the fact and restores the nominal', async () => {
    const b = await bench('scpi', { maxVolts: 3.4 });
    const power = await b.open({ volts: 3.3 });
    await power.on();
    b.fake.errors.push('-300,"Device-specific error"');
    await expect(power.sag({ volts: 3.0, holdMs: 0 })).rejects.toThrow(/-300,"Device-specific error"/);
    expect(b.fake.volts).toBe(3.3);
    expect(b.fake.commands.slice(-2)).toEqual(['VOLT 3.300', 'SYST:ERR?']);
  });

  it('a silent supply is a RigError naming the port', async () => {
    const b = await bench('scpi');
    b.fake.mode = 'silent';
    await expect(b.open({ replyTimeoutMs: 150 })).rejects.toThrow(`supply on ${b.port} did not answer *IDN? (wrong port, baud, or protocol korad vs scpi?)`);
  });

  it('a Korad driver on a SCPI supply (and vice versa) gets the same hint', async () => {
    const b = await bench('scpi');
    await expect(b.open({ protocol: 'korad', replyTimeoutMs: 150 } as never)).rejects.toThrow(/did not answer \*IDN\?/);
  });

  it('garbage in reply to MEAS:VOLT? is a RigError quoting the bytes', async () => {
    const b = await bench('scpi');
    const power = await b.open();
    b.fake.mode = 'garbage';
    await expect(power.measureVolts()).rejects.toThrow(`supply on ${b.port} answered MEAS:VOLT? with "\\xff\\xfe?!" (4 bytes), not a number`);
  });

  it('hostile values are rejected before anything is sent', async () => {
    const b = await bench('scpi');
    await expect(b.open({ volts: Number.NaN })).rejects.toThrow(/supply: volts must be a number >= 0, got NaN/);
    await expect(b.open({ amps: -1 })).rejects.toThrow(/supply: amps/);
    await expect(b.open({ channel: 1.5 })).rejects.toThrow(/scpi: channel/);
    await expect(b.open({ protocol: 'visa' } as never)).rejects.toThrow(/protocol must be "korad" or "scpi"/);
    await expect(b.open({ baud: 0 })).rejects.toThrow(/baud/);
    expect(b.fake.log).toEqual([]);
    const power = await b.open();
    const sent = b.fake.log.length;
    await expect(power.protocol.setVolts(-3)).rejects.toThrow(/scpi: volts must be a number >= 0, got -3/);
    await expect(power.protocol.setVolts(Infinity)).rejects.toThrow(/scpi: volts/);
    // The link is ordered: a query answered now proves nothing was sent before it.
    await power.measureVolts();
    expect(b.fake.commands.slice(sent)).toEqual(['MEAS:VOLT?']);
  });
});
