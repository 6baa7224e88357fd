/**
 * GPIO through the libgpiod command-line tools (reference §3.4–3.6). Every program is spawned
 * with an argv array (execa, no shell), and positional arguments follow `--`, so a line or chip
 * name from a rig file reaches the tool as exactly one argument and is never read as an option.
 *
 * v2 (trixie): ONE long-lived `gpioset -i` owns the requested outputs for the whole run; levels
 * are changed by writing `set <line>=<value>` to its stdin, because a v2 gpioset that exits
 * releases its lines. If the owner dies, the next set() respawns it with the intended levels on
 * its command line (no glitch).
 * v1 (bookworm): `gpioset --mode=signal` holds the lines; a change kills it and spawns a new one
 * with the new levels. There is a short release window in between (§3.6 c): invisible on the
 * default RPi kernel (lines stay driven), visible with `dtparam=strict_gpiod`.
 * Inputs: `gpiomon`, one process per watch.
 *
 * A hil process killed outright (SIGKILL, OOM killer, native crash) runs no exit hook. So every
 * long-lived owner gpioset is started under `setpriv --pdeathsig KILL` (the kernel kills it with
 * us), and next to it runs a detached guardian (`sh`) that waits for us and that owner to be gone
 * and then drives the safe levels with a one-shot gpioset: a released line is not a driven one.
 * A normal release/exit kills the guardian first, so nothing drives a line after it.
 * Without setpriv the owner would outlive us and block the one-shot: no guardian, a warning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execa, execaSync, type ResultPromise } from 'execa';
import { RigError } from '../../core/errors.js';
import { parentDeathSignalSupported, SETPRIV_EXEC_FAILED, withParentDeathSignal } from '../../core/parent-death.js';
import {
  checkSpecs,
  describeLine,
  physical,
  type EdgeEvent,
  type GpioBackend,
  type GpioLines,
  type GpioWatch,
  type InputWatchSpec,
  type Level,
  type LineRef,
  type OutputLineSpec,
  type ResolvedLine,
} from './lines.js';

export interface LibgpiodOptions {
  gpioset?: string;
  gpiomon?: string;
  /** v1 only: resolves line names (`gpiofind GPIO17` -> `gpiochip0 17`). */
  gpiofind?: string;
  /** Consumer label shown by gpioinfo. Default `hil`. */
  consumer?: string;
  /** Skip detection (tests, or a known image). */
  version?: 1 | 2;
  /** How long to wait for the v2 owner's prompt / a tool's answer. Default 2000 ms. */
  timeoutMs?: number;
  /** Informational messages (resolved lines, respawns). */
  log?: (msg: string) => void;
}

function errMsg(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

function isEnoent(e: unknown): boolean {
  return (e as { code?: string })?.code === 'ENOENT' || /ENOENT/.test(errMsg(e));
}

/** `gpioset --version` -> major version (1 or 2). */
export async function detectLibgpiodVersion(gpioset = 'gpioset'): Promise<{ major: 1 | 2; text: string }> {
  let r;
  try {
    r = await execa(gpioset, ['--version'], { reject: false, timeout: 5000, stdin: 'ignore' });
  } catch (cause) {
    throw new RigError(`gpio: cannot run ${gpioset} (${errMsg(cause)}); install libgpiod tools (apt install gpiod)`, { cause });
  }
  if (r.failed && isEnoent(r.cause ?? r.message)) {
    throw new RigError(`gpio: ${gpioset} not found; install libgpiod tools (apt install gpiod)`);
  }
  const text = `${r.stdout}\n${r.stderr}`.trim();
  const m = /\bv?(\d+)\.(\d+)/.exec(text);
  const major = m ? Number(m[1]) : NaN;
  if (major !== 1 && major !== 2) throw new RigError(`gpio: cannot tell the libgpiod version from \`${gpioset} --version\`: ${JSON.stringify(text.slice(0, 200))}`);
  return { major, text: text.split('\n')[0] };
}

type Child = ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; reject: false; buffer: false }>;

function spawnTool(bin: string, args: string[]): Child {
  return execa(bin, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false });
}

/** Did this tool fail to start at all (missing binary, directly or behind setpriv)? */
function notFound(r: { cause?: unknown; message?: string; exitCode?: number }, stderr: string): boolean {
  return isEnoent(r.cause ?? r.message) || (r.exitCode === SETPRIV_EXEC_FAILED && /^setpriv: failed to execute/m.test(stderr));
}

