// Transcript and timeline excerpts for a cut's attachments (src/testing/excerpt.ts): a boot loop's
// thousands of lines shrink to the start, the window around the cut and the end, and the lines left
// out are counted in place.
import { describe, expect, it } from '@jest/globals';
import { timelineExcerpt, transcriptExcerpt } from '../../src/testing/excerpt.js';

describe('excerpts', () => {
  it('keeps a short transcript whole', () => {
    const text = '[ -1.0000] a\n[  0.5000] b\n';
    expect(transcriptExcerpt(text)).toBe(text);
  });

  it('cuts a long transcript around the cut, with the start and the end', () => {
    const lines = [...Array.from({ length: 500 }, (_, i) => `[ -${(500 - i).toFixed(4)}] before ${i}`), ...Array.from({ length: 5000 }, (_, i) => `[ ${(i + 1).toFixed(4)}] after ${i}`)];
    const out = transcriptExcerpt(lines.join('\n') + '\n')
      .trimEnd()
      .split('\n');
    expect(out[0]).toBe(lines[0]);
    expect(out).toContain('[ -1.0000] before 499');
    expect(out).toContain('[ 1.0000] after 0');
    expect(out.at(-1)).toBe(lines.at(-1));
    expect(out.filter((l) => l.startsWith('…'))).toEqual(['… 462 lines left out (the whole console: run the repro line) …', '… 4910 lines left out (the whole console: run the repro line) …']);
    expect(out.length).toBeLessThan(140);
  });

  it('leaves the console lines out of the timeline and centres it on the cut', () => {
    const lines = [
      ...Array.from({ length: 300 }, (_, i) => `    ${i}.0000s  power    on`),
      '  300.0000s  console  line  hello',
      '  301.0000s  cut      fire  12 ms',
      ...Array.from({ length: 300 }, (_, i) => `  ${i + 302}.0000s  twin     boot:app`),
    ];
    const out = timelineExcerpt(lines.join('\n')).trimEnd().split('\n');
    expect(out[0]).toBe('(console lines: see the console transcript)');
    expect(out.some((l) => l.includes('console  line'))).toBe(false);
    expect(out).toContain('  301.0000s  cut      fire  12 ms');
    expect(out.length).toBeLessThan(120);
  });
});
