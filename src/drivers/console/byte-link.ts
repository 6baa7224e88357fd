// The ByteLink contract lives in core/ so that the twin (a device, which must not import drivers/)
// and the drivers can both implement it; this re-export keeps the drivers' import paths stable.
export { Listeners, type ByteLink } from '../../core/byte-link.js';