/**
 * The guardian, as a fixed sh program: $1 our pid, $2 the owner's pid, then the one-shot gpioset
 * argv ("$@" after shift), so no path or line name is ever parsed by the shell. A process counts
 * as alive while /proc/PID/stat exists, is not a zombie ('Z') and keeps the start time it had when
 * the guardian began (a recycled pid is another process). Polls every 200 ms.
 */
const GUARDIAN_SH = `set -f
ident() { id=; read -r s 2>/dev/null <"/proc/$1/stat" || return 0; s=\${s##*") "}; set -- $s; [ "$1" = Z ] && return 0; shift 19; id=$1; }
ident "$1"; parent=$id; ident "$2"; owner=$id; ppid_=$1; opid=$2; shift 2
while [ -n "$parent" ]; do ident "$ppid_"; [ "$id" = "$parent" ] || break; sleep 0.2; done
while [ -n "$owner" ]; do ident "$opid"; [ "$id" = "$owner" ] || break; sleep 0.05; done
exec "$@"
`;

/** Starts a guardian for `ownerPid` (detached: its own session, so a group kill of ours misses it). */
function startGuardian(ownerPid: number, gpioset: string, safeArgs: string[]): ChildProcess {
  const g = spawn('sh', ['-c', GUARDIAN_SH, 'hil-gpio-guardian', String(process.pid), String(ownerPid), gpioset, ...safeArgs], {
    detached: true,
    stdio: 'ignore',
  });
  g.on('error', () => {});
  g.unref();
  return g;
}

/** Kills a guardian's whole group (sh and its `sleep`); resolves once sh has exited. */
function stopGuardian(g: ChildProcess | undefined): Promise<void> {
  if (!g || g.pid === undefined || g.exitCode !== null || g.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => g.once('exit', () => r()));
  stopGuardianSync(g);
  return gone;
}

function stopGuardianSync(g: ChildProcess | undefined): void {
  if (!g || g.pid === undefined || g.exitCode !== null || g.signalCode !== null) return;
  try {
    process.kill(-g.pid, 'SIGKILL');
  } catch {
    g.kill('SIGKILL');
  }
}

/** Resolves when the child has exited (never rejects). */
function exited(child: Child): Promise<void> {
  return child.then(
    () => undefined,
    () => undefined,
  );
}

async function killAndWait(child: Child, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited(child);
  clearTimeout(t);
}

export class Libgpiod implements GpioBackend {
  readonly name: string;
  readonly gpioset: string;
  readonly gpiomon: string;
  readonly gpiofind: string;
  readonly consumer: string;
  readonly timeoutMs: number;
  private readonly log: (msg: string) => void;
  private readonly watches = new Set<GpioWatch>();
  private warnedNoLifeline = false;

  private constructor(
    readonly version: 1 | 2,
    opts: LibgpiodOptions,
  ) {
    this.name = `libgpiod-v${version}`;
    this.gpioset = opts.gpioset ?? 'gpioset';
    this.gpiomon = opts.gpiomon ?? 'gpiomon';
    this.gpiofind = opts.gpiofind ?? 'gpiofind';
    this.consumer = opts.consumer ?? 'hil';
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.log = opts.log ?? (() => {});
  }

  /** Whether owners are tied to us (setpriv) and guarded; warns once where they cannot be. */
  async lifeline(): Promise<boolean> {
    const ok = await parentDeathSignalSupported();
    if (!ok && !this.warnedNoLifeline) {
      this.warnedNoLifeline = true;
      this.log(`gpio ${this.name}: warning: setpriv --pdeathsig is not available (util-linux): if this process is killed outright, gpioset keeps holding the lines at their last levels`);
    }
    return ok;
  }

  /** Detects v1/v2 (unless `version` is given) and returns the backend. */
  static async open(opts: LibgpiodOptions = {}): Promise<Libgpiod> {
    const version = opts.version ?? (await detectLibgpiodVersion(opts.gpioset)).major;
    return new Libgpiod(version, opts);
  }

  /** v1: chip + offset for a name via gpiofind. v2 passes names straight to the tools. */
  private async v1Resolve(ref: LineRef): Promise<{ chip: string; offset: number }> {
    if (!('name' in ref)) return ref;
    let r;
    try {
      r = await execa(this.gpiofind, ['--', ref.name], { reject: false, timeout: this.timeoutMs, stdin: 'ignore' });
    } catch (cause) {
      throw new RigError(`gpio: cannot run ${this.gpiofind}: ${errMsg(cause)}`, { cause });
    }
    if (r.failed && isEnoent(r.cause ?? r.message)) throw new RigError(`gpio: ${this.gpiofind} not found (libgpiod v1 tools)`);
    const m = /^(\S+)\s+(\d+)\s*$/.exec(r.stdout.trim());
    if (r.exitCode !== 0 || !m) throw new RigError(`gpio: no line named ${JSON.stringify(ref.name)} (${this.gpiofind} exit ${r.exitCode})`);
    return { chip: m[1], offset: Number(m[2]) };
  }

