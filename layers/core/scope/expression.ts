/**
 * The boolean formula of a scope: variables `v1`..`vN` combined with `&&`,
 * `||`, `!` and parentheses. Precedence is `!` > `&&` > `||`; binary
 * operators associate to the left.
 *
 * The formula is written by policy authors and evaluated for every workload,
 * so parsing is strict, bounded and reports errors with a position; nothing
 * here can be coaxed into unbounded recursion or a runtime regex.
 */

/** A parsed scope formula; `index` is 1-based and `position` is the 0-based offset of the reference. */
export type ScopeExpression =
  | { readonly kind: 'var'; readonly index: number; readonly position: number }
  | { readonly kind: 'not'; readonly operand: ScopeExpression }
  | { readonly kind: 'and'; readonly left: ScopeExpression; readonly right: ScopeExpression }
  | { readonly kind: 'or'; readonly left: ScopeExpression; readonly right: ScopeExpression };

/** Bounds that keep parsing, storage and evaluation of a scope cheap and predictable. */
export const SCOPE_LIMITS = { maxVariables: 64, maxExpressionLength: 1024, maxDepth: 32 } as const;

/** Why a scope formula was rejected. */
export type ScopeParseErrorCode = 'too_long' | 'too_deep' | 'unexpected_token' | 'unexpected_end' | 'unknown_variable' | 'invalid_token';

/** The only error the parser throws for a malformed formula; `position` is a 0-based offset into it. */
export class ScopeParseError extends Error {
  readonly code: ScopeParseErrorCode;
  readonly position: number;

  constructor(code: ScopeParseErrorCode, position: number, message: string) {
    super(message);
    this.name = 'ScopeParseError';
    this.code = code;
    this.position = position;
  }
}

type Token =
  | { readonly kind: 'var'; readonly index: number; readonly text: string; readonly position: number }
  | { readonly kind: 'and' | 'or' | 'not' | 'open' | 'close'; readonly text: string; readonly position: number }
  | { readonly kind: 'end'; readonly position: number };

const EXPECTED_OPERAND = 'expected a variable, "!" or "("';

// Authors coming from other languages reach for these words; naming the
// operator they meant makes the error actionable.
const WORD_HINTS: ReadonlyMap<string, string> = new Map([
  ['and', '&&'],
  ['AND', '&&'],
  ['or', '||'],
  ['OR', '||'],
  ['not', '!'],
  ['NOT', '!'],
]);

const MAX_SHOWN_WORD = 24;

