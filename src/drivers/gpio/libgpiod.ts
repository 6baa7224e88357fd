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
  /**
   * Hang guard: how long a tool may stay silent (no prompt, no answer, no exit) before it counts as
   * hung, which is then a RigError naming the tool. Waits end on the tool's own event (prompt, exit),
   * so this only fires for a stuck tool; it is generous because a real but loaded box (a Pi running
   * a build) can take seconds to schedule a process. Default 10000 ms.
   */
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

/** Why a one-shot safe-levels gpioset did not drive the lines, or undefined if it did (exit 0). */
function oneShotFailure(r: { timedOut?: boolean; exitCode?: number; signal?: string; stderr?: unknown; cause?: unknown; message?: string }, gpioset: string, timeoutMs: number): string | undefined {
  if (r.timedOut) return `${gpioset} did not exit within ${timeoutMs} ms (killed)`;
  if (r.exitCode === 0) return undefined;
  if (isEnoent(r.cause ?? r.message)) return `${gpioset} not found`;
  const said = typeof r.stderr === 'string' ? r.stderr.trim() : '';
  return `${gpioset} ${r.exitCode !== undefined ? `exit ${r.exitCode}` : `killed by ${r.signal ?? 'a signal'}`}${said ? `: ${said}` : ''}`;
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
    this.timeoutMs = opts.timeoutMs ?? 10_000;
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
    if (r.timedOut) throw new RigError(`gpio: ${this.gpiofind} did not answer within ${this.timeoutMs} ms resolving line ${JSON.stringify(ref.name)} (killed)`);
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
    let why: string | undefined;
    try {
      why = oneShotFailure(execaSync(this.gpiod.gpioset, this.oneShotSafeArgs(), { reject: false, stdin: 'ignore', timeout: this.gpiod.timeoutMs }), this.gpiod.gpioset, this.gpiod.timeoutMs);
    } catch (e) {
      why = errMsg(e);
    }
    // The exit hook swallows errors (the process is going anyway): stderr is where this must show.
    if (why) this.safeDriveFailed(why);
  }

  /** Drives the safe levels with a one-shot gpioset and checks that it did. */
  protected async driveSafeOnce(): Promise<void> {
    let why: string | undefined;
    try {
      why = oneShotFailure(await execa(this.gpiod.gpioset, this.oneShotSafeArgs(), { reject: false, stdin: 'ignore', timeout: this.gpiod.timeoutMs }), this.gpiod.gpioset, this.gpiod.timeoutMs);
    } catch (e) {
      why = errMsg(e);
    }
    if (why) this.safeDriveFailed(why);
  }

  /** A safe state that was not reached is never silent: stderr (seen even from an exit hook) and a RigError. */
  protected safeDriveFailed(why: string): never {
    const msg = `gpio: the safe levels (${this.lines.map((l) => `${l.spec.id}=${l.spec.safe}`).join(', ')}) were NOT driven: ${why}`;
    process.stderr.write(`hil: ${msg}\n`);
    throw new RigError(msg);
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
    // The prompt is gpioset's "I hold the lines"; its exit is its failure. Nothing else counts as
    // an answer: an owner still silent after the hang guard is a hung tool, never a success.
    const outcome = await this.waitPrompt(0);
    if (outcome === 'prompt') return;
    // No owner, nothing to guard: a guardian left behind would drive the lines after a normal exit.
    await this.stopGuardian();
    if (outcome === 'timeout') {
      await killAndWait(child, this.gpiod.timeoutMs);
      const said = (this.stderr.trim() || this.out.trim()).slice(0, 300);
      throw new RigError(`gpio: ${this.gpiod.gpioset} -i printed no "gpioset>" prompt within ${this.gpiod.timeoutMs} ms, so the lines may not be held (killed it)${said ? `; it said: ${said}` : ''}`);
    }
    const r = await child;
    const why = notFound(r, this.stderr) ? `${this.gpiod.gpioset} not found` : `exit ${r.exitCode}: ${this.stderr.trim() || this.out.trim()}`;
    throw new RigError(`gpio: gpioset could not take the lines (${why})`);
  }

  /** Waits until more than `seen` prompts were printed, the owner exits, or the hang guard fires. */
  private waitPrompt(seen: number): Promise<'prompt' | 'exit' | 'timeout'> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: 'prompt' | 'exit' | 'timeout') => {
        if (done) return;
        done = true;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(v);
      };
      const check = () => {
        if (this.prompts > seen) return finish('prompt');
        if (!this.alive()) return finish('exit');
        this.waiters.push(check);
      };
      const t = setTimeout(() => finish(this.prompts > seen ? 'prompt' : 'timeout'), this.gpiod.timeoutMs);
      check();
    });
  }

  private async command(cmd: string): Promise<void> {
    const child = this.child!;
    const seen = this.prompts;
    const before = this.out.length;
    child.stdin.write(cmd + '\n');
    const outcome = await this.waitPrompt(seen);
    const reply = this.out
      .slice(before)
      .replace(/gpioset>\s*/g, '')
      .trim();
    if (outcome === 'timeout') throw new RigError(`gpio: ${this.gpiod.gpioset} did not answer ${JSON.stringify(cmd)} within ${this.gpiod.timeoutMs} ms (no "gpioset>" prompt)`);
    if (outcome === 'exit') throw new RigError(`gpio: ${this.gpiod.gpioset} exited instead of answering ${JSON.stringify(cmd)}: ${this.stderr.trim()}`);
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
    if (!driven) await this.driveSafeOnce();
  }
}

