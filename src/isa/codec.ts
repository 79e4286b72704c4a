/**
 * Encoding and decoding of instructions to and from 8-byte slots, little or big endian.
 *
 * Slot layout: `code:8 | regs:8 | off:16 | imm:32`. In little endian the register byte is
 * `src << 4 | dst`; in big endian the nibbles swap (`dst << 4 | src`) and `off`/`imm` are
 * big-endian.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import { encodingError, type Insn } from './insn.js';
import { LD_IMM64, SLOT_SIZE } from './opcodes.js';

/** Byte order of encoded instructions. */
export type Endianness = 'little' | 'big';

/** A slot that does not hold a valid instruction. `where` is `slot N`, `offset` its byte offset. */
export class InsnDecodeError extends FormatError {
  /** Index of the offending 8-byte slot. */
  readonly slot: number;
  /**
   * @param slot - index of the offending slot
   * @param reason - what is wrong with it
   */
  constructor(slot: number, reason: string) {
    super(`slot ${slot}`, reason, slot * SLOT_SIZE);
    this.name = 'InsnDecodeError';
    this.slot = slot;
  }
}

/** Options for {@link decode}. */
export interface DecodeOptions {
  /** Byte order; default `'little'`. */
  endian?: Endianness;
  /**
   * Check every field against the defined encodings (default `true`). With `false`, only the
   * framing is checked (whole slots, complete `ld_imm64` pairs), so a tool can show instructions
   * the kernel would reject.
   */
  validate?: boolean;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a program from its bytes. Throws {@link InsnDecodeError} naming the slot when the
 * length is not a multiple of 8, an `ld_imm64` lacks its second slot or has a malformed one, or
 * (with validation on) a field holds a reserved value.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Insn[] {
  const le = (options.endian ?? 'little') === 'little';
  const validate = options.validate ?? true;
  if (bytes.length % SLOT_SIZE !== 0) {
    throw new InsnDecodeError(
      Math.floor(bytes.length / SLOT_SIZE),
      `program length ${bytes.length} is not a multiple of ${SLOT_SIZE}`,
    );
  }
  const dv = view(bytes);
  const n = bytes.length / SLOT_SIZE;
  const out: Insn[] = [];
  for (let s = 0; s < n; s++) {
    const p = s * SLOT_SIZE;
    const code = bytes[p]!;
    const regs = bytes[p + 1]!;
    const dst = le ? regs & 0x0f : regs >> 4;
    const src = le ? regs >> 4 : regs & 0x0f;
    const off = dv.getInt16(p + 2, le);
    const imm = dv.getInt32(p + 4, le);
    if (code === LD_IMM64) {
      if (s + 1 >= n) throw new InsnDecodeError(s, 'ld_imm64 is missing its second slot');
      const q = p + SLOT_SIZE;
      if (bytes[q] !== 0 || bytes[q + 1] !== 0 || dv.getInt16(q + 2, le) !== 0) {
        throw new InsnDecodeError(s + 1, 'second slot of ld_imm64 must have code, registers and off zero');
      }
      const insn: Insn = { code, dst, src, off, imm, imm2: dv.getInt32(q + 4, le) };
      if (validate) {
        const why = encodingError(insn);
        if (why !== undefined) throw new InsnDecodeError(s, why);
      }
      out.push(insn);
      s++;
      continue;
    }
    const insn: Insn = { code, dst, src, off, imm };
    if (validate) {
      const why = encodingError(insn);
      if (why !== undefined) throw new InsnDecodeError(s, why);
    }
    out.push(insn);
  }
  return out;
}

/** Options for {@link encode}. */
export interface EncodeOptions {
  /** Byte order; default `'little'`. */
  endian?: Endianness;
}

function fieldError(insn: Insn): string | undefined {
  const { code, dst, src, off, imm } = insn;
  if (!Number.isInteger(code) || code < 0 || code > 0xff) return `code ${code} is not a byte`;
  if (!Number.isInteger(dst) || dst < 0 || dst > 15) return `dst ${dst} is not a 4-bit field`;
  if (!Number.isInteger(src) || src < 0 || src > 15) return `src ${src} is not a 4-bit field`;
  if (!Number.isInteger(off) || off < -0x8000 || off > 0x7fff)
    return `off ${off} is not a signed 16-bit value`;
  if (!Number.isInteger(imm) || imm < -0x80000000 || imm > 0x7fffffff)
    return `imm ${imm} is not a signed 32-bit value`;
  const imm2 = insn.imm2 ?? 0;
  if (!Number.isInteger(imm2) || imm2 < -0x80000000 || imm2 > 0x7fffffff)
    return `imm2 ${imm2} is not a signed 32-bit value`;
  if (insn.imm2 !== undefined && code !== LD_IMM64)
    return `imm2 is set on an instruction that is not ld_imm64`;
  return undefined;
}

/** True when every field is an integer in its range (the common case, checked without allocation). */
function fieldsInRange(insn: Insn): boolean {
  const { code, dst, src, off, imm } = insn;
  return (
    (code & 0xff) === code &&
    (dst & 0xf) === dst &&
    (src & 0xf) === src &&
    (off << 16) >> 16 === off &&
    (imm | 0) === imm &&
    (insn.imm2 === undefined ? true : code === LD_IMM64 && (insn.imm2 | 0) === insn.imm2)
  );
}

/**
 * Encodes instructions into bytes. Fields out of their bit ranges throw a `RangeError`; the
 * encoding itself is not validated, so reserved encodings can be produced on purpose (tests,
 * fuzzing). Use {@link encodingError} to check.
 */
export function encode(insns: readonly Insn[], options: EncodeOptions = {}): Uint8Array {
  const le = (options.endian ?? 'little') === 'little';
  let slots = 0;
  for (const i of insns) slots += i.code === LD_IMM64 ? 2 : 1;
  const out = new Uint8Array(slots * SLOT_SIZE);
  const dv = view(out);
  let p = 0;
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k]!;
    if (!fieldsInRange(insn)) {
      const why = fieldError(insn);
      if (why !== undefined) throw new RangeError(`instruction ${k}: ${why}`);
    }
    out[p] = insn.code;
    out[p + 1] = le ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src;
    dv.setInt16(p + 2, insn.off, le);
    dv.setInt32(p + 4, insn.imm, le);
    p += SLOT_SIZE;
    if (insn.code === LD_IMM64) {
      dv.setInt32(p + 4, insn.imm2 ?? 0, le);
      p += SLOT_SIZE;
    }
  }
  return out;
}
