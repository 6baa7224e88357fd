/**
 * Pure argv builders for one-shot OpenOCD runs (reference/hardware-backends.md §1.2-§1.5).
 * Every value from a rig file becomes its own argv element; values that land inside a TCL
 * command (`-c "adapter serial X"`, `dump_image FILE`) go through tclQuote so they stay literal.
 * No shell. The builders refuse (OpenOcdValueError) what openocd itself would run as TCL:
 * braces or a backslash in a `-f` file or a `program` image (words.ts says why), control
 * characters anywhere, so whoever calls them, whatever the config said, nothing breaks out.
 */
import { adapterSpeedProblem, assertOpenOcdValue, OpenOcdValueError } from './words.js';
import { hex } from '../../core/hex.js';

export type OpenOcdTargetName = 'stm32f429' | 'rp2040' | 'nrf52840' | 'nrf9160' | 'generic';

export interface OpenOcdSetup {
  target: OpenOcdTargetName;
  /** e.g. 'interface/cmsis-dap.cfg' or a path to a rig file. */
  interfaceCfg: string;
  /** e.g. 'target/stm32f4x.cfg'; defaults per target (generic: none). */
  targetCfg?: string;
  adapterSerial?: string;
  /** Extra `-f` files from the rig (`configs: []`), loaded after the target cfg. */
  configs?: readonly string[];
  /** Overrides the per-target adapter speed (kHz). */
  adapterSpeedKhz?: number;
}

export const DEFAULT_TARGET_CFG: Record<OpenOcdTargetName, string | undefined> = {
  stm32f429: 'target/stm32f4x.cfg',
  rp2040: 'target/rp2040.cfg',
  nrf52840: 'target/nrf52.cfg',
  // Upstream OpenOCD after 0.12 (Debian's 0.12 has no nRF91 target: a rig names its own config then).
  nrf9160: 'target/nordic/nrf91.cfg',
  generic: undefined,
};

/**
 * The probe a bench of each target usually has when the rig names no interface: the Raspberry Pi
 * Debug Probe (CMSIS-DAP v2: the RP2040 needs multidrop SWD, which ST-LINK cannot do), the
 * Discovery board's on-board ST-LINK, the nRF52840-DK's on-board J-Link.
 */
export const DEFAULT_INTERFACE_CFG: Record<Exclude<OpenOcdTargetName, 'generic'>, string> = {
  rp2040: 'interface/cmsis-dap.cfg',
  stm32f429: 'interface/stlink.cfg',
  nrf52840: 'interface/jlink.cfg',
  // The nRF9160-DK's on-board probe is a J-Link OB too.
  nrf9160: 'interface/jlink.cfg',
};

/** rp2040.cfg sets no speed (warns and falls back to 100 kHz); 5000 as the Raspberry Pi docs. */
const DEFAULT_SPEED_KHZ: Partial<Record<OpenOcdTargetName, number>> = { rp2040: 5000 };

/**
 * Quotes one TCL word so that it is a literal: braces when that is safe (no braces or
 * backslashes inside), otherwise backslash-escapes every special character.
 */
export function tclQuote(value: string): string {
  if (value.length > 0 && !/[{}\\\n\r]/.test(value)) return `{${value}}`;
  if (value.length === 0) return '{}';
  return value.replace(/[\s\\{}[\]$";#]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return '\\' + c;
  });
}

