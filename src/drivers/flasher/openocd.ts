import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pRetry, { AbortError } from 'p-retry';
import type { Timeline } from '../../core/timeline.js';
import { ConfigError, DeviceError, RigError, UsageError } from '../../core/errors.js';
import {
  checkOpenOcdSetup,
  classifyOpenOcd,
  dumpArgv,
  massEraseArgv,
  nrf52RecoverArgv,
  OpenOcdValueError,
  openOcdValueProblem,
  parseStm32UserOptions,
  programArgv,
  stm32OptionsReadArgv,
  stm32OptionsWriteArgv,
  TRANSIENT_OUTCOMES,
  withBfb2,
  type Classification,
  type OpenOcdOutcome,
  type OpenOcdSetup,
  type OpenOcdTargetName,
} from '../../protocols/openocd/index.js';
import type { MemoryRegion, Probe, ProbeOptions } from '../capabilities.js';
import { STM32F429 } from '../../targets/stm32f429.js';

export interface OpenOcdProbeOptions {
  target: OpenOcdTargetName;
  interfaceCfg: string;
  targetCfg?: string;
  adapterSerial?: string;
  configs?: readonly string[];
  adapterSpeedKhz?: number;
  /** Per openocd run (each attempt). Default 60 s. */
  timeoutMs?: number;
  /** SIGTERM first; SIGKILL this long after if still alive. Default 1000 ms. */
  killGraceMs?: number;
  /** Default 'openocd'. */
  binary?: string;
  /** Total attempts for transient (probe-missing) failures. Default 3. */
  attempts?: number;
  retryDelayMs?: number;
  /** Where temp files for openocd go (images of buffers, dumps). Default os.tmpdir(), i.e. TMPDIR. */
  tempRoot?: string;
  /** A name for messages (rig probe id); default `openocd:<target>`. */
  name?: string;
  timeline?: Timeline;
}

export interface OpenOcdRunResult extends Classification {
  ok: boolean;
  exitCode: number | undefined;
  /** stdout + stderr, interleaved as openocd wrote them. */
  log: string;
  argv: string[];
  attempts: number;
  durationMs: number;
}

export interface FlashResult extends OpenOcdRunResult {
  file: string;
  address: number | undefined;
}

export type RunOptions = ProbeOptions;

function describe(what: string, r: OpenOcdRunResult): string {
  return `${what}: ${r.outcome} (exit ${r.exitCode ?? 'killed'}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}): ${r.line}`;
}

export class OpenOcdRigError extends RigError {
  constructor(
    message: string,
    readonly result: OpenOcdRunResult,
  ) {
    super(message);
  }
}

export class OpenOcdDeviceError extends DeviceError {
  constructor(
    message: string,
    readonly result: OpenOcdRunResult,
  ) {
    super(message);
  }
}

/** The error a failed run stands for (undefined when ok). */
export function openOcdError(what: string, r: OpenOcdRunResult): OpenOcdRigError | OpenOcdDeviceError | undefined {
  if (r.ok) return undefined;
  const msg = describe(what, r);
  return r.blame === 'device' ? new OpenOcdDeviceError(msg, r) : new OpenOcdRigError(msg, r);
}

/**
 * What a probe operation rejects with: a run stopped by the caller's abort rejects with the abort's
 * reason, as every other wait does (Ctrl-C is no rig fault: exit 4, not 3); anything else as openOcdError.
 */
function failure(what: string, r: OpenOcdRunResult, ro: RunOptions): unknown {
  if (!r.ok && r.outcome === 'aborted' && ro.signal?.aborted) return ro.signal.reason;
  return openOcdError(what, r);
}

class Transient extends Error {
  constructor(readonly result: OpenOcdRunResult) {
    super(result.line);
  }
}

/** A debug probe driven by one fresh openocd process per operation (reference §0.1). */
export class OpenOcdProbe implements Probe {
  readonly name: string;
  private readonly setup: OpenOcdSetup;

  constructor(private readonly opts: OpenOcdProbeOptions) {
    this.name = opts.name ?? `openocd:${opts.target}`;
    this.setup = {
      target: opts.target,
      interfaceCfg: opts.interfaceCfg,
      ...(opts.targetCfg !== undefined && { targetCfg: opts.targetCfg }),
      ...(opts.adapterSerial !== undefined && { adapterSerial: opts.adapterSerial }),
      ...(opts.configs !== undefined && { configs: opts.configs }),
      ...(opts.adapterSpeedKhz !== undefined && { adapterSpeedKhz: opts.adapterSpeedKhz }),
    };
    // Refused here, before any run: a value openocd would execute as TCL is a config error (exit 2).
    try {
      checkOpenOcdSetup(this.setup);
    } catch (e) {
      if (e instanceof OpenOcdValueError) throw new ConfigError(`${this.name}: ${e.message}`);
      throw e;
    }
  }

