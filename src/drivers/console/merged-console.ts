import type { Clock } from '../../core/clock.js';
import type { Timeline } from '../../core/timeline.js';
import { Listeners, type ByteLink } from './byte-link.js';
import { Console } from './console.js';

/** One processor's console, by member name. */
export interface MemberConsole {
  name: string;
  console: Console;
}

/**
 * The console of a product (several processors): every member's lines, as `<member>| <text>`, in the
 * order they arrived, on one time axis; writes go to the first member (the host). What a suite
 * expects, a trigger watches and a transcript shows of a product is this; each member's own console
 * (unprefixed, what a protocol such as fota speaks) stays in `rig.mcus[name].console`.
 */
export class MergedConsole extends Console {
  private readonly offs: (() => void)[] = [];

  constructor(
    readonly members: readonly MemberConsole[],
    opts: { clock: Clock; timeline?: Timeline },
  ) {
    if (members.length === 0) throw new TypeError('MergedConsole: needs at least one member console');
    const host = members[0]!.console;
    const closed = new Listeners<Error | undefined>();
    const link: ByteLink = {
      description: members.map((m) => `${m.name}: ${m.console.link.description}`).join('; '),
      write: (bytes) => host.write(bytes),
      // Its lines come whole from the members (below), never as bytes.
      onData: () => () => {},
      onClose: (l) => closed.add(l),
      close: async () => {},
    };
    super({ link, clock: opts.clock, ...(opts.timeline && { timeline: opts.timeline }) });
    for (const m of members) {
      // A member's whole line becomes one merged line: two members talking at once never mix mid-line.
      this.offs.push(m.console.onLine((line) => this.pushLine(`${m.name}| ${line.text}`)));
      this.offs.push(m.console.onNote((n) => this.note(`${m.name}| ${n.text}`)));
      this.offs.push(m.console.link.onClose((why) => closed.emit(why)));
    }
  }

  /** A member by name. */
  member(name: string): Console | undefined {
    return this.members.find((m) => m.name === name)?.console;
  }

  override flushPartial(): void {
    for (const m of this.members) m.console.flushPartial();
    super.flushPartial();
  }

  override forgetLines(): void {
    for (const m of this.members) m.console.forgetLines();
    super.forgetLines();
  }

  override close(): void {
    for (const off of this.offs.splice(0)) off();
    super.close();
  }
}
