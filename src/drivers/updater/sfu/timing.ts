/** Every wait of the SFU upload protocol, in clock milliseconds (reference/sfu-protocol.md §8). */
export const SFU_TIMING = {
  /** INFO is resent this often until the bootloader answers. */
  infoResendMs: 250,
  /** After a HWRESET the next INFO goes out this much later (the CLI's value). */
  infoAfterResetMs: 100,
  /** Slowest datasheet metadata-sector erase before the first 64 KiB block (W25Q: 0.4 s). */
  eraseSignBlockMs: 400,
  /** Slowest datasheet 64 KiB block erase (W25Q: 2 s). */
  eraseBlockMs: 2000,
  /** Added to every erase wait: frames on the wire, USB latency, host scheduling. */
  eraseMarginMs: 500,
  /**
   * Without a reply for this long during the write phase, an empty WRITE goes out (and again
   * every keepAliveMs while none comes): it restarts the device's 500 ms packet timer even when
   * the WRITEs themselves are being lost, and its answer says where the device is.
   */
  keepAliveMs: 300,
  /**
   * No frame at all for this long with WRITEs in flight: they (or their replies) are lost. The
   * window forgets them, and the next status poll's answer says where the device is. Far above
   * any path latency while replies flow (a pty's socat stalls up to ~0.2 s), far below noReplyMs.
   */
  expireAfterMs: 1000,
  /** No frame at all from the device for this long during the write phase: it stopped answering. */
  noReplyMs: 3000,
  /**
   * The device answers but its acknowledged address has not moved for this long: the WRITEs do not
   * get through. Generous, so that one 3840-byte WRITE at 9600 baud (4 s) still fits.
   */
  noProgressMs: 6000,
  /** Rewinds in a row without the device acknowledging anything new before giving up. */
  maxResyncs: 8,
  /** Back-off before resending after the k-th rewind in a row: 0, 25, 50, 100, then 200 ms. */
  backoffMs: (consecutive: number): number => (consecutive <= 1 ? 0 : Math.min(200, 25 * 2 ** (consecutive - 2))),
  /** A write the transport has not taken after this long is a stalled port. */
  writeStallMs: 5000,
  /** A write of ours stuck this long when the device sends TIMEOUT: the port, not the device, starved it (its packet timer is 500 ms). */
  stalledBeforeTimeoutMs: 400,
  /** START reply: the device flushes one page and answers; anything queued before it comes first. */
  startReplyMs: 2000,
  /** Console verdict after the START reply (signing reads the 1980 KiB slot and programs a page). */
  verdictMs: 3000,
} as const;