  async requestOutputs(specs: readonly OutputLineSpec[]): Promise<GpioLines> {
    checkSpecs(specs);
    const lines: OwnedLine[] = [];
    for (const s of specs) {
      if (this.version === 1) {
        const { chip, offset } = await this.v1Resolve(s.line);
        lines.push({ spec: s, chip, token: String(offset) });
      } else if ('name' in s.line) {
        if (/\s/.test(s.line.name)) {
          // The interactive `set` command splits on whitespace: such a name cannot be addressed.
          throw new RigError(`gpio: line name ${JSON.stringify(s.line.name)} contains whitespace; gpioset -i cannot address it, use chip + offset`);
        }
        lines.push({ spec: s, chip: undefined, token: s.line.name });
      } else {
        lines.push({ spec: s, chip: s.line.chip, token: String(s.line.offset) });
      }
    }
    const chips = new Set(lines.map((l) => l.chip ?? ''));
    if (chips.size > 1) {
      throw new RigError(`gpio: one request must name lines on one chip (or all by name); got ${[...chips].map((c) => JSON.stringify(c)).join(', ')}`);
    }
    const owned = this.version === 2 ? new V2Lines(this, lines) : new V1Lines(this, lines);
    await owned.start();
    this.log(`gpio ${this.name}: ${lines.map((l) => `${l.spec.id}=${describeLine(l.spec.line)}${l.chip ? ` on ${l.chip}` : ''}`).join(', ')}`);
    return owned;
  }

  async watch(spec: InputWatchSpec, onEdge: (e: EdgeEvent) => void): Promise<GpioWatch> {
    let args: string[];
    if (this.version === 1) {
      const { chip, offset } = await this.v1Resolve(spec.line);
      const edge = spec.edge === 'rising' ? ['-r'] : spec.edge === 'falling' ? ['-f'] : [];
      args = [...edge, '--format=%e %o', '--', chip, String(offset)];
    } else {
      const target = 'name' in spec.line ? ['--', spec.line.name] : ['-c', spec.line.chip, '--', String(spec.line.offset)];
      args = ['-e', spec.edge, '-C', this.consumer, '--format=%E %o', ...target];
    }
    const child = spawnTool(this.gpiomon, args);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const kind = line.split(/\s+/)[0];
        const edge = /^(rising|1)$/i.test(kind) ? 'rising' : /^(falling|0|2)$/i.test(kind) ? 'falling' : undefined;
        if (!edge) continue;
        const level = physical(edge === 'rising' ? 1 : 0, spec.activeLow);
        onEdge({ edge: spec.activeLow ? (edge === 'rising' ? 'falling' : 'rising') : edge, level });
      }
    });
    // Fail fast if gpiomon cannot start (missing binary, missing chip/line).
    const early = await Promise.race([exited(child).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 150))]);
    if (early) {
      const r = await child;
      const why = isEnoent(r.cause ?? r.message) ? `${this.gpiomon} not found` : `exit ${r.exitCode}: ${stderr.trim()}`;
      throw new RigError(`gpio: cannot watch ${describeLine(spec.line)}: ${why}`);
    }
    const w: GpioWatch = {
      close: async () => {
        this.watches.delete(w);
        await killAndWait(child, this.timeoutMs);
      },
    };
    this.watches.add(w);
    return w;
  }

  /** Stops every gpiomon started by watch(). */
  async closeWatches(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
  }
}

interface OwnedLine {
  spec: OutputLineSpec;
  /** undefined for v2 lines addressed by name. */
  chip: string | undefined;
  /** What the tool calls the line: offset (as text) or name. */
  token: string;
}

abstract class OwnedLines implements GpioLines {
  abstract readonly backend: string;
  readonly resolved: readonly ResolvedLine[];
  protected readonly levels = new Map<string, Level>();
  protected readonly byId = new Map<string, OwnedLine>();
  protected released = false;
  /** The process holding the lines (v2: `gpioset -i`; v1: `gpioset --mode=signal`). */
  protected child?: Child;
  /** Drives the safe levels if we die outright (see the file comment). */
  private guardian?: ChildProcess;
  /** Every guardian started (pids), for tests. */
  readonly guardians: number[] = [];

