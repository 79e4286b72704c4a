/**
 * Small helpers to read and write {@link FieldSpec} fields of a layout in a byte array.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import type { FieldSpec } from './layout.js';

/** A DataView over exactly `bytes`. */
export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes an unsigned (or two's-complement) integer field; 8-byte fields take a bigint or number. */
export function put(dv: DataView, f: FieldSpec, v: number | bigint): void {
  if (f[1] === 8) dv.setBigUint64(f[0], BigInt.asUintN(64, BigInt(v)), true);
  else if (f[1] === 4) dv.setUint32(f[0], Number(v) >>> 0, true);
  else if (f[1] === 2) dv.setUint16(f[0], Number(v) & 0xffff, true);
  else dv.setUint8(f[0], Number(v) & 0xff);
}

/** Reads a 32-bit unsigned field. */
export function getU32(dv: DataView, f: FieldSpec): number {
  return dv.getUint32(f[0], true);
}

/** Reads a 32-bit signed field. */
export function getS32(dv: DataView, f: FieldSpec): number {
  return dv.getInt32(f[0], true);
}

/** Reads a 64-bit unsigned field. */
export function getU64(dv: DataView, f: FieldSpec): bigint {
  return dv.getBigUint64(f[0], true);
}

/** Writes a NUL-padded object name (at most `f[1] - 1` bytes of ASCII) into a char-array field. */
export function putName(bytes: Uint8Array, f: FieldSpec, name: string): void {
  const enc = new TextEncoder().encode(name);
  if (enc.length >= f[1]) throw new RangeError(`name '${name}' is longer than ${f[1] - 1} bytes`);
  bytes.fill(0, f[0], f[0] + f[1]);
  bytes.set(enc, f[0]);
}

/** Reads a NUL-padded char-array field. */
export function getName(bytes: Uint8Array, f: FieldSpec): string {
  const raw = bytes.subarray(f[0], f[0] + f[1]);
  const nul = raw.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
}

/** A NUL-terminated UTF-8 copy of `s`. */
export function cStringBytes(s: string): Uint8Array {
  const enc = new TextEncoder().encode(s);
  if (enc.includes(0)) throw new RangeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

/**
 * Checks that `bytes` holds at least `size` bytes of an attr (shorter attrs are zero-extended, as
 * the kernel does) and returns a zero-extended copy of exactly `size` bytes.
 */
export function attrBytes(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (bytes.length >= size) return bytes.subarray(0, size);
  if (bytes.length === 0) throw new FormatError(what, 'empty attr');
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
