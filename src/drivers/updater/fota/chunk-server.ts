import { Listeners } from '../../console/byte-link.js';
import type { Console, ConsoleLine } from '../../console/console.js';
import type { Timeline } from '../../../core/timeline.js';
import { dataLine, MAX_CHUNK, parseDeviceLine, type DeviceLine } from './protocol.js';
import type { FotaPackage } from './package.js';

export interface Served {
  pkg: string;
  member: string;
  offset: number;
  length: number;
}

/** Answers kept (a 4 MiB package in 500-byte chunks is about 8,400). */
const MAX_ANSWERS = 16_384;

/**
 * The rig's side of the download: answers every `fota get` for a package it was given, for as long
 * as the rig lives. It keeps no download state, so a host MCU that resumes after a cut (in a
 * recovery, in a later step of a sweep) gets its chunks from wherever its own record says. A request
 * it cannot answer (a package it never had, a member or an offset outside it, a line it cannot read)
 * becomes a note in the console transcript, never an exception: the device's reaction to the missing
 * chunk is what the test observes.
 */
export class FotaChunkServer {
  private readonly packages = new Map<string, FotaPackage>();
  private readonly served = new Listeners<Served>();
  private readonly lines = new Listeners<DeviceLine>();
  private readonly off: () => void;
  /**
   * Each answer's bytes by request: a package never changes, and a sweep's recoveries ask for the
   * same chunks thousands of times (the base64 line and its buffer were a fifth of a product point).
   * Handed to the console as they are: nothing on the way writes into them.
   */
  private readonly answers = new Map<string, Buffer>();

  constructor(
    private readonly console: Console,
    private readonly timeline?: Timeline,
  ) {
    this.off = console.onLine((line) => this.onLine(line));
  }

  /** Packages stay known for the server's life: a resumed download may come much later. */
  offer(pkg: FotaPackage): void {
    const had = this.packages.get(pkg.id);
    // Another package under the same id (its tar's first 8 hex digits): its answers are not these.
    if (had && had !== pkg) this.answers.clear();
    this.packages.set(pkg.id, pkg);
  }

  onServed(listener: (s: Served) => void): () => void {
    return this.served.add(listener);
  }

  /** Every fota line the device says (requests included), parsed. */
  onDeviceLine(listener: (l: DeviceLine) => void): () => void {
    return this.lines.add(listener);
  }

  close(): void {
    this.off();
  }

  private onLine(line: ConsoleLine): void {
    const said = parseDeviceLine(line.text);
    if (!said) return;
    if (said.kind === 'unreadable') this.refuse(`unreadable fota line ${JSON.stringify(said.text)}`);
    else if (said.kind === 'get') this.answer(said);
    this.lines.emit(said);
  }

  private answer(get: Extract<DeviceLine, { kind: 'get' }>): void {
    const pkg = this.packages.get(get.pkg);
    if (!pkg) return this.refuse(`fota get for package ${get.pkg}, which this rig never offered${this.packages.size ? ` (offered: ${[...this.packages.keys()].join(', ')})` : ''}`);
    const member = pkg.members.find((m) => m.name === get.member);
    if (!member) return this.refuse(`fota get for member ${get.member}, which package ${get.pkg} does not have (it has ${pkg.members.map((m) => m.name).join(', ')})`);
    if (get.length === 0 || get.length > MAX_CHUNK) return this.refuse(`fota get of ${get.length} bytes: a chunk is 1 to ${MAX_CHUNK} bytes`);
    if (get.offset >= member.size) return this.refuse(`fota get at offset ${get.offset} of ${get.member}, which is ${member.size} bytes`);
    const bytes = member.data.subarray(get.offset, Math.min(member.size, get.offset + get.length));
    this.timeline?.add('updater', 'fota-data', `${get.member} ${get.offset}+${bytes.length}`);
    const key = `${get.pkg} ${get.member} ${get.offset} ${bytes.length}`;
    let answer = this.answers.get(key);
    if (!answer) {
      if (this.answers.size >= MAX_ANSWERS) this.answers.clear();
      this.answers.set(key, (answer = Buffer.from(`${dataLine(get.pkg, get.member, get.offset, bytes)}\n`, 'latin1')));
    }
    this.console.write(answer).catch((err: unknown) => {
      this.note(`fota data for ${get.member} at ${get.offset} not sent: ${(err as Error).message}`);
    });
    this.served.emit({ pkg: get.pkg, member: get.member, offset: get.offset, length: bytes.length });
  }

  private refuse(why: string): void {
    this.note(`${why}; not answered`);
  }

  private note(text: string): void {
    this.timeline?.add('updater', 'fota-note', text);
    this.console.note(`fota: ${text}`);
  }
}