function isWhitespace(code: number): boolean {
  // space, \t, \n, \v, \f, \r
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isWordChar(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}

/** Shows a character so that invisible or look-alike ones are unambiguous in a message. */
function describeCharacter(source: string, position: number): string {
  const codePoint = source.codePointAt(position) ?? 0;
  if (codePoint >= 0x21 && codePoint <= 0x7e) return `"${String.fromCodePoint(codePoint)}"`;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function describeToken(token: Token): string {
  return token.kind === 'end' ? 'end of expression' : `"${token.text}"`;
}

function describeDefined(variableCount: number): string {
  if (variableCount === 0) return 'no variables are defined';
  if (variableCount === 1) return 'only v1 is defined';
  return `only v1..v${variableCount} are defined`;
}

function shorten(word: string): string {
  return word.length <= MAX_SHOWN_WORD ? word : `${word.slice(0, MAX_SHOWN_WORD)}…`;
}

/** A lazy tokenizer, so that the leftmost problem is the one reported. */
class Lexer {
  private cursor = 0;
  private peeked: Token | undefined;

  constructor(private readonly source: string) {}

  peek(): Token {
    this.peeked ??= this.scan();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  private scan(): Token {
    const source = this.source;
    while (this.cursor < source.length && isWhitespace(source.charCodeAt(this.cursor))) this.cursor++;
    const position = this.cursor;
    if (position >= source.length) return { kind: 'end', position };

    const char = source.charAt(position);
    const following = source.charAt(position + 1);
    switch (char) {
      case '(':
        this.cursor++;
        return { kind: 'open', text: char, position };
      case ')':
        this.cursor++;
        return { kind: 'close', text: char, position };
      case '!':
        this.cursor++;
        return { kind: 'not', text: char, position };
      case '&':
      case '|':
        if (following !== char) {
          throw new ScopeParseError(
            'invalid_token',
            position,
            `unexpected character "${char}" at position ${position} (did you mean "${char}${char}"?)`,
          );
        }
        this.cursor += 2;
        return { kind: char === '&' ? 'and' : 'or', text: char + char, position };
      default:
        break;
    }

    if (!isWordChar(source.charCodeAt(position))) {
      throw new ScopeParseError(
        'invalid_token',
        position,
        `unexpected character ${describeCharacter(source, position)} at position ${position}`,
      );
    }
    let end = position;
    while (end < source.length && isWordChar(source.charCodeAt(end))) end++;
    this.cursor = end;
    return this.variable(source.slice(position, end), position);
  }

  private variable(word: string, position: number): Token {
    const digits = word.slice(1);
    let wellFormed = word.startsWith('v') && digits.length > 0;
    for (let i = 0; wellFormed && i < digits.length; i++) wellFormed = isDigit(digits.charCodeAt(i));
    if (!wellFormed) {
      const hint = WORD_HINTS.get(word);
      const advice = hint !== undefined ? `did you mean "${hint}"?` : 'a variable is "v" followed by its number, like "v1"';
      throw new ScopeParseError('invalid_token', position, `invalid token "${shorten(word)}" at position ${position} (${advice})`);
    }
    if (digits.length > 1 && digits.startsWith('0')) {
      throw new ScopeParseError(
        'invalid_token',
        position,
        `invalid variable "${shorten(word)}" at position ${position} (variable numbers have no leading zeros)`,
      );
    }
    // Long digit runs are out of range anyway; capping them keeps the number exact.
    const index = digits.length > 6 ? Number.MAX_SAFE_INTEGER : Number(digits);
    return { kind: 'var', index, text: word, position };
  }
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(
    source: string,
    private readonly variableCount: number,
  ) {
    this.lexer = new Lexer(source);
  }

  parse(): ScopeExpression {
    const expression = this.parseOr();
    const token = this.lexer.next();
    if (token.kind === 'end') return expression;
    if (token.kind === 'close') {
      throw new ScopeParseError(
        'unexpected_token',
        token.position,
        `unexpected ")" at position ${token.position}: there is no "(" to close`,
      );
    }
    throw new ScopeParseError(
      'unexpected_token',
      token.position,
      `unexpected ${describeToken(token)} at position ${token.position}: expected "&&", "||" or the end of the expression`,
    );
  }

  // Binary chains are loops, not recursion, so only "(" and "!" deepen the
  // call stack, and both are bounded by the depth limit.
  private parseOr(): ScopeExpression {
    let left = this.parseAnd();
    while (this.lexer.peek().kind === 'or') {
      this.lexer.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): ScopeExpression {
    let left = this.parseUnary();
    while (this.lexer.peek().kind === 'and') {
      this.lexer.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): ScopeExpression {
    let negations = 0;
    while (this.lexer.peek().kind === 'not') {
      this.enter(this.lexer.next().position);
      negations++;
    }
    let expression = this.parsePrimary();
    for (let i = 0; i < negations; i++) expression = { kind: 'not', operand: expression };
    this.depth -= negations;
    return expression;
  }

  private parsePrimary(): ScopeExpression {
    const token = this.lexer.next();
    switch (token.kind) {
      case 'var':
        if (token.index < 1 || token.index > this.variableCount) {
          throw new ScopeParseError(
            'unknown_variable',
            token.position,
            `unknown variable ${shorten(token.text)} at position ${token.position}: ${describeDefined(this.variableCount)}`,
          );
        }
        return { kind: 'var', index: token.index, position: token.position };
      case 'open': {
        this.enter(token.position);
        const inner = this.parseOr();
        const close = this.lexer.next();
        if (close.kind === 'end') {
          throw new ScopeParseError(
            'unexpected_end',
            close.position,
            `unexpected end of expression at position ${close.position}: expected ")" to close the "(" at position ${token.position}`,
          );
        }
        if (close.kind !== 'close') {
          throw new ScopeParseError(
            'unexpected_token',
            close.position,
            `unexpected ${describeToken(close)} at position ${close.position}: expected "&&", "||" or ")"`,
          );
        }
        this.depth--;
        return inner;
      }
      case 'end':
        throw new ScopeParseError(
          'unexpected_end',
          token.position,
          `unexpected end of expression at position ${token.position}: ${EXPECTED_OPERAND}`,
        );
      default:
        throw new ScopeParseError(
          'unexpected_token',
          token.position,
          `unexpected ${describeToken(token)} at position ${token.position}: ${EXPECTED_OPERAND}`,
        );
    }
  }

  private enter(position: number): void {
    this.depth++;
    if (this.depth > SCOPE_LIMITS.maxDepth) {
      throw new ScopeParseError('too_deep', position, `nesting deeper than ${SCOPE_LIMITS.maxDepth} at position ${position}`);
    }
  }
}

/**
 * Parses a scope formula over `v1`..`v{variableCount}`; throws ScopeParseError for any malformed source.
 *
 * `variableCount` is the caller's contract, not user input: a value that is not
 * an integer in 0..SCOPE_LIMITS.maxVariables is a programming error and throws
 * a RangeError.
 */
export function parseScopeExpression(source: string, variableCount: number): ScopeExpression {
  if (!Number.isInteger(variableCount) || variableCount < 0 || variableCount > SCOPE_LIMITS.maxVariables) {
    throw new RangeError(`variableCount must be an integer from 0 to ${SCOPE_LIMITS.maxVariables}, got ${String(variableCount)}`);
  }
  if (source.length > SCOPE_LIMITS.maxExpressionLength) {
    throw new ScopeParseError(
      'too_long',
      SCOPE_LIMITS.maxExpressionLength,
      `expression is ${source.length} characters long; the limit is ${SCOPE_LIMITS.maxExpressionLength}`,
    );
  }
  if (source.trim() === '') {
    // Whether an empty scope means "everything" is a policy decision taken by
    // the caller; as a formula it is simply incomplete.
    throw new ScopeParseError('unexpected_end', 0, `expression is empty: ${EXPECTED_OPERAND}`);
  }
  return new Parser(source, variableCount).parse();
}

/** Returns the 1-based indexes of the variables a formula refers to. */
export function variablesUsed(expr: ScopeExpression): Set<number> {
  const used = new Set<number>();
  // An explicit stack: long "&&" chains make left-deep trees.
  const pending: ScopeExpression[] = [expr];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    switch (node.kind) {
      case 'var':
        used.add(node.index);
        break;
      case 'not':
        pending.push(node.operand);
        break;
      default:
        pending.push(node.right, node.left);
        break;
    }
  }
  return used;
}

const PRECEDENCE = { or: 1, and: 2, not: 3, var: 4 } as const;

function format(expr: ScopeExpression, minimum: number): string {
  let text: string;
  switch (expr.kind) {
    case 'var':
      return `v${expr.index}`;
    case 'not':
      text = `!${format(expr.operand, PRECEDENCE.not)}`;
      break;
    case 'and':
      // The right operand binds one level tighter so that a right-nested
      // chain keeps its parentheses and parses back to the same tree.
      text = `${format(expr.left, PRECEDENCE.and)} && ${format(expr.right, PRECEDENCE.not)}`;
      break;
    case 'or':
      text = `${format(expr.left, PRECEDENCE.or)} || ${format(expr.right, PRECEDENCE.and)}`;
      break;
  }
  return PRECEDENCE[expr.kind] < minimum ? `(${text})` : text;
}

/** Prints a formula canonically with the fewest parentheses that preserve its tree. */
export function formatScopeExpression(expr: ScopeExpression): string {
  return format(expr, PRECEDENCE.or);
}

/**
 * A policy's or application scope's formula parsed against its variables: undefined when the formula is
 * blank (no additional criteria: every workload), the tree otherwise; throws as parseScopeExpression does.
 */
export function parseScopeFormula(expression: string | undefined, variableCount: number): ScopeExpression | undefined {
  return expression === undefined || expression.trim() === '' ? undefined : parseScopeExpression(expression, variableCount);
}
