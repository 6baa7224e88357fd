import type { Timeline } from '../../core/timeline.js';
import type { TwinDevice } from '../../twin/device.js';
import type { Power } from '../capabilities.js';

/** The twin's power input: off stops everything mid-operation, on boots from the top. */
export class TwinPower implements Power {
  constructor(
    private readonly device: TwinDevice,
    private readonly timeline?: Timeline,
  ) {}

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
}
