import { describe, expect, test } from '@jest/globals';
import { classifyOpenOcd } from '../../src/protocols/openocd/index.js';

// Log lines quoted in reference/hardware-backends.md §1.5 / §2.
const cases: [string, string, number, string, string][] = [
  [
    'cmsis-dap missing',
    'Info : auto-selecting first available session transport "swd"\nError: unable to find a matching CMSIS-DAP device\n** OpenOCD init failed **\nshutdown command invoked',
    1,
    'probe-missing',
    'rig',
  ],
  ['st-link missing', "Info : clock speed 2000 kHz\nError: open failed\nin procedure 'program'\n** OpenOCD init failed **", 1, 'probe-missing', 'rig'],
  ['j-link missing', 'Error: No J-Link device found\n** OpenOCD init failed **', 1, 'probe-missing', 'rig'],
  ['missing cfg', "embedded:startup.tcl:28: Error: Can't find interface/picoprobe.cfg\nin procedure 'script'", 1, 'config-error', 'rig'],
  ['wrong transport', "Error: Debug adapter doesn't support 'swd' transport", 1, 'config-error', 'rig'],
  ['dead target cmsis-dap', 'Error: Error connecting DP: cannot read IDR\n** OpenOCD init failed **', 1, 'target-not-responding', 'rig'],
  ['dead target st-link', 'Error: init mode failed (unable to connect to the target)', 1, 'target-not-responding', 'rig'],
  ['not examined', 'Warn : target stm32f4x.cpu examination failed\nError: Target not examined yet\n** Unable to reset target **', 1, 'target-not-responding', 'rig'],
  ['file missing', "Error: couldn't open nonexist.bin\n** Programming Failed **", 1, 'file-missing', 'rig'],
  [
    'verify mismatch',
    '** Verify Started **\nError: checksum mismatch - attempting binary compare\ndiff 0 address 0x08000000. Was 0xff instead of 0x12\nNo more differences found.\n** Verify Failed **',
    1,
    'verify-mismatch',
    'device',
  ],
  ['flash error', 'Error: failed erasing sectors 12 to 13\n** Programming Failed **', 1, 'flash-error', 'device'],
  ['nrf5 write', 'Error: Failed to write to nrf5 flash\n** Programming Failed **', 1, 'flash-error', 'device'],
  ['outside bank, exit 0', '** Programming Started **\nWarn : no flash bank found for address 0x09000000\n** Programming Finished **\nshutdown command invoked', 0, 'outside-bank', 'device'],
  ['port clash', "Error: couldn't bind tcl to socket on port 6666: Address already in use", 1, 'probe-missing', 'rig'],
  ['success', '** Programming Started **\n** Programming Finished **\n** Verify Started **\n** Verified OK **\n** Resetting Target **\nshutdown command invoked', 0, 'ok', 'none'],
];

describe('classifyOpenOcd on the reference log lines', () => {
  test.each(cases)('%s', (_name, log, code, outcome, blame) => {
    const c = classifyOpenOcd(log, code);
    expect(c.outcome).toBe(outcome);
    expect(c.blame).toBe(blame);
    expect(log).toContain(c.line);
  });

  test('the dummy adapter JTAG "Error:" noise does not fail a finished program', () => {
    const log =
      'Error: double-check your JTAG setup (interface, speed, ...)\nError: fake.cpu: IR capture error; saw 0x0f not 0x01\n** Programming Started **\n** Programming Finished **\nshutdown command invoked';
    expect(classifyOpenOcd(log, 0).outcome).toBe('ok');
  });

  test('a non-zero exit with no known line is an unknown rig error naming the last Error line', () => {
    const c = classifyOpenOcd('Error: something new', 1);
    expect(c).toEqual({ outcome: 'unknown-error', blame: 'rig', line: 'Error: something new' });
  });

  test('timeout and abort win over the log', () => {
    expect(classifyOpenOcd('', undefined, { timedOut: true }).outcome).toBe('timeout');
    expect(classifyOpenOcd('', undefined, { aborted: true }).outcome).toBe('aborted');
  });
});