  constructor(
    protected readonly gpiod: Libgpiod,
    protected readonly lines: OwnedLine[],
  ) {
    for (const l of lines) {
      this.byId.set(l.spec.id, l);
      this.levels.set(l.spec.id, l.spec.initial);
    }
    this.resolved = lines.map((l) => ({
      id: l.spec.id,
      chip: l.chip ?? '',
      offset: /^\d+$/.test(l.token) ? Number(l.token) : -1,
    }));
  }

  protected get chip(): string | undefined {
    return this.lines[0].chip;
  }

  /** `line=value` arguments with physical values for the given logical levels. */
  protected assignments(levels: (l: OwnedLine) => Level): string[] {
    return this.lines.map((l) => `${l.token}=${physical(levels(l), l.spec.activeLow)}`);
  }

  protected line(id: string): OwnedLine {
    const l = this.byId.get(id);
    if (!l) throw new RigError(`gpio: no output line ${JSON.stringify(id)} (have ${[...this.byId.keys()].join(', ')})`);
    return l;
  }

  get(id: string): Level {
    this.line(id);
    return this.levels.get(id)!;
  }

  /** Starts `gpioset args` as the owner: tied to us and guarded where setpriv exists. */
  protected async spawnOwnerProcess(args: string[]): Promise<{ child: Child; guarded: boolean }> {
    const guarded = await this.gpiod.lifeline();
    const [file, argv] = withParentDeathSignal(guarded, this.gpiod.gpioset, args);
    const child = spawnTool(file, argv);
    if (guarded && child.pid !== undefined) {
      // The new guardian starts before the old one stops, so some guardian is always watching.
      const previous = this.guardian;
      this.guardian = startGuardian(child.pid, this.gpiod.gpioset, this.oneShotSafeArgs());
      if (this.guardian.pid !== undefined) this.guardians.push(this.guardian.pid);
      void stopGuardian(previous);
    }
    return { child, guarded };
  }

  /** First thing on a normal release: afterwards nothing may drive the lines. */
  protected stopGuardian(): Promise<void> {
    const g = this.guardian;
    this.guardian = undefined;
    return stopGuardian(g);
  }

  abstract start(): Promise<void>;
  abstract set(id: string, level: Level): Promise<void>;
  abstract release(): Promise<void>;

  /** For process exit (no event loop left): kill the owner, then drive the safe levels once. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    for (const l of this.lines) this.levels.set(l.spec.id, l.spec.safe);
    stopGuardianSync(this.guardian);
    this.guardian = undefined;
    this.child?.kill('SIGKILL');
    try {
      execaSync(this.gpiod.gpioset, this.oneShotSafeArgs(), { reject: false, stdin: 'ignore', timeout: this.gpiod.timeoutMs });
    } catch {
      // exiting anyway
    }
  }

  /** After the owner is gone: a one-shot gpioset that leaves the safe levels driven (RPi kernels keep them). */
  protected oneShotSafeArgs(): string[] {
    const safe = this.assignments((l) => l.spec.safe);
    return this.gpiod.version === 2 ? [...(this.chip ? ['-c', this.chip] : []), '-C', this.gpiod.consumer, '-t', '0', '--', ...safe] : ['--mode=exit', '--', this.chip!, ...safe];
  }
}

/** v2: one long-lived `gpioset -i` for the whole run. */
class V2Lines extends OwnedLines {
  readonly backend = 'libgpiod-v2';
  private out = '';
  private stderr = '';
  private prompts = 0;
  private promptMode = true;
  private waiters: (() => void)[] = [];
  /** How many times the owner had to be respawned. */
  restarts = 0;
  /** Every owner process started (pids), for the log and tests. */
  readonly pids: number[] = [];

  async start(): Promise<void> {
    await this.spawnOwner();
  }

