import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Allure 3 embeds a Google Analytics loader in every report page and offers no switch for it.
 * Lab networks are often offline or private, and a test report should not phone home: strip
 * every <script> that loads from, or talks to, an analytics host.
 */
export function removeTrackingScripts(file: string): number {
  const html = readFileSync(file, 'utf8');
  let removed = 0;
  const cleaned = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, (tag) => {
    if (/googletagmanager|google-analytics|gtag\(|dataLayer/i.test(tag)) {
      removed++;
      return '';
    }
    return tag;
  });
  if (removed) writeFileSync(file, cleaned);
  return removed;
}

/** Addresses a page would fetch from the network (for tests and `hil doctor`). */
export function externalUrls(html: string): string[] {
  const urls = new Set<string>();
  for (const m of html.matchAll(/(?:src|href)\s*=\s*["'](https?:\/\/[^"']+)["']/gi)) urls.add(m[1]!);
  for (const m of html.matchAll(/https?:\/\/(?:www\.)?(?:googletagmanager|google-analytics)\.com[^\s"'<>)]*/gi)) urls.add(m[0]);
  return [...urls];
}