  /**
   * A folder for files openocd reads or writes, under the temp folder. The TMPDIR path reaches
   * openocd too: `program` evaluates its image name inside braces, so there it must be plain.
   */
  private async tempDir(prefix: string, kind: 'image' | 'word'): Promise<string> {
    const root = this.opts.tempRoot ?? tmpdir();
    const problem = openOcdValueProblem(kind, join(root, `${prefix}XXXXXX`, 'image.bin'));
    if (problem !== undefined) {
      throw new RigError(`${this.name}: the temp folder ${JSON.stringify(root)} (TMPDIR) cannot hold files for openocd: ${problem}; set TMPDIR to a plain folder`);
    }
    return mkdtemp(join(root, prefix));
  }

  /** Runs openocd once per attempt; retries only transient outcomes. Never throws for openocd failures. */
  async run(argv: string[], ro: RunOptions = {}): Promise<OpenOcdRunResult> {
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    let n = 0;
    const once = async (): Promise<OpenOcdRunResult> => {
      n++;
      const t0 = Date.now();
      if (ro.signal?.aborted) {
        // Never start openocd for an operation already called off (the next write of a baseline after Ctrl-C, a retry after it).
        const c = classifyOpenOcd('', undefined, { aborted: true });
        return { ...c, ok: false, exitCode: undefined, log: '', argv, attempts: n, durationMs: 0 };
      }
      const p = await execa(this.opts.binary ?? 'openocd', argv, {
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: this.opts.timeoutMs ?? 60_000,
        killSignal: 'SIGTERM',
        forceKillAfterDelay: this.opts.killGraceMs ?? 1000,
        ...(ro.signal && { cancelSignal: ro.signal }),
      });
      const log = p.all ?? `${p.stdout}\n${p.stderr}`;
      const c = classifyOpenOcd(log, p.exitCode, { timedOut: p.timedOut, aborted: p.isCanceled });
      const r: OpenOcdRunResult = { ...c, ok: c.outcome === 'ok', exitCode: p.exitCode, log, argv, attempts: n, durationMs: Date.now() - t0 };
      if (TRANSIENT_OUTCOMES.has(c.outcome) && n < attempts && !ro.signal?.aborted) {
        this.opts.timeline?.add('probe', 'retry', `${this.name}: ${c.line}`);
        throw new Transient(r);
      }
      return r;
    };
    try {
      return await pRetry(once, {
        retries: attempts - 1,
        minTimeout: this.opts.retryDelayMs ?? 250,
        factor: 1,
        randomize: false,
        shouldRetry: ({ error }) => error instanceof Transient,
      });
    } catch (e) {
      if (e instanceof Transient) return e.result;
      if (e instanceof AbortError) throw e.originalError ?? e;
      throw e;
    }
  }

