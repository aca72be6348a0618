import { isUtf8 } from 'node:buffer';

// A request body arrives as bytes (base64 from API Gateway and local mode when it is not UTF-8). Decoding such bytes
// as UTF-8 would put U+FFFD in place of each bad sequence and store a value the client never sent, so a body that is
// not UTF-8 is refused, naming where it stops being UTF-8.

/** The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7), or -1. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let continuationBytes: number;
    // The second byte's range is narrower after some lead bytes: no overlong forms, no surrogates, nothing past U+10FFFF.
    let secondMin = 0x80;
    let secondMax = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuationBytes = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuationBytes = 2;
      if (lead === 0xe0) secondMin = 0xa0;
      if (lead === 0xed) secondMax = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuationBytes = 3;
      if (lead === 0xf0) secondMin = 0x90;
      if (lead === 0xf4) secondMax = 0x8f;
    } else return i;
    for (let k = 1; k <= continuationBytes; k++) {
      const byte = bytes[i + k];
      const [min, max] = k === 1 ? [secondMin, secondMax] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return i;
    }
    i += continuationBytes + 1;
  }
  return -1;
}

/** Why a body cannot be read as UTF-8, or undefined when it can (checked natively; the offset only on failure). */
export function utf8Problem(bytes: Uint8Array): string | undefined {
  if (isUtf8(bytes)) return undefined;
  return `the body is not valid UTF-8: the bytes from offset ${firstInvalidUtf8Offset(bytes)} are not a UTF-8 character`;
}