  private alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async spawnOwner(): Promise<void> {
    const args = [...(this.chip ? ['-c', this.chip] : []), '-C', this.gpiod.consumer, '-i', '--', ...this.assignments((l) => this.levels.get(l.spec.id)!)];
    const { child } = await this.spawnOwnerProcess(args);
    this.child = child;
    this.out = '';
    this.stderr = '';
    this.prompts = 0;
    if (child.pid !== undefined) this.pids.push(child.pid);
    child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
      const n = this.out.split('gpioset>').length - 1;
      if (n > this.prompts) {
        this.prompts = n;
        for (const w of this.waiters.splice(0)) w();
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    void exited(child).then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
    const ok = await this.waitPrompt(0);
    if (!this.alive()) {
      // No owner, nothing to guard: a guardian left behind would drive the lines after a normal exit.
      await this.stopGuardian();
      const r = await child;
      const why = notFound(r, this.stderr) ? `${this.gpiod.gpioset} not found` : `exit ${r.exitCode}: ${this.stderr.trim() || this.out.trim()}`;
      throw new RigError(`gpio: gpioset could not take the lines (${why})`);
    }
    // A gpioset built without prompt output: keep going, but set() cannot confirm each command.
    this.promptMode = ok;
  }

  /** Waits until more than `seen` prompts were printed; false on timeout or exit. */
  private waitPrompt(seen: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (v: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(v);
      };
      const check = () => {
        if (this.prompts > seen) return finish(true);
        if (!this.alive()) return finish(false);
        this.waiters.push(check);
      };
      const t = setTimeout(() => finish(this.prompts > seen), this.gpiod.timeoutMs);
      check();
    });
  }

  private async command(cmd: string): Promise<void> {
    const child = this.child!;
    const seen = this.prompts;
    const before = this.out.length;
    child.stdin.write(cmd + '\n');
    if (!this.promptMode) return;
    const ok = await this.waitPrompt(seen);
    const reply = this.out
      .slice(before)
      .replace(/gpioset>\s*/g, '')
      .trim();
    if (!ok) throw new RigError(`gpio: gpioset did not answer ${JSON.stringify(cmd)}${this.alive() ? '' : ` (exited: ${this.stderr.trim()})`}`);
    if (/error|invalid|unknown|not found|no such/i.test(reply)) throw new RigError(`gpio: gpioset refused ${JSON.stringify(cmd)}: ${reply}`);
  }

  async set(id: string, level: Level): Promise<void> {
    const l = this.line(id);
    if (this.released) throw new RigError(`gpio: line ${JSON.stringify(id)} already released`);
    if (!this.alive()) {
      // Owner died: respawn with the intended levels on its command line (no glitch).
      this.levels.set(id, level);
      this.restarts++;
      await this.spawnOwner();
      return;
    }
    await this.command(`set ${l.token}=${physical(level, l.spec.activeLow)}`);
    this.levels.set(id, level);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const l of this.lines) this.levels.set(l.spec.id, l.spec.safe);
    await this.stopGuardian();
    let driven = false;
    if (this.alive()) {
      try {
        await this.command(`set ${this.assignments((l) => l.spec.safe).join(' ')}`);
        driven = true;
      } catch {
        // The owner is dying (a terminal's Ctrl-C reaches the whole process group): one-shot below.
      }
      await killAndWait(this.child!, this.gpiod.timeoutMs);
    }
    if (!driven) await execa(this.gpiod.gpioset, this.oneShotSafeArgs(), { reject: false, stdin: 'ignore', timeout: this.gpiod.timeoutMs });
  }
}

/** v1: `gpioset --mode=signal` holds the lines; each change replaces the process. */
class V1Lines extends OwnedLines {
  readonly backend = 'libgpiod-v1';
  readonly pids: number[] = [];

  async start(): Promise<void> {
    await this.hold();
  }

  private async hold(): Promise<void> {
    if (this.child) await killAndWait(this.child, this.gpiod.timeoutMs);
    const { child } = await this.spawnOwnerProcess(['--mode=signal', '--', this.chip!, ...this.assignments((l) => this.levels.get(l.spec.id)!)]);
    this.child = child;
    if (child.pid !== undefined) this.pids.push(child.pid);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // v1 prints nothing on success: an early exit is the only failure signal.
    const early = await Promise.race([exited(child).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 150))]);
    if (early) {
      await this.stopGuardian();
      const r = await child;
      const why = notFound(r, stderr) ? `${this.gpiod.gpioset} not found` : `exit ${r.exitCode}: ${stderr.trim()}`;
      throw new RigError(`gpio: gpioset could not take the lines on ${JSON.stringify(this.chip)} (${why})`);
    }
  }

  async set(id: string, level: Level): Promise<void> {
    this.line(id);
    if (this.released) throw new RigError(`gpio: line ${JSON.stringify(id)} already released`);
    const prev = this.levels.get(id)!;
    this.levels.set(id, level);
    try {
      await this.hold();
    } catch (e) {
      this.levels.set(id, prev);
      throw e;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const l of this.lines) this.levels.set(l.spec.id, l.spec.safe);
    await this.stopGuardian();
    if (this.child) await killAndWait(this.child, this.gpiod.timeoutMs);
    await execa(this.gpiod.gpioset, this.oneShotSafeArgs(), { reject: false, stdin: 'ignore', timeout: this.gpiod.timeoutMs });
  }
}
