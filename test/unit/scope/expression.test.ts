import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  SCOPE_LIMITS,
  ScopeParseError,
  formatScopeExpression,
  parseScopeExpression,
  variablesUsed,
} from '../../../layers/core/scope/index.js';
import type { ScopeExpression, ScopeParseErrorCode } from '../../../layers/core/scope/index.js';

/** Strips positions so trees can be compared by shape. */
type Shape = { kind: 'var'; index: number } | { kind: 'not'; operand: Shape } | { kind: 'and' | 'or'; left: Shape; right: Shape };

function shape(expr: ScopeExpression): Shape {
  switch (expr.kind) {
    case 'var':
      return { kind: 'var', index: expr.index };
    case 'not':
      return { kind: 'not', operand: shape(expr.operand) };
    default:
      return { kind: expr.kind, left: shape(expr.left), right: shape(expr.right) };
  }
}

const v = (index: number): Shape => ({ kind: 'var', index });
const not = (operand: Shape): Shape => ({ kind: 'not', operand });
const and = (left: Shape, right: Shape): Shape => ({ kind: 'and', left, right });
const or = (left: Shape, right: Shape): Shape => ({ kind: 'or', left, right });

function parseShape(source: string, variableCount = 9): Shape {
  return shape(parseScopeExpression(source, variableCount));
}

