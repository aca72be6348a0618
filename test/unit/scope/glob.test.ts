import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compileGlob, isLiteralGlob } from '../../../layers/core/scope/index.js';

/** Reference matcher: textbook dynamic programming over (pattern, value) prefixes. */
function referenceMatch(pattern: string, value: string): boolean {
  // row[j]: does the pattern prefix processed so far match value.slice(0, j)?
  let row: boolean[] = Array.from({ length: value.length + 1 }, (_, j) => j === 0);
  for (const p of pattern) {
    const next: boolean[] = new Array<boolean>(value.length + 1).fill(false);
    if (p === '*') {
      next[0] = row[0]!;
      for (let j = 1; j <= value.length; j++) next[j] = row[j]! || next[j - 1]!;
    } else {
      for (let j = 1; j <= value.length; j++) next[j] = row[j - 1]! && value[j - 1] === p;
    }
    row = next;
  }
  return row[value.length]!;
}

describe('compileGlob', () => {
  const cases: ReadonlyArray<readonly [pattern: string, value: string, expected: boolean]> = [
    ['nginx', 'nginx', true],
    ['nginx', 'nginx:1.25', false],
    ['nginx', 'ngin', false],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['**', 'x', true],
    ['nginx*', 'nginx', true],
    ['nginx*', 'nginx:1.25', true],
    ['nginx*', 'my-nginx', false],
    ['*:latest', 'nginx:latest', true],
    ['*:latest', ':latest', true],
    ['*:latest', 'nginx:latest-rc', false],
    ['registry/*/app', 'registry/team/app', true],
    ['registry/*/app', 'registry//app', true],
    ['registry/*/app', 'registry/team/app2', false],
    ['registry/*/app', 'other/team/app', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['*b*c*', 'xxbyycz', true],
    ['*b*c*', 'xxcyyb', false],
    ['a**b', 'ab', true],
    ['a***b', 'aXYb', true],
    ['*a**b*', 'ab', true],
    ['', '', true],
    ['', 'a', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['a*b*a', 'aba', true],
    ['a*bb*a', 'abba', true],
    ['a*bb*a', 'abbba', true],
    ['x*ab*ab*y', 'xaby', false],
    ['Nginx', 'nginx', false],
    ['nginx*', 'NGINX:1', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+', 'aa', false],
    ['a+', 'a+', true],
    ['(a|b)', 'a', false],
    ['(a|b)', '(a|b)', true],
    ['?', 'x', false],
    ['?', '?', true],
    ['[ab]', 'a', false],
    ['\\*', '\\anything', true],
    ['^a$', '^a$', true],
  ];

  it.each(cases)('matches %j against %j as %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });

  it('agrees with a reference matcher on random patterns and values', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 16 }),
        (pattern, value) => {
          expect(compileGlob(pattern)(value)).toBe(referenceMatch(pattern, value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with the reference matcher when the value is built to match', () => {
    const segment = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(segment, segment), { maxLength: 5 }), segment, (pairs, tail) => {
        // Pattern segments separated by stars; the value fills each star with filler.
        const pattern = pairs.map(([literal]) => literal).join('*') + (pairs.length > 0 ? '*' : '') + tail;
        const value = pairs.map(([literal, filler]) => literal + filler).join('') + tail;
        expect(referenceMatch(pattern, value)).toBe(true);
        expect(compileGlob(pattern)(value)).toBe(true);
      }),
    );
  });

  it('decides a pathological pattern on a long value without backtracking', () => {
    const matches = compileGlob('*a*a*a*a*a*a*a*a*b');
    expect(matches('a'.repeat(10_000))).toBe(false);
    expect(matches(`${'a'.repeat(10_000)}b`)).toBe(true);
  });
});

describe('isLiteralGlob', () => {
  it('is true only for patterns without a star', () => {
    expect(isLiteralGlob('nginx:1.25')).toBe(true);
    expect(isLiteralGlob('')).toBe(true);
    expect(isLiteralGlob('a.b?[c]')).toBe(true);
    expect(isLiteralGlob('*')).toBe(false);
    expect(isLiteralGlob('nginx*')).toBe(false);
  });
});
