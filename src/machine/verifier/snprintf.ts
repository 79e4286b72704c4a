/**
 * `bpf_snprintf` (helper 165) at verification time, as Linux 6.18 checks it: the format argument
 * is a constant string (`ARG_PTR_TO_CONST_STR`), a NUL-terminated string at a constant offset in
 * the value of a read-only map (BPF_F_RDONLY_PROG and frozen) that allows direct value access,
 * and its conversions are parsed against the number of 8-byte arguments `data_len` provides.
 * Facts (error lines, errnos, the conversions accepted) checked against the kernel by
 * test/machine/snprintf.test.ts.
 *
 * @module
 */

import { MapFlag, MapType } from '../../uapi/constants.js';
import type { VerifierMap } from './types.js';

const EINVAL = 22;
const EACCES = 13;
const EOPNOTSUPP = 95;

/** A refusal: errno and the kernel's error line ('' when the kernel prints none). */
export interface Refusal {
  readonly errno: number;
  readonly line: string;
  /** A line the kernel prints before the error line. */
  readonly detail?: string;
}

/**
 * Whether values of `map` are constant to programs (Linux's bpf_map_is_rdonly): the map was
 * created with BPF_F_RDONLY_PROG and has been frozen.
 */
export function mapIsReadOnly(map: VerifierMap): boolean {
  return (map.flags & MapFlag.RDONLY_PROG) !== 0 && map.frozen === true;
}

/**
 * The bytes of a constant string argument (up to, not including, its NUL) for register `regno`
 * pointing into the value of `map` at byte offset `off` (undefined when the offset is not a
 * constant), or the kernel's refusal.
 */
export function constString(regno: number, map: VerifierMap, off: number | undefined): Uint8Array | Refusal {
  if (!mapIsReadOnly(map)) return { errno: EACCES, line: `R${regno} does not point to a readonly map'` };
  if (off === undefined) return { errno: EACCES, line: `R${regno} is not a constant address'` };
  if (map.directValue === undefined || map.type === MapType.PERCPU_ARRAY)
    return { errno: EACCES, line: 'no direct value access support for this map type' };
  if (off < 0 || off >= map.valueSize)
    return {
      errno: EACCES,
      detail: `invalid access to map value, value_size=${map.valueSize} off=${off} size=${map.valueSize - off}`,
      line: `R${regno} min value is outside of the allowed memory range`,
    };
  const value = map.directValue();
  if (value === undefined) return { errno: EOPNOTSUPP, line: 'direct value access on string failed' };
  const rest = value.subarray(off, map.valueSize);
  const nul = rest.indexOf(0);
  if (nul < 0) return { errno: EINVAL, line: 'string is not zero-terminated' };
  return rest.subarray(0, nul);
}

/** The kernel's isspace (Latin-1: also 0xa0). */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
/** The kernel's ispunct: printable, not a letter, digit or space (Latin-1: 0xa1..0xbf, 0xd7, 0xf7). */
const isPunct = (c: number): boolean =>
  (c > 0x20 && c < 0x7f && !isAlpha(c) && !isDigit(c)) ||
  (c >= 0xa1 && c <= 0xbf) ||
  c === 0xd7 ||
  c === 0xf7;
/** What may follow `%s`, `%p`, `%pks`, `%pus`: the end, a space or punctuation. */
const endsConversion = (c: number): boolean => c === 0 || isSpace(c) || isPunct(c);

/**
 * Whether `fmt` (without its NUL) is a format bpf_snprintf accepts with `numArgs` arguments:
 * no ASCII control but spaces, no DEL; `%%`; flags `0+- `, a width without precision; then `d i u x X`
 * with up to two `l`, `c`, `s`, or `p` alone or as `pK px ps pS pB pks pus pi4 pI4 pi6 pI6`. More
 * arguments than conversions is fine, fewer is not.
 */
export function formatAccepted(fmt: Uint8Array, numArgs: number): boolean {
  const at = (i: number): number => (i < fmt.length ? fmt[i]! : 0);
  let specs = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    // ASCII controls but spaces are refused, and DEL; any byte from 0x80 passes (checked on 6.18)
    if (c < 0x80 && !isSpace(c) && (c < 0x20 || c === 0x7f)) return false;
    if (c !== 0x25) continue;
    if (at(i + 1) === 0x25) {
      i++;
      continue;
    }
    if (specs >= numArgs) return false;
    specs++;
    i++;
    while (at(i) === 0x30 || at(i) === 0x2b || at(i) === 0x2d || at(i) === 0x20) i++;
    if (at(i) >= 0x31 && at(i) <= 0x39) while (isDigit(at(i))) i++;
    const conv = at(i);
    if (conv === 0x70 /* p */) {
      const n = at(i + 1);
      if (endsConversion(n)) continue;
      if ((n === 0x6b || n === 0x75) && at(i + 2) === 0x73 /* pks pus */) {
        i += 2;
        if (!endsConversion(at(i + 1))) return false;
        continue;
      }
      if (n === 0x4b || n === 0x78 || n === 0x73 || n === 0x53 || n === 0x42 /* K x s S B */) {
        i++;
        continue;
      }
      if ((n === 0x69 || n === 0x49) && (at(i + 2) === 0x34 || at(i + 2) === 0x36) /* i4 I4 i6 I6 */) {
        i += 2;
        continue;
      }
      return false;
    }
    if (conv === 0x73 /* s */) {
      if (!endsConversion(at(i + 1))) return false;
      continue;
    }
    if (conv === 0x63 /* c */) continue;
    if (at(i) === 0x6c) i++;
    if (at(i) === 0x6c) i++;
    const t = at(i);
    if (t !== 0x64 && t !== 0x69 && t !== 0x75 && t !== 0x78 && t !== 0x58) return false;
  }
  return true;
}

/**
 * The check Linux makes after a bpf_snprintf call's arguments: `dataLen` (the tnum value of R5)
 * is a multiple of 8 (else EINVAL with no line), and the format parses with dataLen / 8
 * arguments ("Invalid format string"). Undefined when accepted.
 */
export function checkSnprintfCall(fmt: Uint8Array, dataLen: bigint): Refusal | undefined {
  if (dataLen % 8n !== 0n) return { errno: EINVAL, line: '' };
  const n = dataLen / 8n;
  if (!formatAccepted(fmt, n > 1000n ? 1000 : Number(n)))
    return { errno: EINVAL, line: 'Invalid format string' };
  return undefined;
}
