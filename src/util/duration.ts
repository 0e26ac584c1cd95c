/** Parses durations such as `6h`, `90m`, `1h30m` or `45s` into milliseconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '').toLowerCase();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(compact)) return undefined;
  const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (unitMs[unit as string] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** `6h`, `1h30m`, `45s`: the inverse of parseDuration for whole seconds, for messages and summaries. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (seconds >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join('');
}
