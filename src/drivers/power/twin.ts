import type { Timeline } from '../../core/timeline.js';
import type { TwinDevice } from '../../twin/device.js';
import type { Power } from '../capabilities.js';

/**
 * The twin's power input: off stops everything mid-operation, on boots from the top. With a
 * `sag` (the rig's power.sag) a scheduled cut sags the supply to `volts` instead of switching it
 * off, as a programmable supply's sag does on a bench: below the MCU's power-on reset that is a
 * cut all the same, above it a brownout that trips only the brown-out reset and leaves SRAM
 * powered, above the BOR level nothing at all.
 */
export class TwinPower implements Power {
  readonly cut?: (offMs: number) => Promise<void>;

  constructor(
    private readonly device: TwinDevice,
    private readonly timeline?: Timeline,
    sag?: { volts: number },
  ) {
    if (sag) this.cut = (offMs) => this.sag(sag.volts, offMs);
  }

  get state(): 'on' | 'off' {
    return this.device.powered ? 'on' : 'off';
  }

  async on(): Promise<void> {
    this.timeline?.add('power', 'on');
    this.device.powerOn();
  }

  async off(): Promise<void> {
    this.timeline?.add('power', 'off');
    this.device.powerOff();
  }

  async cycle(offMs: number): Promise<void> {
    await this.off();
    await this.device.clock.sleep(offMs);
    await this.on();
  }

  private async sag(volts: number, holdMs: number): Promise<void> {
    const drop = this.device.dropAt(volts);
    this.timeline?.add('power', 'sag', `${volts} V for ${holdMs} ms: ${drop === 'none' ? 'above the BOR level, no reset' : drop === 'brownout' ? 'brown-out reset, SRAM kept' : 'power-on reset'}`);
    if (drop !== 'none') this.device.powerOff(drop);
    await this.device.clock.sleep(holdMs);
    if (drop !== 'none') {
      this.timeline?.add('power', 'on');
      this.device.powerOn();
    }
  }
}
