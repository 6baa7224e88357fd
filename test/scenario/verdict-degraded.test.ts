// The verdict's `degraded`: a device that answers (waiting, or running an image) only through its
// bootloader's last resort, said by the console (the bootloader's own line) and by the flash view
// (the scheme's reading of the boot chain). Pure: observations and views written by hand.
import { describe, expect, it } from '@jest/globals';
import { judge, judgeConsoleOnly } from '../../src/scenario/verdict.js';
import type { BootObservation } from '../../src/scenario/observe-boot.js';
import type { FlashView } from '../../src/schemes/scheme.js';
import type { SlotReport } from '../../src/images/slot-report.js';
import type { UpdateImage } from '../../src/scenario/update-image.js';

const from = { name: 'app-v1.bin', version: '1.0.0' } as UpdateImage;
const to = { name: 'app-v2.bin', version: '2.0.0' } as UpdateImage;
const LINE = 'boot: no valid Loader in slot 1, starting slot 2';
const WHY = 'slot 1 holds no committed Loader: the bootloader starts slot 2 itself';

const waitingObs = (fallback?: string): BootObservation => ({ boots: 1, crashes: 0, bootloaderWaiting: false, bootloaderHung: false, heard: true, state: 'waiting', ...(fallback && { fallback }) });
const waitingView = (fallback?: string): FlashView => ({ slots: [], bootsNext: null, jumps: false, stuckAs: 'waiting', noBootAs: 'waiting', table: '', ...(fallback && { fallback }) });
const slot2: SlotReport = { slot: 'slot2', base: 0x08020000, present: true, valid: true, version: '2.0.0', sha256: '', matches: 'app-v2.bin', problems: [], scheme: {} };
const runningObs = (fallback?: string): BootObservation => ({
  ...waitingObs(fallback),
  state: 'running',
  banner: { version: '2.0.0', slot: 'slot2', base: 0x08020000, line: 'hilrig-app 2.0.0 running from slot slot2 @0x08020000' },
});
const runningView = (fallback?: string): FlashView => ({ ...waitingView(fallback), slots: [slot2], bootsNext: 'slot2', jumps: true });

describe('degraded', () => {
  it('a device waiting through the fallback, both sources saying so: degraded, with both reasons', () => {
    const v = judge(waitingObs(LINE), waitingView(WHY), from, to);
    expect(v).toMatchObject({ outcome: 'degraded', fromConsole: 'degraded', fromFlash: 'degraded', agree: true });
    expect(v.reasons).toEqual([`the bootloader fell back: "${LINE}"`, `the flash says the bootloader falls back: ${WHY}`]);
  });

  it('a device running the new image through the fallback is degraded too, and still checked bit for bit', () => {
    const v = judge(runningObs(LINE), runningView(WHY), from, to);
    expect(v).toMatchObject({ outcome: 'degraded', agree: true });
    const { matches: _dropped, ...noMatch } = slot2;
    const wrong = judge(runningObs(LINE), { ...runningView(WHY), slots: [noMatch] }, from, to);
    expect(wrong.outcome).toBe('wrong-image');
  });

  it('without a fallback the same device is waiting (or updated): nothing said about it', () => {
    expect(judge(waitingObs(), waitingView(), from, to)).toMatchObject({ outcome: 'waiting', reasons: [] });
    expect(judge(runningObs(), runningView(), from, to).outcome).toBe('updated');
  });

  it('the sources disagree when only one sees the fallback, and say so', () => {
    const v = judge(waitingObs(), waitingView(WHY), from, to);
    expect(v).toMatchObject({ fromConsole: 'waiting', fromFlash: 'degraded', agree: false });
    expect(v.reasons).toContain('console says waiting, flash says degraded');
  });

  it('a fallback into a faulting image stays a boot-loop (degraded is for a device that answers)', () => {
    const obs: BootObservation = { ...waitingObs(LINE), crashes: 3, state: 'boot-loop' };
    const view: FlashView = { ...waitingView(WHY), bootsNext: 'slot2', jumps: false, stuckAs: 'boot-loop' };
    expect(judge(obs, view, from, to).outcome).toBe('boot-loop');
  });

  it('console only: the bootloader line alone makes it degraded', () => {
    const v = judgeConsoleOnly(waitingObs(LINE), from, to, { committed: false });
    expect(v.outcome).toBe('degraded');
    expect(v.reasons).toContain(`the bootloader fell back: "${LINE}"`);
  });
});