function parseError(source: string, variableCount = 3): ScopeParseError {
  try {
    parseScopeExpression(source, variableCount);
  } catch (error) {
    if (error instanceof ScopeParseError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
}

function maxIndex(expr: ScopeExpression): number {
  return Math.max(...variablesUsed(expr));
}

/** Random trees of bounded depth, leaning towards leaves so they stay small. */
function expressionArbitrary(maxDepth: number, variableCount: number): fc.Arbitrary<ScopeExpression> {
  const leaf: fc.Arbitrary<ScopeExpression> = fc
    .integer({ min: 1, max: variableCount })
    .map((index) => ({ kind: 'var', index, position: 0 }));
  let current = leaf;
  for (let depth = 1; depth <= maxDepth; depth++) {
    const child = current;
    current = fc.oneof(
      { arbitrary: leaf, weight: 3 },
      { arbitrary: child.map((operand): ScopeExpression => ({ kind: 'not', operand })), weight: 1 },
      { arbitrary: fc.tuple(child, child).map(([left, right]): ScopeExpression => ({ kind: 'and', left, right })), weight: 2 },
      { arbitrary: fc.tuple(child, child).map(([left, right]): ScopeExpression => ({ kind: 'or', left, right })), weight: 2 },
    );
  }
  return current;
}

describe('parseScopeExpression', () => {
  it('parses a single variable with its position', () => {
    expect(parseScopeExpression('  v2 ', 3)).toEqual({ kind: 'var', index: 2, position: 2 });
  });

  it('records the position of every variable reference', () => {
    expect(parseScopeExpression('v1 && !v3', 3)).toEqual({
      kind: 'and',
      left: { kind: 'var', index: 1, position: 0 },
      right: { kind: 'not', operand: { kind: 'var', index: 3, position: 7 } },
    });
  });

  it('binds "!" tighter than "&&" and "&&" tighter than "||"', () => {
    expect(parseShape('v1 || v2 && v3')).toEqual(or(v(1), and(v(2), v(3))));
    expect(parseShape('v1 && v2 || v3')).toEqual(or(and(v(1), v(2)), v(3)));
    expect(parseShape('!v1 && v2')).toEqual(and(not(v(1)), v(2)));
    expect(parseShape('!v1 || !v2 && v3')).toEqual(or(not(v(1)), and(not(v(2)), v(3))));
  });

  it('associates "&&" and "||" to the left', () => {
    expect(parseShape('v1 && v2 && v3')).toEqual(and(and(v(1), v(2)), v(3)));
    expect(parseShape('v1 || v2 || v3')).toEqual(or(or(v(1), v(2)), v(3)));
  });

  it('lets parentheses override precedence and associativity', () => {
    expect(parseShape('(v1 || v2) && v3')).toEqual(and(or(v(1), v(2)), v(3)));
    expect(parseShape('v1 && (v2 && v3)')).toEqual(and(v(1), and(v(2), v(3))));
    expect(parseShape('!(v1 && v2)')).toEqual(not(and(v(1), v(2))));
    expect(parseShape('((v1))')).toEqual(v(1));
  });

  it('parses chained negations', () => {
    expect(parseShape('!!v1')).toEqual(not(not(v(1))));
    expect(parseShape('! ! (v1)')).toEqual(not(not(v(1))));
  });

  it('accepts arbitrary whitespace, including none', () => {
    expect(parseShape('v1&&!v2||v3')).toEqual(or(and(v(1), not(v(2))), v(3)));
    expect(parseShape('\n\tv1 \r\n &&\t( v2||v3 )  ')).toEqual(and(v(1), or(v(2), v(3))));
  });

  it('accepts multi-digit variable numbers', () => {
    expect(parseShape('v10 && v64', 64)).toEqual(and(v(10), v(64)));
  });

  it('rejects an unknown variable with its position', () => {
    const error = parseError('v1 && v2 || v7', 3);
    expect(error).toMatchObject({ code: 'unknown_variable', position: 12 });
    expect(error.message).toBe('unknown variable v7 at position 12: only v1..v3 are defined');
  });

  it('treats v0 as an unknown variable', () => {
    expect(parseError('v1 || v0', 3)).toMatchObject({
      code: 'unknown_variable',
      position: 6,
      message: 'unknown variable v0 at position 6: only v1..v3 are defined',
    });
  });

  it('names the defined variables precisely when there are none or one', () => {
    expect(parseError('v1', 0).message).toBe('unknown variable v1 at position 0: no variables are defined');
    expect(parseError('v2', 1).message).toBe('unknown variable v2 at position 0: only v1 is defined');
  });

  it('rejects a huge variable number as unknown', () => {
    expect(parseError('v99999999999999999999', 3)).toMatchObject({ code: 'unknown_variable', position: 0 });
  });

  it('rejects leading zeros in a variable number', () => {
    expect(parseError('v1 && v01', 3)).toMatchObject({
      code: 'invalid_token',
      position: 6,
      message: 'invalid variable "v01" at position 6 (variable numbers have no leading zeros)',
    });
  });

  it('rejects a single "&" or "|" and suggests the operator', () => {
    expect(parseError('v1 & v2')).toMatchObject({
      code: 'invalid_token',
      position: 3,
      message: 'unexpected character "&" at position 3 (did you mean "&&"?)',
    });
    expect(parseError('v1 |v2')).toMatchObject({
      code: 'invalid_token',
      position: 3,
      message: 'unexpected character "|" at position 3 (did you mean "||"?)',
    });
  });

  it('rejects word operators and suggests the symbol', () => {
    expect(parseError('v1 and v2')).toMatchObject({
      code: 'invalid_token',
      position: 3,
      message: 'invalid token "and" at position 3 (did you mean "&&"?)',
    });
    expect(parseError('not v1').message).toBe('invalid token "not" at position 0 (did you mean "!"?)');
  });

  it('rejects words that are not variables', () => {
    expect(parseError('v1 || V2')).toMatchObject({
      code: 'invalid_token',
      position: 6,
      message: 'invalid token "V2" at position 6 (a variable is "v" followed by its number, like "v1")',
    });
    expect(parseError('v')).toMatchObject({ code: 'invalid_token', position: 0 });
    expect(parseError('v1x')).toMatchObject({ code: 'invalid_token', position: 0 });
  });

  it('rejects an unexpected character, showing invisible ones by code point', () => {
    expect(parseError('v1 # v2')).toMatchObject({
      code: 'invalid_token',
      position: 3,
      message: 'unexpected character "#" at position 3',
    });
    expect(parseError('v1\u00a0&& v2')).toMatchObject({
      code: 'invalid_token',
      position: 2,
      message: 'unexpected character U+00A0 at position 2',
    });
  });

  it('rejects an operator where an operand is expected', () => {
    expect(parseError('v1 && && v2')).toMatchObject({
      code: 'unexpected_token',
      position: 6,
      message: 'unexpected "&&" at position 6: expected a variable, "!" or "("',
    });
    expect(parseError('|| v1')).toMatchObject({ code: 'unexpected_token', position: 0 });
    expect(parseError('()')).toMatchObject({ code: 'unexpected_token', position: 1 });
  });

  it('rejects an operand where an operator is expected', () => {
    expect(parseError('v1 v2')).toMatchObject({
      code: 'unexpected_token',
      position: 3,
      message: 'unexpected "v2" at position 3: expected "&&", "||" or the end of the expression',
    });
    expect(parseError('(v1 !v2)')).toMatchObject({
      code: 'unexpected_token',
      position: 4,
      message: 'unexpected "!" at position 4: expected "&&", "||" or ")"',
    });
  });

  it('rejects an unbalanced closing parenthesis', () => {
    expect(parseError('(v1)) && v2')).toMatchObject({
      code: 'unexpected_token',
      position: 4,
      message: 'unexpected ")" at position 4: there is no "(" to close',
    });
  });

  it('rejects an expression that ends early', () => {
    expect(parseError('v1 && ')).toMatchObject({
      code: 'unexpected_end',
      position: 6,
      message: 'unexpected end of expression at position 6: expected a variable, "!" or "("',
    });
    expect(parseError('!')).toMatchObject({ code: 'unexpected_end', position: 1 });
  });

  it('rejects an unclosed parenthesis, pointing at where it opened', () => {
    expect(parseError('v1 && (v2 || v3')).toMatchObject({
      code: 'unexpected_end',
      position: 15,
      message: 'unexpected end of expression at position 15: expected ")" to close the "(" at position 6',
    });
  });

  it('rejects an empty or blank expression at position 0', () => {
    expect(parseError('')).toMatchObject({ code: 'unexpected_end', position: 0 });
    expect(parseError(' \t\n ')).toMatchObject({ code: 'unexpected_end', position: 0 });
  });

  it('reports the leftmost problem first', () => {
    expect(parseError(') & v9')).toMatchObject({ code: 'unexpected_token', position: 0 });
    expect(parseError('v9 # )')).toMatchObject({ code: 'unknown_variable', position: 0 });
  });

  it('rejects an expression longer than the limit before looking at it', () => {
    const source = `v1${' '.repeat(1098)}`;
    expect(source).toHaveLength(1100);
    expect(parseError(source)).toMatchObject({
      code: 'too_long',
      position: 1024,
      message: 'expression is 1100 characters long; the limit is 1024',
    });
    expect(parseError('#'.repeat(SCOPE_LIMITS.maxExpressionLength + 1)).code).toBe('too_long');
  });

  it('accepts an expression exactly at the length limit', () => {
    const source = `v1${' '.repeat(SCOPE_LIMITS.maxExpressionLength - 2)}`;
    expect(parseShape(source)).toEqual(v(1));
  });

  it('accepts nesting up to the depth limit', () => {
    const depth = SCOPE_LIMITS.maxDepth;
    expect(parseShape(`${'('.repeat(depth)}v1${')'.repeat(depth)}`)).toEqual(v(1));
    expect(parseScopeExpression(`${'!'.repeat(depth)}v1`, 1)).toBeDefined();
    expect(parseScopeExpression(`${'!('.repeat(depth / 2)}v1${')'.repeat(depth / 2)}`, 1)).toBeDefined();
  });

  it('rejects parentheses nested deeper than the limit at the offending one', () => {
    const depth = SCOPE_LIMITS.maxDepth + 1;
    expect(parseError(` ${'('.repeat(depth)}v1${')'.repeat(depth)}`)).toMatchObject({
      code: 'too_deep',
      position: 33,
      message: 'nesting deeper than 32 at position 33',
    });
  });

  it('rejects chained negations deeper than the limit', () => {
    expect(parseError(`${'!'.repeat(SCOPE_LIMITS.maxDepth + 1)}v1`)).toMatchObject({
      code: 'too_deep',
      position: 32,
    });
  });

  it('counts parentheses and negations together towards the depth', () => {
    expect(parseError(`${'!('.repeat(17)}v1${')'.repeat(17)}`)).toMatchObject({ code: 'too_deep', position: 32 });
  });

  it('rejects pathological nesting without overflowing the stack', () => {
    const source = '('.repeat(SCOPE_LIMITS.maxExpressionLength);
    expect(parseError(source).code).toBe('too_deep');
    expect(parseError('!'.repeat(SCOPE_LIMITS.maxExpressionLength)).code).toBe('too_deep');
  });

  it('does not count long "&&" and "||" chains as nesting', () => {
    const terms = Array.from({ length: 200 }, (_, i) => `v${(i % 64) + 1}`);
    expect(() => parseScopeExpression(terms.join('&&'), 64)).not.toThrow();
    expect(() => parseScopeExpression(terms.join('||'), 64)).not.toThrow();
  });

  it('accepts all 64 variables', () => {
    const source = Array.from({ length: SCOPE_LIMITS.maxVariables }, (_, i) => `v${i + 1}`).join(' || ');
    expect(variablesUsed(parseScopeExpression(source, SCOPE_LIMITS.maxVariables)).size).toBe(64);
    expect(parseError('v65', SCOPE_LIMITS.maxVariables).code).toBe('unknown_variable');
  });

  it('treats a variable count beyond the limit as a programming error', () => {
    expect(() => parseScopeExpression('v1', SCOPE_LIMITS.maxVariables + 1)).toThrow(RangeError);
    expect(() => parseScopeExpression('v1', -1)).toThrow(RangeError);
    expect(() => parseScopeExpression('v1', 1.5)).toThrow(RangeError);
  });

  it('throws only ScopeParseError for any string', () => {
    const check = (source: string): void => {
      try {
        parseScopeExpression(source, 3);
      } catch (error) {
        expect(error).toBeInstanceOf(ScopeParseError);
        const { code, position } = error as ScopeParseError;
        expect(position).toBeGreaterThanOrEqual(0);
        expect(position).toBeLessThanOrEqual(source.length);
        expect(codes).toContain(code);
      }
    };
    const codes: readonly ScopeParseErrorCode[] = [
      'too_long',
      'too_deep',
      'unexpected_token',
      'unexpected_end',
      'unknown_variable',
      'invalid_token',
    ];
    fc.assert(fc.property(fc.string({ maxLength: 1100 }), check), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 500 });
    const grammarish = fc.string({ unit: fc.constantFrom(...'v0123456789&|!() '), maxLength: 200 });
    fc.assert(fc.property(grammarish, check), { numRuns: 3000 });
  });

  it('parses what formatScopeExpression prints back to the same tree', () => {
    fc.assert(
      fc.property(expressionArbitrary(10, 12), (tree) => {
        const printed = formatScopeExpression(tree);
        fc.pre(printed.length <= SCOPE_LIMITS.maxExpressionLength);
        expect(shape(parseScopeExpression(printed, maxIndex(tree)))).toEqual(shape(tree));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatScopeExpression', () => {
  it('prints with the fewest parentheses that keep the tree', () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['v1', 'v1'],
      ['((v1))', 'v1'],
      ['(v1 && v2) || v3', 'v1 && v2 || v3'],
      ['v1 && (v2 || v3)', 'v1 && (v2 || v3)'],
      ['(v1 && v2) && v3', 'v1 && v2 && v3'],
      ['v1 && (v2 && v3)', 'v1 && (v2 && v3)'],
      ['v1 || (v2 || v3)', 'v1 || (v2 || v3)'],
      ['v1 || (v2 && v3)', 'v1 || v2 && v3'],
      ['!(v1)', '!v1'],
      ['!(v1 || v2)', '!(v1 || v2)'],
      ['!!v1', '!!v1'],
      ['!(!v1 && v2)', '!(!v1 && v2)'],
    ];
    for (const [source, printed] of cases) expect(formatScopeExpression(parseScopeExpression(source, 3))).toBe(printed);
  });

  it('is a fixed point on its own output', () => {
    fc.assert(
      fc.property(expressionArbitrary(8, 5), (tree) => {
        const printed = formatScopeExpression(tree);
        fc.pre(printed.length <= SCOPE_LIMITS.maxExpressionLength);
        expect(formatScopeExpression(parseScopeExpression(printed, 5))).toBe(printed);
      }),
    );
  });
});

describe('variablesUsed', () => {
  it('collects each referenced variable once', () => {
    expect(variablesUsed(parseScopeExpression('v3 && !(v1 || v3)', 3))).toEqual(new Set([1, 3]));
  });

  it('handles a long left-deep chain', () => {
    const source = Array.from({ length: 250 }, () => 'v2').join('&&');
    expect(variablesUsed(parseScopeExpression(source, 2))).toEqual(new Set([2]));
  });
});