/**
 * v1: `gpioset --mode=signal` holds the lines; each change replaces the process.
 *
 * v1 prints nothing once it holds the lines (it sets them, then blocks in poll() on a signalfd), so
 * there is no prompt to wait for: a holder that has not failed within a short settle window is
 * taken as holding. (The positive signal would be its /proc/PID/fd showing the line-handle and the
 * signalfd, which only a real gpioset on a real chip has.) A holder that fails after the window is
 * therefore watched: its exit, when we did not stop it, is kept and reported as a RigError on the
 * next operation instead of reading as success.
 */
class V1Lines extends OwnedLines {
  readonly backend = 'libgpiod-v1';
  readonly pids: number[] = [];
  /** Holders we stopped ourselves: their exit is expected. */
  private readonly retired = new WeakSet<Child>();
  /** Why the holder died on its own since the last operation. */
  private lost?: string;

  async start(): Promise<void> {
    await this.hold();
  }

  private async retire(child: Child): Promise<void> {
    this.retired.add(child);
    await killAndWait(child, this.gpiod.timeoutMs);
  }

  /** Reports (once) a holder that died on its own: the lines were not held since. */
  private takeLost(): string | undefined {
    const why = this.lost;
    this.lost = undefined;
    return why;
  }

  private async hold(): Promise<void> {
    if (this.child) await this.retire(this.child);
    const { child } = await this.spawnOwnerProcess(['--mode=signal', '--', this.chip!, ...this.assignments((l) => this.levels.get(l.spec.id)!)]);
    this.child = child;
    if (child.pid !== undefined) this.pids.push(child.pid);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const early = await Promise.race([exited(child).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), V1_SETTLE_MS))]);
    if (early) {
      await this.stopGuardian();
      const r = await child;
      const why = notFound(r, stderr) ? `${this.gpiod.gpioset} not found` : `exit ${r.exitCode}: ${stderr.trim()}`;
      throw new RigError(`gpio: gpioset could not take the lines on ${JSON.stringify(this.chip)} (${why})`);
    }
    void child.then((r) => {
      if (this.retired.has(child) || this.child !== child) return;
      this.lost = `${this.gpiod.gpioset} (pid ${child.pid}) holding ${JSON.stringify(this.chip)} exited on its own (${r.exitCode !== undefined ? `exit ${r.exitCode}` : `signal ${r.signal}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}), so the lines were not held since`;
    });
  }

  async set(id: string, level: Level): Promise<void> {
    this.line(id);
    if (this.released) throw new RigError(`gpio: line ${JSON.stringify(id)} already released`);
    const lost = this.takeLost();
    if (lost) throw new RigError(`gpio: cannot set ${JSON.stringify(id)}: ${lost}`);
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
    if (this.child) await this.retire(this.child);
    await this.driveSafeOnce();
    // Safe levels first, then the news that the lines had not been held before.
    const lost = this.takeLost();
    if (lost) throw new RigError(`gpio: released, safe levels driven; but earlier ${lost}`);
  }
}

/**
 * v1 holders print nothing on success: one that has not exited this long after spawning counts as
 * holding. Not a speed limit: a holder failing later is still seen and reported (V1Lines).
 */
const V1_SETTLE_MS = 150;
