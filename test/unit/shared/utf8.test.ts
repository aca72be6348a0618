import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8Offset, utf8Problem } from '../../../functions/shared/http/utf8.js';

describe('UTF-8 check of request bodies', () => {
  it('finds a bad sequence exactly when the native check does, and the prefix before it is UTF-8', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // Mostly valid text with a few raw bytes spliced in, so that the offset is not always 0.
          fc
            .tuple(
              fc.string({ unit: 'grapheme', maxLength: 20 }),
              fc.uint8Array({ minLength: 1, maxLength: 4 }),
              fc.string({ maxLength: 20 }),
            )
            .map(([before, raw, after]) => Uint8Array.from([...Buffer.from(before), ...raw, ...Buffer.from(after)])),
        ),
        (bytes) => {
          const offset = firstInvalidUtf8Offset(bytes);
          expect(offset === -1).toBe(isUtf8(bytes));
          if (offset >= 0) expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['a truncated two-byte character', [0x61, 0xc3], 1],
    ['0xC3 0x28', [0x7b, 0xc3, 0x28, 0x7d], 1],
    ['an overlong slash', [0xc0, 0xaf], 0],
    ['a surrogate', [0x41, 0x42, 0xed, 0xa0, 0x80], 2],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a lone continuation byte', [0xe2, 0x82, 0xac, 0x80], 3],
  ])('names the offset of %s', (_label, bytes, offset) => {
    expect(firstInvalidUtf8Offset(Uint8Array.from(bytes))).toBe(offset);
    expect(utf8Problem(Uint8Array.from(bytes))).toBe(
      `the body is not valid UTF-8: the bytes from offset ${offset} are not a UTF-8 character`,
    );
  });

  it('accepts text in every plane', () => {
    expect(utf8Problem(Buffer.from('{"d":"café 日本 😀"}'))).toBeUndefined();
  });
});
