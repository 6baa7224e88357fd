/** What an SFU upload reports, as it goes (progress) and at the end (result). */
import type { InfoReply } from '../../../protocols/sfu/index.js';

export type SfuPhase = 'info' | 'erase' | 'write' | 'start' | 'sign' | 'done';

export interface SfuProgress {
  phase: SfuPhase;
  /** Stream bytes the device has acknowledged (its next expected address - slot base). */
  acked: number;
  /** Stream bytes to send (padded to whole words). */
  total: number;
  /** During the erase: 64 KiB blocks erased so far (ERASE_PART) and how many the erase takes. */
  erase?: { blocks: number; of: number };
}

/** Clock milliseconds, relative to the start of upload(); absent for what did not happen. */
export interface SfuUploadTiming {
  infoReply: number;
  eraseSent: number;
  firstErasePart?: number;
  eraseReply: number;
  firstWrite?: number;
  lastAck: number;
  startReply: number;
  /** The SIGNED (or, on an SFU 0x0100 device, CRC OK) line. */
  verdict?: number;
  end: number;
}

export interface SfuUploadResult {
  /** The upload ended signed (SFU 0x0100 devices, which never sign: with `CRC OK`). */
  ok: boolean;
  /** `NEW CRC32 IEEE802.3 SIGNED` was seen after START. */
  signed: boolean;
  /** Slot base from the START reply. */
  slotBase: number;
  /** Slot base INFO announced before the ERASE (offset 24): where the stream was meant to go. */
  announcedSlotBase: number;
  /** Stream bytes sent, padded to a multiple of 4 (what ERASE, WRITE and START counted). */
  bytes: number;
  /** SFU CRC of the padded stream; the device's START reply matched it. */
  crc: number;
  /** The whole upload: first INFO to the verdict line (or its timeout). */
  seconds: number;
  /**
   * Payload rate the upload sustained on the line (in practice the steady write phase): the best
   * "bytes handed to the transport after one moment and acknowledged by a later one, over the
   * time between them" (see UploadSession.steadyRate). Never above what the line carries.
   */
  bytesPerSecond: number;
  /** Times the host rewound to the device's acknowledged address after a lost frame. */
  resyncs: number;
  info: InfoReply;
  /** Stream bytes sent before the ERASE reply (pre-write). */
  prewrittenBytes: number;
  /** WRITE frames sent, resends and status polls included. */
  writeFrames: number;
  /** Empty WRITEs sent as status poll / keep-alive. */
  polls: number;
  /** Which line settled the result: 'signed', 'crc-ok' (SFU 0x0100), or 'none' (nothing within the wait). */
  verdict: 'signed' | 'crc-ok' | 'none';
  timing: SfuUploadTiming;
}
