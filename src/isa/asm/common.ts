/**
 * Pieces shared by both assemblers and disassemblers: options, label resolution, jump-target
 * analysis and annotations.
 *
 * @module
 */

import { FormatError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { encode } from '../codec.js';
import { encodingError, type Insn } from '../insn.js';
import { CallKind, Class, JmpOp, LD_IMM64, Pseudo } from '../opcodes.js';
import type { Fixup } from './scanner.js';

/** The two assembly syntaxes. */
export type Syntax = 'llvm' | 'conformance';

/** Options of the assemblers. */
export interface AssembleOptions {
  /** File name shown in error positions (default `<input>`). */
  file?: string;
  /** Added to line numbers in error positions (for text embedded in a larger file). */
  lineBase?: number;
}

/** Options of the disassemblers. */
export interface DisassembleOptions {
  /**
   * Print jump targets as generated labels (`L<slot>:`) instead of relative offsets. Calls to
   * subprograms are always printed with labels in the LLVM syntax (llvm-mc has no other form).
   */
  labels?: boolean;
  /** Append `slot: bytes` as a comment to each line (the bytes in this byte order). */
  annotate?: boolean;
  /** Byte order of the annotation bytes (default little). */
  endian?: 'little' | 'big';
}

/** A mutable instruction under construction. */
export interface MutableInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  imm2?: number;
}

/**
 * Fills in label references: the relative offset is `target slot - (slot + 1)`, for jumps
 * (`off`, 16 bits) and for gotol/calls/func references (`imm`, 32 bits).
 */
export function resolveFixups(
  insns: MutableInsn[],
  fixups: readonly Fixup[],
  labels: Map<string, number>,
): void {
  for (const f of fixups) {
    const target = labels.get(f.label);
    if (target === undefined)
      throw new FormatError(f.sc.whereAt(f.line, f.col), `undefined label '${f.label}'`);
    const rel = target - (f.slot + 1);
    const insn = insns[f.index]!;
    if (f.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) {
        throw new FormatError(
          f.sc.whereAt(f.line, f.col),
          `jump to '${f.label}' is ${rel} slots away, out of the 16-bit range`,
        );
      }
      insn.off = rel;
    } else insn.imm = rel;
  }
}

/** Whether `insn` is a jump whose `off` is a slot offset (conditional jumps, ja, may_goto). */
export function isOffJump(insn: Insn): boolean {
  const cls = insn.code & 7;
  if (cls !== Class.JMP && cls !== Class.JMP32) return false;
  const op = insn.code & 0xf0;
  if (op === JmpOp.CALL || op === JmpOp.EXIT) return false;
  if (op === JmpOp.JA && cls === Class.JMP32) return false; // gotol uses imm
  return true;
}

/** Whether `insn` carries a slot offset in `imm` (gotol, pseudo-call, ld_imm64 of a function). */
export function isImmJump(insn: Insn): boolean {
  if (insn.code === (Class.JMP32 | JmpOp.JA)) return true;
  if (insn.code === (Class.JMP | JmpOp.CALL) && insn.src === CallKind.PSEUDO_CALL) return true;
  return insn.code === LD_IMM64 && insn.src === Pseudo.FUNC;
}

/**
 * Target slots that get labels: with `all`, every in-range jump/call target; otherwise only the
 * targets of pseudo-calls and function references (`onlyCalls`). Returns slot -> label name.
 */
export function labelTargets(
  insns: readonly Insn[],
  starts: Int32Array,
  all: boolean,
  calls: boolean,
): Map<number, string> {
  const total = starts[insns.length]!;
  const isStart = new Uint8Array(total + 1);
  for (let k = 0; k <= insns.length; k++) isStart[starts[k]!] = 1;
  const out = new Map<number, string>();
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k]!;
    let t = -1;
    if (all && isOffJump(i)) t = starts[k]! + 1 + i.off;
    else if (isImmJump(i) && (all || (calls && i.code !== (Class.JMP32 | JmpOp.JA))))
      t = starts[k]! + 1 + i.imm;
    if (t >= 0 && t <= total && isStart[t] === 1 && !out.has(t)) out.set(t, `L${t}`);
  }
  return out;
}

/** The annotation comment for instruction `k` starting at `slot`: `slot: hex bytes`. */
export function annotation(insn: Insn, slot: number, endian: 'little' | 'big'): string {
  const b = encode([insn], { endian });
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += (i === 0 ? '' : ' ') + toHex(b.subarray(i, i + 1));
  return `${slot}: ${hex}`;
}

/** Joins disassembled lines, inserting labels and annotations. */
export function layout(
  insns: readonly Insn[],
  starts: Int32Array,
  texts: readonly string[],
  labels: Map<number, string>,
  options: DisassembleOptions,
  comment: string,
): string {
  let out = '';
  const endian = options.endian ?? 'little';
  const annotate = options.annotate === true;
  const anyLabels = labels.size > 0;
  for (let k = 0; k < insns.length; k++) {
    if (anyLabels) {
      const l = labels.get(starts[k]!);
      if (l !== undefined) out += `${l}:\n`;
    }
    const t = texts[k]!;
    if (annotate) out += `${t.padEnd(40)} ${comment} ${annotation(insns[k]!, starts[k]!, endian)}\n`;
    else out += `${t}\n`;
  }
  const tail = labels.get(starts[insns.length]!);
  if (tail !== undefined) out += `${tail}:\n`;
  return out;
}

/**
 * Whether the syntaxes have a form for `insn`: every valid encoding except `exit` with a nonzero
 * `off` (Linux 6.18 accepts and ignores it), plus `callx` with its register in `dst` (the RFC 9669
 * form, used by the conformance suite, though Linux 6.18 refuses it), and ld_imm64 of kinds 1, 4, 5
 * with a nonzero second imm. Everything else prints as
 * `.insn CODE, DST, SRC, OFF, IMM[, IMM2]`, which both assemblers read.
 */
export function hasSyntax(insn: Insn): boolean {
  if (insn.code === (Class.JMP | JmpOp.CALL | 0x08))
    return insn.src === 0 && insn.off === 0 && insn.imm === 0 && insn.dst <= 10;
  if (insn.code === (Class.JMP | JmpOp.EXIT) && insn.off !== 0) return false;
  // The pseudo forms of MAP_FD, FUNC and MAP_IDX have no second immediate (the kernel wants 0).
  if (
    insn.code === LD_IMM64 &&
    (insn.src === 1 || insn.src === 4 || insn.src === 5) &&
    (insn.imm2 ?? 0) !== 0
  )
    return false;
  return encodingError(insn) === undefined;
}
