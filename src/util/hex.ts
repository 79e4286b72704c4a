/**
 * Small byte helpers shared by the pure layers (no `node:*` imports).
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`, with no separators. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/**
 * Parses hex text into bytes. Whitespace is ignored; anything else that is not a hex digit, or an
 * odd number of digits, throws a `RangeError`.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new RangeError('hex text has an odd number of digits');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError('hex text has a character that is not a hex digit');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
