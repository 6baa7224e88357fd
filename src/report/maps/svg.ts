/**
 * The few SVG-writing primitives the maps share. Plain strings, no library: a map is a report
 * attachment that must open in any browser and stay small.
 */

/**
 * Text safe in XML content and in a double-quoted attribute. Characters XML 1.0 forbids even when
 * escaped (C0 controls other than tab and newline, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so
 * a phase name or a reason read from a device can never make the document unparsable.
 */
export function esc(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- these are exactly the characters refused
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
  );
}

/** A coordinate with at most one decimal: sub-pixel precision is invisible and costs bytes on thousands of marks. */
export function n(value: number): string {
  const r = Math.round(value * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** `<title>` for a mark or band: the tooltip and what a screen reader says. */
export function title(text: string): string {
  return `<title>${esc(text)}</title>`;
}

/** Thousands separated, as the legend and the row labels print counts. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * A rough width of `text` at `size` px in a sans-serif font, to decide whether a label fits a band
 * (the real width depends on the viewer's font; this errs wide).
 */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

/**
 * A line of text that must fit `maxWidth` px at `fontSize`: cut with an ellipsis when its estimated
 * width (0.62 em a character, a bold sans-serif's average) would run past it, the whole text kept
 * in a <title> child, so a long image or rig name never runs off the map.
 */
export function fittedText(text: string, fontSize: number, maxWidth: number): string {
  const fits = Math.max(8, Math.floor(maxWidth / (0.62 * fontSize)));
  if (text.length <= fits) return esc(text);
  return `${title(text)}${esc(text.slice(0, fits - 1))}\u2026`;
}
