/**
 * A user's value as quoted in a config message. Apart from fields.ts so that modules which only
 * quote a value (trigger parsing, on a sweep worker's start-up path) do not load zod with it.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  // A 200 KiB value must not become a 200 KiB error line.
  if (typeof value === 'string') return value.length > 80 ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} characters)` : JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
