/**
 * Decides what a one-shot OpenOCD run did, from its log and exit code (reference §1.5, §2).
 * The exit code alone lies: `no flash bank found` ends with `** Programming Finished **`, exit 0.
 */

export type OpenOcdOutcome =
  'ok' | 'probe-missing' | 'config-error' | 'target-not-responding' | 'file-missing' | 'verify-mismatch' | 'flash-error' | 'outside-bank' | 'read-error' | 'timeout' | 'aborted' | 'unknown-error';

/** rig: the bench failed (exit 3, `broken`); device: the device did (a test failure). */
export type OpenOcdBlame = 'none' | 'rig' | 'device';

export const OUTCOME_BLAME: Record<OpenOcdOutcome, OpenOcdBlame> = {
  ok: 'none',
  'probe-missing': 'rig',
  'config-error': 'rig',
  'target-not-responding': 'rig',
  'file-missing': 'rig',
  timeout: 'rig',
  aborted: 'rig',
  'unknown-error': 'rig',
  'verify-mismatch': 'device',
  'flash-error': 'device',
  'outside-bank': 'device',
  'read-error': 'device',
};

/** Only these are worth another attempt: a probe re-enumerating after a power cut, a port race. */
export const TRANSIENT_OUTCOMES: ReadonlySet<OpenOcdOutcome> = new Set(['probe-missing']);

export interface Classification {
  outcome: OpenOcdOutcome;
  blame: OpenOcdBlame;
  /** The log line that decided it (or a synthetic description for timeout/exit codes). */
  line: string;
}

const RULES: readonly { outcome: OpenOcdOutcome; re: RegExp }[] = [
  // Adapter / probe not there (init fails in ms, exit 1).
  { outcome: 'probe-missing', re: /unable to find a matching CMSIS-DAP device/ },
  { outcome: 'probe-missing', re: /No J-Link device found/ },
  { outcome: 'probe-missing', re: /Error: open failed/ },
  { outcome: 'probe-missing', re: /couldn't bind \w+ to socket on port \d+: Address already in use/ },
  { outcome: 'probe-missing', re: /Couldn't export gpio/ },
  // Rig configuration wrong: not transient.
  { outcome: 'config-error', re: /Can't find \S+/ },
  { outcome: 'config-error', re: /The specified debug interface was not found/ },
  { outcome: 'config-error', re: /Debug adapter doesn't support '\w+' transport/ },
  { outcome: 'config-error', re: /invalid command name/ },
  // Probe up, target dead / unpowered / locked.
  { outcome: 'target-not-responding', re: /Error connecting DP: cannot read IDR/ },
  { outcome: 'target-not-responding', re: /init mode failed \(unable to connect to the target\)/ },
  { outcome: 'target-not-responding', re: /AP lock engaged/ },
  { outcome: 'target-not-responding', re: /examination failed/ },
  { outcome: 'target-not-responding', re: /Target not examined yet/ },
  { outcome: 'target-not-responding', re: /\*\* Unable to reset target \*\*/ },
  { outcome: 'target-not-responding', re: /\*\* OpenOCD init failed \*\*/ },
  // Image file.
  { outcome: 'file-missing', re: /couldn't open .*/ },
  // Verify.
  { outcome: 'verify-mismatch', re: /checksum mismatch - attempting binary compare/ },
  { outcome: 'verify-mismatch', re: /\*\* Verify Failed \*\*/ },
  // Flash erase/write.
  { outcome: 'flash-error', re: /failed erasing sectors \d+ to \d+/ },
  { outcome: 'flash-error', re: /stm32x device protected/ },
  { outcome: 'flash-error', re: /flash memory write protected/ },
  { outcome: 'flash-error', re: /error executing stm32x flash write algorithm/ },
  { outcome: 'flash-error', re: /Failed to write to nrf5 flash/ },
  { outcome: 'flash-error', re: /Failed to invoke ROM function/ },
  { outcome: 'flash-error', re: /Unknown flash device/ },
  { outcome: 'flash-error', re: /\*\* Programming Failed \*\*/ },
  // Partly or not written, although openocd exits 0.
  { outcome: 'outside-bank', re: /no flash bank found for address 0x[0-9a-fA-F]+/ },
  // Memory reads (dump_image).
  { outcome: 'read-error', re: /doesn't support read_memory/ },
  { outcome: 'read-error', re: /Error: Read error/ },
  { outcome: 'read-error', re: /error reading to flash at address/ },
];

/** The first line of `log` matching `re`, trimmed (the rule order above is the priority). */
function findLine(lines: readonly string[], re: RegExp): string | undefined {
  return lines.find((l) => re.test(l))?.trim();
}

export function classifyOpenOcd(log: string, exitCode: number | undefined, opts: { timedOut?: boolean; aborted?: boolean } = {}): Classification {
  const mk = (outcome: OpenOcdOutcome, line: string): Classification => ({ outcome, blame: OUTCOME_BLAME[outcome], line });
  if (opts.aborted) return mk('aborted', 'openocd was stopped by an abort signal');
  if (opts.timedOut) return mk('timeout', 'openocd did not finish in time and was killed');
  const lines = log.split(/\r?\n/);
  for (const rule of RULES) {
    const line = findLine(lines, rule.re);
    if (line !== undefined) return mk(rule.outcome, line);
  }
  if (exitCode === 0) return mk('ok', findLine(lines, /shutdown command invoked|\*\* (Verified OK|Programming Finished) \*\*/) ?? 'exit code 0');
  const lastError = [...lines]
    .reverse()
    .find((l) => /^Error:|Error:/.test(l))
    ?.trim();
  return mk('unknown-error', lastError ?? `openocd exited with code ${exitCode ?? 'none (killed)'}`);
}
