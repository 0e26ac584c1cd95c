import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../../src/util/errors.ts';
import { sourceFiles } from '../source-files.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

describe('errorMessage', () => {
  it("an Error's message, without its name or stack; anything else thrown as text", () => {
    expect(errorMessage(new TypeError('fetch failed'))).toBe('fetch failed');
    expect(errorMessage('plain words')).toBe('plain words');
    expect(errorMessage(404)).toBe('404');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('is the one place that turns a thrown value into text: no module has its own', () => {
    const own = sourceFiles()
      .filter((file) => !file.endsWith(join('src', 'util', 'errors.ts')))
      .filter((file) => /instanceof Error\s*\?[^:]*\.message\s*:\s*String\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(own).toEqual([]);
  });
});
