import { BASE62_ALPHABET, CODE_LENGTH } from '@switchboard/shared';

/** How many generated codes exist: 62^7, about 3.5 × 10^12. */
export const CODE_SPACE = 62 ** CODE_LENGTH;

const DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62_ALPHABET.length; i++) DIGIT_VALUES[BASE62_ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes `value` in base62 with exactly `length` digits (left-padded with `0`), so
 * that every code has the same length whatever its value.
 */
export function encodeBase62(value: number, length: number = CODE_LENGTH): string {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 62 ** length) {
    throw new RangeError(`${value} does not fit in ${length} base62 digits`);
  }
  let code = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    code = BASE62_ALPHABET[rest % 62]! + code;
    rest = Math.floor(rest / 62);
  }
  return code;
}

/** The value of a base62 string; throws a `RangeError` for any character outside the alphabet. */
export function decodeBase62(code: string): number {
  if (code.length === 0 || code.length > 8) {
    throw new RangeError(`a base62 value has 1 to 8 digits here, not ${code.length}`);
  }
  let value = 0;
  for (let i = 0; i < code.length; i++) {
    const char = code.charCodeAt(i);
    const digit = char < 128 ? DIGIT_VALUES[char]! : -1;
    if (digit < 0) throw new RangeError(`"${code[i]}" is not a base62 digit`);
    value = value * 62 + digit;
  }
  return value;
}
