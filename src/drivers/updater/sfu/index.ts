/** SFU update path: the host uploader for Mirn's SFU bootloaders (RP2040-SFU, STM32F4 original). */
export { SfuUploader } from './uploader.js';
export { registerStages, resumeStage, stagesOf, type DeviceAnswer, type UpdateStage } from './stages.js';
export { uploadStages, type StagedResult } from './staged-upload.js';
export { askDevice } from './ask-device.js';
export type { SfuChannel, SfuFrameIn, SfuLineIn } from './channel.js';
export { describeChannel } from './channel.js';
export { DEFAULT_INFO_TIMEOUT_MS, DEFAULT_WRITE_BLOCK, MAX_WRITE_BLOCK, type SfuUploadOptions, type SfuUploaderOptions } from './options.js';
export type { SfuPhase, SfuProgress, SfuUploadResult, SfuUploadTiming } from './result.js';
export { SfuDeviceError, SfuLinkError, SfuStreamTooBigError } from './errors.js';
export { SFU_TIMING } from './timing.js';
export { padToWords } from './session.js';
export { SFU_PHASES, SFU_PHASE_TRANSITIONS } from './phases.js';
export { WriteWindow, type DataFrame, type ReplyOutcome, type WriteWindowOptions } from './write-window.js';
export { classifyVerdictLine, type VerdictLine } from './verdict.js';
export { payloadRate, wireLimit, type PayloadRate } from './rate.js';
export type { InfoReply } from '../../../protocols/sfu/index.js';