  /** `program FILE [ADDR] [verify] [reset] exit`; a Buffer goes through a temp file. No address: an ELF/HEX placed by its own addresses. */
  async flash(file: string | Uint8Array, address: number | undefined, opts: { verify?: boolean; reset?: boolean; signal?: AbortSignal } = {}): Promise<FlashResult> {
    let dir: string | undefined;
    let path: string;
    if (typeof file === 'string') {
      path = file;
      // A bad name is the caller's input (hil flash IMAGE): refused before anything runs.
      const problem = openOcdValueProblem('image', path);
      if (problem !== undefined) throw new UsageError(`${this.name}: image ${JSON.stringify(path)}: ${problem}; rename the file`);
    } else {
      dir = await this.tempDir('hil-openocd-', 'image');
      path = join(dir, 'image.bin');
      await writeFile(path, file);
    }
    try {
      const label = typeof file === 'string' ? file : `${file.length}-byte buffer`;
      this.opts.timeline?.add('probe', 'program', `${this.name}: ${label}${address === undefined ? '' : ` at 0x${address.toString(16)}`}`);
      const argv = programArgv(this.setup, path, address, { verify: opts.verify ?? true, reset: opts.reset ?? false });
      const r = await this.run(argv, opts.signal ? { signal: opts.signal } : {});
      this.opts.timeline?.add('probe', r.ok ? 'program-ok' : 'program-failed', `${this.name}: ${r.outcome}: ${r.line}`);
      return { ...r, file: path, address };
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  /** An abort kills the running openocd (SIGTERM, SIGKILL after the grace) before this rejects with the abort's reason. */
  async program(address: number, data: Uint8Array, ro: RunOptions = {}): Promise<void> {
    // The STM32F4 option bytes are no flash bank: `program` there is "no flash bank found".
    if (this.opts.target === 'stm32f429' && address === STM32F429.optionBytes.base) {
      await this.programStm32OptionBytes(data, ro);
      return;
    }
    const r = await this.flash(data, address, { verify: true, ...(ro.signal && { signal: ro.signal }) });
    const err = failure(`${this.name}: programming ${data.length} bytes at 0x${address.toString(16)} (${r.file})`, r, ro);
    if (err) throw err;
  }

  /** All regions in one openocd run (`dump_image` each into a temp dir), read back. */
  async dump(regions: readonly MemoryRegion[], ro: RunOptions = {}): Promise<Record<string, Buffer>> {
    this.opts.timeline?.add('probe', 'dump', regions.map((r) => r.name).join(' '));
    const dir = await this.tempDir('hil-openocd-dump-', 'word');
    try {
      const files = regions.map((r, i) => ({ ...r, file: join(dir, `${i}.bin`) }));
      const r = await this.run(dumpArgv(this.setup, files), ro);
      const err = failure(`${this.name}: dump of ${regions.map((x) => x.name).join(', ')}`, r, ro);
      if (err) throw err;
      const out: Record<string, Buffer> = {};
      for (const f of files) {
        const buf = await readFile(f.file).catch(() => undefined);
        if (!buf || buf.length !== f.size) {
          throw new OpenOcdDeviceError(`${this.name}: dump of ${f.name}: read ${buf?.length ?? 0} of ${f.size} bytes at 0x${f.base.toString(16)}: ${r.line}`, {
            ...r,
            ok: false,
            outcome: 'read-error',
            blame: 'device',
          });
        }
        out[f.name] = buf;
      }
      return out;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async massErase(ro: RunOptions = {}): Promise<void> {
    this.opts.timeline?.add('probe', 'mass-erase', this.name);
    const r = await this.run(massEraseArgv(this.setup), ro);
    const err = failure(`${this.name}: mass erase`, r, ro);
    if (err) throw err;
  }

  /** nRF52 only: unlock an APPROTECT-locked chip (erases it). */
  async recover(ro: RunOptions = {}): Promise<void> {
    this.opts.timeline?.add('probe', 'recover', this.name);
    const r = await this.run(nrf52RecoverArgv(this.setup), ro);
    const err = failure(`${this.name}: nrf52_recover`, r, ro);
    if (err) throw err;
  }

  /** STM32F429: reads user option bytes, then rewrites them with BFB2 set/cleared (reference §1.2). */
  async readStm32UserOptions(ro: RunOptions = {}): Promise<number> {
    const r = await this.run(stm32OptionsReadArgv(this.setup), ro);
    const err = failure(`${this.name}: stm32f2x options_read`, r, ro);
    if (err) throw err;
    const v = parseStm32UserOptions(r.log);
    if (v === undefined) throw new OpenOcdRigError(`${this.name}: options_read printed no 'stm32f2x user_options' line`, r);
    return v;
  }

  /**
   * The 16-byte option block as the twin and `hil inspect` see it (0x1FFFC000: USER, RDP, …),
   * written the only way OpenOCD can: `stm32f2x options_write` with the USER bits, every bit
   * beyond the USER byte kept as read. RDP other than level 0 (0xAA) is refused: raising it
   * locks the debug port, and lowering it mass-erases.
   */
  async programStm32OptionBytes(data: Uint8Array, ro: RunOptions = {}): Promise<{ before: number; after: number }> {
    if (data.length < 2) throw new RigError(`${this.name}: option bytes: expected at least USER and RDP, got ${data.length} byte(s)`);
    if (data[1] !== 0xaa) throw new RigError(`${this.name}: option bytes: refusing RDP 0x${data[1]!.toString(16)} (only level 0, 0xAA, is written by hil)`);
    const before = await this.readStm32UserOptions(ro);
    const after = (before & 0xf00) | (data[0]! & 0xfc);
    if (after !== before) {
      const r = await this.run(stm32OptionsWriteArgv(this.setup, after), ro);
      const err = failure(`${this.name}: stm32f2x options_write 0x${after.toString(16)}`, r, ro);
      if (err) throw err;
      if (!/stm32f2x write options complete/.test(r.log)) throw new OpenOcdDeviceError(`${this.name}: options_write did not confirm: ${r.line}`, r);
    }
    return { before, after };
  }

  async setBfb2(bfb2: boolean, ro: RunOptions = {}): Promise<{ before: number; after: number }> {
    const before = await this.readStm32UserOptions(ro);
    const after = withBfb2(before, bfb2);
    if (after !== before) {
      const r = await this.run(stm32OptionsWriteArgv(this.setup, after), ro);
      const err = failure(`${this.name}: stm32f2x options_write BFB2=${bfb2 ? 1 : 0}`, r, ro);
      if (err) throw err;
      if (!/stm32f2x write options complete/.test(r.log)) throw new OpenOcdDeviceError(`${this.name}: options_write did not confirm: ${r.line}`, r);
    }
    return { before, after };
  }
}

export type { OpenOcdOutcome };
