import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../../src/util/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['6h', 21_600_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['1d', 86_400_000],
    ['500ms', 500],
    ['2H', 7_200_000],
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '6', 'h', '6 hours', '-1h', '1.5h', 'soon'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('formatDuration', () => {
  it.each([
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [3_661_000, '1h1m1s'],
    [0, '0s'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
