/**
 * Throughput figures for benchmarks and reports. A UART at `baud` 8N1 carries baud/10 bytes per
 * second; every WRITE adds 16 bytes of frame (signature, code, size, address, CRC) to its data.
 */
import { FRAME_OVERHEAD } from '../../../protocols/sfu/index.js';
import { DEFAULT_WRITE_BLOCK } from './options.js';
import type { SfuUploadResult } from './result.js';

export interface PayloadRate {
  /** Payload bytes per second with the flash erase excluded (SfuUploadResult.bytesPerSecond). */
  bytesPerSecond: number;
  /** Raw line rate: baud / 10. */
  lineBytesPerSecond: number;
  /** Best payload rate WRITEs of `writeBlock` bytes can reach on this line. */
  limitBytesPerSecond: number;
  /** bytesPerSecond / limitBytesPerSecond. */
  ofLimit: number;
  /** bytesPerSecond / lineBytesPerSecond (the brief's "wire limit" ratio). */
  ofLine: number;
}

/** The best payload rate for `writeBlock`-byte WRITEs at `baud` (8N1). */
export function wireLimit(baud: number, writeBlock = DEFAULT_WRITE_BLOCK): number {
  return (baud / 10) * (writeBlock / (writeBlock + FRAME_OVERHEAD + 4));
}

export function payloadRate(result: Pick<SfuUploadResult, 'bytesPerSecond'>, baud: number, writeBlock = DEFAULT_WRITE_BLOCK): PayloadRate {
  const line = baud / 10;
  const limit = wireLimit(baud, writeBlock);
  return {
    bytesPerSecond: result.bytesPerSecond,
    lineBytesPerSecond: line,
    limitBytesPerSecond: limit,
    ofLimit: result.bytesPerSecond / limit,
    ofLine: result.bytesPerSecond / line,
  };
}