/** An address or size as an OpenOCD command word; a RangeError for anything not a 32-bit unsigned integer. */
export function openOcdHex(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a 32-bit address/size: ${n}`);
  // OpenOCD's own documentation style; it reads either case.
  return hex(n, { lower: true });
}

/** The three servers off: two concurrent one-shot runs would otherwise collide on 3333/4444/6666. */
export const NO_SERVERS: readonly string[] = ['-c', 'gdb_port disabled', '-c', 'tcl_port disabled', '-c', 'telnet_port disabled'];

/** `-f interface -c "adapter serial X" [-c "adapter speed"] [-c "set USE_CORE 0"] -f target -f extra... + no servers`. */
export function baseArgv(s: OpenOcdSetup): string[] {
  checkOpenOcdSetup(s);
  const argv = ['-f', s.interfaceCfg];
  if (s.adapterSerial !== undefined) argv.push('-c', `adapter serial ${tclQuote(s.adapterSerial)}`);
  const speed = s.adapterSpeedKhz ?? DEFAULT_SPEED_KHZ[s.target];
  if (speed !== undefined) argv.push('-c', `adapter speed ${speed}`);
  // Core 0 only: replaces the deprecated rp2040-core0.cfg (reference §1.3).
  if (s.target === 'rp2040') argv.push('-c', 'set USE_CORE 0');
  const targetCfg = s.targetCfg ?? DEFAULT_TARGET_CFG[s.target];
  if (targetCfg !== undefined) argv.push('-f', targetCfg);
  for (const c of s.configs ?? []) argv.push('-f', c);
  argv.push(...NO_SERVERS);
  return argv;
}

/**
 * Throws OpenOcdValueError for the first value of `s` that openocd would not read literally,
 * naming it as the rig file does (probe.interface, probe.configs[1], …).
 */
export function checkOpenOcdSetup(s: OpenOcdSetup): void {
  assertOpenOcdValue('script', 'probe.interface', s.interfaceCfg);
  if (s.targetCfg !== undefined) assertOpenOcdValue('script', 'probe.target', s.targetCfg);
  (s.configs ?? []).forEach((c, i) => assertOpenOcdValue('script', `probe.configs[${i}]`, c));
  if (s.adapterSerial !== undefined) assertOpenOcdValue('word', 'probe.adapterSerial', s.adapterSerial);
  if (s.adapterSpeedKhz !== undefined) {
    const problem = adapterSpeedProblem(s.adapterSpeedKhz);
    if (problem !== undefined) throw new OpenOcdValueError('probe.adapterSpeedKhz', s.adapterSpeedKhz, problem);
  }
}

export interface ProgramOptions {
  verify?: boolean;
  reset?: boolean;
}

/**
 * `program FILE [ADDR] [verify] [reset] exit`. A raw binary needs its address; an ELF or Intel
 * HEX carries its own, and an address given with one is an OFFSET added to it, so pass none.
 */
export function programArgv(s: OpenOcdSetup, file: string, address: number | undefined, opts: ProgramOptions = {}): string[] {
  assertOpenOcdValue('image', 'image', file);
  const words = ['program', tclQuote(file), ...(address === undefined ? [] : [openOcdHex(address)])];
  if (opts.verify ?? true) words.push('verify');
  if (opts.reset ?? false) words.push('reset');
  words.push('exit');
  return [...baseArgv(s), '-c', words.join(' ')];
}

/** Halt before reading, except on the generic (fake) target whose reset cannot run. */
function haltCmds(s: OpenOcdSetup): string[] {
  return s.target === 'generic' ? ['-c', 'init'] : ['-c', 'init', '-c', 'reset halt'];
}

/** One run for all regions: `dump_image FILE ADDR SIZE` per region, then shutdown. */
export function dumpArgv(s: OpenOcdSetup, regions: readonly { file: string; base: number; size: number }[]): string[] {
  const argv = [...baseArgv(s), ...haltCmds(s)];
  for (const r of regions) {
    // dump_image is a C command: the quoted name reaches it whole, braces included.
    assertOpenOcdValue('word', 'dump file', r.file);
    if (!Number.isInteger(r.size) || r.size <= 0 || r.size > 0xffffffff || r.base + r.size > 0x1_0000_0000) throw new RangeError(`not a region size: ${r.size} at ${openOcdHex(r.base)}`);
    argv.push('-c', `dump_image ${tclQuote(r.file)} ${openOcdHex(r.base)} ${r.size}`);
  }
  argv.push('-c', 'shutdown');
  return argv;
}

/**
 * Mass erase per target. stm32: `stm32f2x mass_erase 0` (both banks: one bank #0 covers 2 MiB);
 * nrf52: `nrf5 mass_erase` on a halted chip; rp2040 and generic: erase the whole first bank.
 */
export function massEraseArgv(s: OpenOcdSetup): string[] {
  const cmd: Record<OpenOcdTargetName, string | undefined> = {
    stm32f429: 'stm32f2x mass_erase 0',
    nrf52840: 'nrf5 mass_erase',
    // Upstream's nRF91 support extends the nrf5 flash driver (inferred: not tried on a chip here).
    nrf9160: 'nrf5 mass_erase',
    rp2040: 'flash erase_sector 0 0 last',
    // A custom board (or the dummy-adapter fake): its first flash bank, whole.
    generic: 'flash erase_sector 0 0 last',
  };
  const c = cmd[s.target];
  if (c === undefined) throw new Error(`no mass erase defined for target ${s.target}`);
  return [...baseArgv(s), ...haltCmds(s), '-c', c, '-c', 'shutdown'];
}

/** nRF52 APPROTECT recovery (reference §1.4): ERASEALL through CTRL-AP; erases the chip. */
export function nrf52RecoverArgv(s: OpenOcdSetup): string[] {
  if (s.target !== 'nrf52840') throw new Error(`nrf52_recover is nRF52 only, not ${s.target}`);
  return [...baseArgv(s), '-c', 'init', '-c', 'nrf52_recover', '-c', 'shutdown'];
}

/** STM32F42x user option bytes: BFB2 is bit 0x10 of the 12-bit `user_options` (reference §1.2). */
export const STM32_BFB2 = 0x10;
const STM32_USER_OPTIONS_MASK = 0xffc;

export function stm32OptionsReadArgv(s: OpenOcdSetup): string[] {
  if (s.target !== 'stm32f429') throw new Error(`option bytes are stm32 only, not ${s.target}`);
  return [...baseArgv(s), '-c', 'init', '-c', 'reset halt', '-c', 'stm32f2x options_read 0', '-c', 'shutdown'];
}

/** Parses `stm32f2x user_options 0x0EC` from an options_read log; undefined if absent. */
export function parseStm32UserOptions(log: string): number | undefined {
  const m = /stm32f2x user_options (0x[0-9a-fA-F]+)/.exec(log);
  return m ? parseInt(m[1], 16) : undefined;
}

/** new = read | 0x10 to set BFB2, read & ~0x10 to clear; every other user bit kept as read. */
export function withBfb2(userOptions: number, bfb2: boolean): number {
  if (!Number.isInteger(userOptions) || (userOptions & ~STM32_USER_OPTIONS_MASK) !== 0) {
    throw new RangeError(`user_options outside 0xFFC: ${hex(userOptions, { width: 0, lower: true })}`);
  }
  return bfb2 ? userOptions | STM32_BFB2 : userOptions & ~STM32_BFB2;
}

export function stm32OptionsWriteArgv(s: OpenOcdSetup, userOptions: number): string[] {
  if (s.target !== 'stm32f429') throw new Error(`option bytes are stm32 only, not ${s.target}`);
  const v = withBfb2(userOptions, (userOptions & STM32_BFB2) !== 0);
  return [...baseArgv(s), '-c', 'init', '-c', 'reset halt', '-c', `stm32f2x options_write 0 ${hex(v, { width: 3 })}`, '-c', 'reset', '-c', 'shutdown'];
}
