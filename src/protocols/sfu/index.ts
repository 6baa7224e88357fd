/** Pure SFU protocol library: framing, CRCs, command bodies and BIN2Page (no I/O, no timers). */
export * from './constants.js';
export * from './crc.js';
export * from './frame.js';
export * from './commands.js';
export * from './bin2page.js';
export * from './stream-check.js';
