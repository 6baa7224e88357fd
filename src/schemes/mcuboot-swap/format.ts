/** The MCUboot inspection's table: the neutral one (src/images/mcuboot-format.ts). */
export { formatMcubootInspection } from '../../images/mcuboot-format.js';
