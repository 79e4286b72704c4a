/**
 * The instruction builder: free functions that return {@link Insn}s (`mov64Imm(R0, 1)`,
 * `ldxW(R0, R1, 4)`, `ldMapFd(R1, fd)`, `exit()`), and {@link ProgramBuilder} / {@link program},
 * which place labels and resolve jumps, calls and `ldFunc` loads by name.
 *
 * Operand kinds are checked by the type system: registers are {@link Reg} values (not numbers),
 * destinations of ALU and load instructions are {@link DstReg}s (R0..R9; the frame pointer R10 is
 * not one). At run time, immediates and offsets are checked against their field widths and a
 * `RangeError` names the operand; values that are well-formed but that the verifier refuses
 * (shift widths, division by zero, jumps outside the program) are not rejected here.
 *
 * Argument order follows the LLVM/kernel C-like syntax, left to right: `ldxW(dst, base, off)` is
 * `dst = *(u32 *)(base + off)`; `stxDW(base, off, src)` is `*(u64 *)(base + off) = src`.
 *
 * Immediates (imm32) accept `-2^31 .. 2^32-1`; values from 2^31 up are taken as their 32-bit
 * two's-complement pattern, as llvm-mc does (`mov32Imm(R0, 0xffffffff)` encodes imm -1).
 * Offsets (off16) accept `-32768 .. 32767`.
 *
 * @module
 */

import type { Endianness } from './codec.js';
import { encode } from './codec.js';
import { type Insn, splitImm64 } from './insn.js';
import {
  AluOp,
  AtomicOp,
  CallKind,
  Class,
  Endian,
  JcondKind,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  Size,
  Source,
} from './opcodes.js';
import { type DstReg, isDstReg, isReg, type Reg } from './regs.js';

export * from './regs.js';

// ---------------------------------------------------------------------------------------------
// Operand checks

function regOf(fn: string, what: string, r: Reg): number {
  if (!isReg(r)) throw new TypeError(`${fn}: ${what} must be a register (R0..R10), got ${String(r)}`);
  return r.num;
}

function dstOf(fn: string, what: string, r: DstReg): number {
  if (!isDstReg(r)) {
    if (isReg(r)) throw new TypeError(`${fn}: ${what} cannot be r10 (the frame pointer is read-only)`);
    throw new TypeError(`${fn}: ${what} must be a register (R0..R9), got ${String(r)}`);
  }
  return r.num;
}

function imm32(fn: string, what: string, v: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${what} must be a number, got ${String(v)}`);
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff)
    throw new RangeError(`${fn}: ${what} ${String(v)} is not a 32-bit integer`);
  return v | 0;
}

function simm32(fn: string, what: string, v: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${what} must be a number, got ${String(v)}`);
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
    throw new RangeError(`${fn}: ${what} ${String(v)} is not a signed 32-bit integer`);
  return v;
}

function off16(fn: string, what: string, v: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${what} must be a number, got ${String(v)}`);
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff)
    throw new RangeError(`${fn}: ${what} ${String(v)} is not a signed 16-bit integer`);
  return v;
}

function oneOf<T extends number>(fn: string, what: string, v: T, allowed: readonly T[]): T {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${what} must be a number, got ${String(v)}`);
  if (!allowed.includes(v))
    throw new RangeError(`${fn}: ${what} ${String(v)} must be one of ${allowed.join(', ')}`);
  return v;
}

function mk(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

// ---------------------------------------------------------------------------------------------
// Labels and unresolved references

/** A label placed in a program: it names the slot of the next instruction. */
export interface Label {
  /** Discriminant. */
  readonly kind: 'label';
  /** Label name. */
  readonly name: string;
}

/** Which field of an instruction receives a resolved label offset. */
export type TargetField = 'off' | 'imm';

/**
 * An instruction whose jump, call or `ldFunc` target is a label name, to be resolved by
 * {@link ProgramBuilder} or {@link program}: the named field becomes
 * `labelSlot - (thisSlot + 1)` (slots, so an `ld_imm64` counts 2).
 */
export interface LabelRef {
  /** Discriminant. */
  readonly kind: 'ref';
  /** The instruction, with 0 in the target field. */
  readonly insn: Insn;
  /** Label name. */
  readonly target: string;
  /** Field that receives the offset: `off` (16 bits) or `imm` (32 bits). */
  readonly field: TargetField;
  /** Builder function that made it, for error messages. */
  readonly op: string;
}

/** One element of a program given to {@link program} or {@link ProgramBuilder.add}. */
export type ProgramItem = Insn | LabelRef | Label;

/** A jump/call target: a signed offset in slots relative to the next instruction, or a label name. */
export type Target = number | string;

/** Places label `name` at the next instruction (for {@link program} and {@link ProgramBuilder.add}). */
export function label(name: string): Label {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`label: name must be a non-empty string, got ${String(name)}`);
  return { kind: 'label', name };
}

function withTarget(fn: string, insn: Insn, field: TargetField, target: Target): Insn | LabelRef {
  if (typeof target === 'string') {
    if (target.length === 0) throw new TypeError(`${fn}: label name must be non-empty`);
    return { kind: 'ref', insn, target, field, op: fn };
  }
  if (field === 'off') return { ...insn, off: off16(fn, 'offset', target) };
  return { ...insn, imm: simm32(fn, 'offset', target) };
}

/** Thrown for an unknown or duplicate label, or a label too far away for its offset field. */
export class LabelError extends RangeError {
  /** The label name. */
  readonly label: string;
  /**
   * @param label - the label name
   * @param message - the full message
   */
  constructor(label: string, message: string) {
    super(message);
    this.name = 'LabelError';
    this.label = label;
  }
}

// ---------------------------------------------------------------------------------------------
// ALU

/** An ALU instruction with an immediate operand: `dst op= imm`. */
export type AluImmFn = (dst: DstReg, imm: number) => Insn;
/** An ALU instruction with a register operand: `dst op= src`. */
export type AluRegFn = (dst: DstReg, src: Reg) => Insn;

function aluImm(fn: string, cls: number, op: number, off = 0): AluImmFn {
  return (dst, imm) => mk(cls | op | Source.K, dstOf(fn, 'dst', dst), 0, off, imm32(fn, 'imm', imm));
}
function aluReg(fn: string, cls: number, op: number, off = 0): AluRegFn {
  return (dst, src) => mk(cls | op | Source.X, dstOf(fn, 'dst', dst), regOf(fn, 'src', src), off, 0);
}
const A64 = Class.ALU64;
const A32 = Class.ALU;

/** `dst += imm` (64-bit). */
export const add64Imm: AluImmFn = aluImm('add64Imm', A64, AluOp.ADD);
/** `dst += src` (64-bit). */
export const add64Reg: AluRegFn = aluReg('add64Reg', A64, AluOp.ADD);
/** `w_dst += imm` (32-bit). */
export const add32Imm: AluImmFn = aluImm('add32Imm', A32, AluOp.ADD);
/** `w_dst += w_src` (32-bit). */
export const add32Reg: AluRegFn = aluReg('add32Reg', A32, AluOp.ADD);
/** `dst -= imm` (64-bit). */
export const sub64Imm: AluImmFn = aluImm('sub64Imm', A64, AluOp.SUB);
/** `dst -= src` (64-bit). */
export const sub64Reg: AluRegFn = aluReg('sub64Reg', A64, AluOp.SUB);
/** `w_dst -= imm` (32-bit). */
export const sub32Imm: AluImmFn = aluImm('sub32Imm', A32, AluOp.SUB);
/** `w_dst -= w_src` (32-bit). */
export const sub32Reg: AluRegFn = aluReg('sub32Reg', A32, AluOp.SUB);
/** `dst *= imm` (64-bit). */
export const mul64Imm: AluImmFn = aluImm('mul64Imm', A64, AluOp.MUL);
/** `dst *= src` (64-bit). */
export const mul64Reg: AluRegFn = aluReg('mul64Reg', A64, AluOp.MUL);
/** `w_dst *= imm` (32-bit). */
export const mul32Imm: AluImmFn = aluImm('mul32Imm', A32, AluOp.MUL);
/** `w_dst *= w_src` (32-bit). */
export const mul32Reg: AluRegFn = aluReg('mul32Reg', A32, AluOp.MUL);
/** `dst /= imm`, unsigned (64-bit). */
export const div64Imm: AluImmFn = aluImm('div64Imm', A64, AluOp.DIV);
/** `dst /= src`, unsigned (64-bit). */
export const div64Reg: AluRegFn = aluReg('div64Reg', A64, AluOp.DIV);
/** `w_dst /= imm`, unsigned (32-bit). */
export const div32Imm: AluImmFn = aluImm('div32Imm', A32, AluOp.DIV);
/** `w_dst /= w_src`, unsigned (32-bit). */
export const div32Reg: AluRegFn = aluReg('div32Reg', A32, AluOp.DIV);
/** `dst s/= imm`, signed (64-bit; DIV with off = 1). */
export const sdiv64Imm: AluImmFn = aluImm('sdiv64Imm', A64, AluOp.DIV, 1);
/** `dst s/= src`, signed (64-bit). */
export const sdiv64Reg: AluRegFn = aluReg('sdiv64Reg', A64, AluOp.DIV, 1);
/** `w_dst s/= imm`, signed (32-bit). */
export const sdiv32Imm: AluImmFn = aluImm('sdiv32Imm', A32, AluOp.DIV, 1);
/** `w_dst s/= w_src`, signed (32-bit). */
export const sdiv32Reg: AluRegFn = aluReg('sdiv32Reg', A32, AluOp.DIV, 1);
/** `dst |= imm` (64-bit). */
export const or64Imm: AluImmFn = aluImm('or64Imm', A64, AluOp.OR);
/** `dst |= src` (64-bit). */
export const or64Reg: AluRegFn = aluReg('or64Reg', A64, AluOp.OR);
/** `w_dst |= imm` (32-bit). */
export const or32Imm: AluImmFn = aluImm('or32Imm', A32, AluOp.OR);
/** `w_dst |= w_src` (32-bit). */
export const or32Reg: AluRegFn = aluReg('or32Reg', A32, AluOp.OR);
/** `dst &= imm` (64-bit). */
export const and64Imm: AluImmFn = aluImm('and64Imm', A64, AluOp.AND);
/** `dst &= src` (64-bit). */
export const and64Reg: AluRegFn = aluReg('and64Reg', A64, AluOp.AND);
/** `w_dst &= imm` (32-bit). */
export const and32Imm: AluImmFn = aluImm('and32Imm', A32, AluOp.AND);
/** `w_dst &= w_src` (32-bit). */
export const and32Reg: AluRegFn = aluReg('and32Reg', A32, AluOp.AND);
/** `dst <<= imm` (64-bit). */
export const lsh64Imm: AluImmFn = aluImm('lsh64Imm', A64, AluOp.LSH);
/** `dst <<= src` (64-bit). */
export const lsh64Reg: AluRegFn = aluReg('lsh64Reg', A64, AluOp.LSH);
/** `w_dst <<= imm` (32-bit). */
export const lsh32Imm: AluImmFn = aluImm('lsh32Imm', A32, AluOp.LSH);
/** `w_dst <<= w_src` (32-bit). */
export const lsh32Reg: AluRegFn = aluReg('lsh32Reg', A32, AluOp.LSH);
/** `dst >>= imm`, logical (64-bit). */
export const rsh64Imm: AluImmFn = aluImm('rsh64Imm', A64, AluOp.RSH);
/** `dst >>= src`, logical (64-bit). */
export const rsh64Reg: AluRegFn = aluReg('rsh64Reg', A64, AluOp.RSH);
/** `w_dst >>= imm`, logical (32-bit). */
export const rsh32Imm: AluImmFn = aluImm('rsh32Imm', A32, AluOp.RSH);
/** `w_dst >>= w_src`, logical (32-bit). */
export const rsh32Reg: AluRegFn = aluReg('rsh32Reg', A32, AluOp.RSH);
/** `dst %= imm`, unsigned (64-bit). */
export const mod64Imm: AluImmFn = aluImm('mod64Imm', A64, AluOp.MOD);
/** `dst %= src`, unsigned (64-bit). */
export const mod64Reg: AluRegFn = aluReg('mod64Reg', A64, AluOp.MOD);
/** `w_dst %= imm`, unsigned (32-bit). */
export const mod32Imm: AluImmFn = aluImm('mod32Imm', A32, AluOp.MOD);
/** `w_dst %= w_src`, unsigned (32-bit). */
export const mod32Reg: AluRegFn = aluReg('mod32Reg', A32, AluOp.MOD);
/** `dst s%= imm`, signed (64-bit; MOD with off = 1). */
export const smod64Imm: AluImmFn = aluImm('smod64Imm', A64, AluOp.MOD, 1);
/** `dst s%= src`, signed (64-bit). */
export const smod64Reg: AluRegFn = aluReg('smod64Reg', A64, AluOp.MOD, 1);
/** `w_dst s%= imm`, signed (32-bit). */
export const smod32Imm: AluImmFn = aluImm('smod32Imm', A32, AluOp.MOD, 1);
/** `w_dst s%= w_src`, signed (32-bit). */
export const smod32Reg: AluRegFn = aluReg('smod32Reg', A32, AluOp.MOD, 1);
/** `dst ^= imm` (64-bit). */
export const xor64Imm: AluImmFn = aluImm('xor64Imm', A64, AluOp.XOR);
/** `dst ^= src` (64-bit). */
export const xor64Reg: AluRegFn = aluReg('xor64Reg', A64, AluOp.XOR);
/** `w_dst ^= imm` (32-bit). */
export const xor32Imm: AluImmFn = aluImm('xor32Imm', A32, AluOp.XOR);
/** `w_dst ^= w_src` (32-bit). */
export const xor32Reg: AluRegFn = aluReg('xor32Reg', A32, AluOp.XOR);
/** `dst = imm`, sign-extended to 64 bits. */
export const mov64Imm: AluImmFn = aluImm('mov64Imm', A64, AluOp.MOV);
/** `dst = src` (64-bit). */
export const mov64Reg: AluRegFn = aluReg('mov64Reg', A64, AluOp.MOV);
/** `w_dst = imm` (32-bit, upper half zeroed). */
export const mov32Imm: AluImmFn = aluImm('mov32Imm', A32, AluOp.MOV);
/** `w_dst = w_src` (32-bit, upper half zeroed). */
export const mov32Reg: AluRegFn = aluReg('mov32Reg', A32, AluOp.MOV);
/** `dst s>>= imm`, arithmetic (64-bit). */
export const arsh64Imm: AluImmFn = aluImm('arsh64Imm', A64, AluOp.ARSH);
/** `dst s>>= src`, arithmetic (64-bit). */
export const arsh64Reg: AluRegFn = aluReg('arsh64Reg', A64, AluOp.ARSH);
/** `w_dst s>>= imm`, arithmetic (32-bit). */
export const arsh32Imm: AluImmFn = aluImm('arsh32Imm', A32, AluOp.ARSH);
/** `w_dst s>>= w_src`, arithmetic (32-bit). */
export const arsh32Reg: AluRegFn = aluReg('arsh32Reg', A32, AluOp.ARSH);

/** `dst = -dst` (64-bit). */
export function neg64(dst: DstReg): Insn {
  return mk(A64 | AluOp.NEG, dstOf('neg64', 'dst', dst), 0, 0, 0);
}
/** `w_dst = -w_dst` (32-bit). */
export function neg32(dst: DstReg): Insn {
  return mk(A32 | AluOp.NEG, dstOf('neg32', 'dst', dst), 0, 0, 0);
}

/** `dst = (s8|s16|s32) src`: sign-extending 64-bit move (MOV X with off = width). */
export function movsx64(dst: DstReg, src: Reg, bits: 8 | 16 | 32): Insn {
  const fn = 'movsx64';
  return mk(
    A64 | AluOp.MOV | Source.X,
    dstOf(fn, 'dst', dst),
    regOf(fn, 'src', src),
    oneOf(fn, 'bits', bits, [8, 16, 32]),
    0,
  );
}
/** `w_dst = (s8|s16) w_src`: sign-extending 32-bit move. */
export function movsx32(dst: DstReg, src: Reg, bits: 8 | 16): Insn {
  const fn = 'movsx32';
  return mk(
    A32 | AluOp.MOV | Source.X,
    dstOf(fn, 'dst', dst),
    regOf(fn, 'src', src),
    oneOf(fn, 'bits', bits, [8, 16]),
    0,
  );
}

/**
 * `dst = addr_space_cast(src, dstAs, srcAs)`: arena address-space cast (ALU64 MOV X, off = 1,
 * imm = dstAs << 16 | srcAs). Linux accepts only the casts 1 -> 0 and 0 -> 1.
 */
export function addrSpaceCast(dst: DstReg, src: Reg, dstAs: 0 | 1, srcAs: 0 | 1): Insn {
  const fn = 'addrSpaceCast';
  const d = oneOf(fn, 'dstAs', dstAs, [0, 1]);
  const s = oneOf(fn, 'srcAs', srcAs, [0, 1]);
  if (d === s) throw new RangeError(`${fn}: dstAs and srcAs must differ (casts are 1 -> 0 or 0 -> 1)`);
  return mk(A64 | AluOp.MOV | Source.X, dstOf(fn, 'dst', dst), regOf(fn, 'src', src), 1, (d << 16) | s);
}

function endian(fn: string, cls: number, order: number, width: 16 | 32 | 64): (dst: DstReg) => Insn {
  return (dst) => mk(cls | AluOp.END | order, dstOf(fn, 'dst', dst), 0, 0, width);
}
/** `dst = le16(dst)`: convert to little endian (zero-extends the low 16 bits on LE hosts). */
export const le16: (dst: DstReg) => Insn = endian('le16', A32, Endian.TO_LE, 16);
/** `dst = le32(dst)`. */
export const le32: (dst: DstReg) => Insn = endian('le32', A32, Endian.TO_LE, 32);
/** `dst = le64(dst)`. */
export const le64: (dst: DstReg) => Insn = endian('le64', A32, Endian.TO_LE, 64);
/** `dst = be16(dst)`: convert to big endian. */
export const be16: (dst: DstReg) => Insn = endian('be16', A32, Endian.TO_BE, 16);
/** `dst = be32(dst)`. */
export const be32: (dst: DstReg) => Insn = endian('be32', A32, Endian.TO_BE, 32);
/** `dst = be64(dst)`. */
export const be64: (dst: DstReg) => Insn = endian('be64', A32, Endian.TO_BE, 64);
/** `dst = bswap16(dst)`: unconditional byte swap (ALU64 END). */
export const bswap16: (dst: DstReg) => Insn = endian('bswap16', A64, Endian.TO_LE, 16);
/** `dst = bswap32(dst)`. */
export const bswap32: (dst: DstReg) => Insn = endian('bswap32', A64, Endian.TO_LE, 32);
/** `dst = bswap64(dst)`. */
export const bswap64: (dst: DstReg) => Insn = endian('bswap64', A64, Endian.TO_LE, 64);

// ---------------------------------------------------------------------------------------------
// Loads and stores

/** A load: `dst = *(size *)(base + off)`. */
export type LoadFn = (dst: DstReg, base: Reg, off: number) => Insn;
/** A register store: `*(size *)(base + off) = src`. */
export type StoreRegFn = (base: Reg, off: number, src: Reg) => Insn;
/** An immediate store: `*(size *)(base + off) = imm`. */
export type StoreImmFn = (base: Reg, off: number, imm: number) => Insn;

function ldx(fn: string, mode: number, size: number): LoadFn {
  return (dst, base, off) =>
    mk(Class.LDX | mode | size, dstOf(fn, 'dst', dst), regOf(fn, 'base', base), off16(fn, 'off', off), 0);
}
function stx(fn: string, size: number): StoreRegFn {
  return (base, off, src) =>
    mk(Class.STX | Mode.MEM | size, regOf(fn, 'base', base), regOf(fn, 'src', src), off16(fn, 'off', off), 0);
}
function st(fn: string, size: number): StoreImmFn {
  return (base, off, imm) =>
    mk(Class.ST | Mode.MEM | size, regOf(fn, 'base', base), 0, off16(fn, 'off', off), imm32(fn, 'imm', imm));
}

/** `dst = *(u8 *)(base + off)`. */
export const ldxB: LoadFn = ldx('ldxB', Mode.MEM, Size.B);
/** `dst = *(u16 *)(base + off)`. */
export const ldxH: LoadFn = ldx('ldxH', Mode.MEM, Size.H);
/** `dst = *(u32 *)(base + off)`. */
export const ldxW: LoadFn = ldx('ldxW', Mode.MEM, Size.W);
/** `dst = *(u64 *)(base + off)`. */
export const ldxDW: LoadFn = ldx('ldxDW', Mode.MEM, Size.DW);
/** `dst = *(s8 *)(base + off)`: sign-extending load. */
export const ldsxB: LoadFn = ldx('ldsxB', Mode.MEMSX, Size.B);
/** `dst = *(s16 *)(base + off)`: sign-extending load. */
export const ldsxH: LoadFn = ldx('ldsxH', Mode.MEMSX, Size.H);
/** `dst = *(s32 *)(base + off)`: sign-extending load. */
export const ldsxW: LoadFn = ldx('ldsxW', Mode.MEMSX, Size.W);
/** `*(u8 *)(base + off) = src`. */
export const stxB: StoreRegFn = stx('stxB', Size.B);
/** `*(u16 *)(base + off) = src`. */
export const stxH: StoreRegFn = stx('stxH', Size.H);
/** `*(u32 *)(base + off) = src`. */
export const stxW: StoreRegFn = stx('stxW', Size.W);
/** `*(u64 *)(base + off) = src`. */
export const stxDW: StoreRegFn = stx('stxDW', Size.DW);
/** `*(u8 *)(base + off) = imm`. */
export const stB: StoreImmFn = st('stB', Size.B);
/** `*(u16 *)(base + off) = imm`. */
export const stH: StoreImmFn = st('stH', Size.H);
/** `*(u32 *)(base + off) = imm`. */
export const stW: StoreImmFn = st('stW', Size.W);
/** `*(u64 *)(base + off) = imm` (imm sign-extended). */
export const stDW: StoreImmFn = st('stDW', Size.DW);

/** Legacy packet load `r0 = *(size *)(skb->data + imm)` (LD_ABS); reads R6 implicitly. */
export type LdAbsFn = (imm: number) => Insn;
/** Legacy packet load `r0 = *(size *)(skb->data + src + imm)` (LD_IND). */
export type LdIndFn = (src: Reg, imm: number) => Insn;
function ldAbs(fn: string, size: number): LdAbsFn {
  return (imm) => mk(Class.LD | Mode.ABS | size, 0, 0, 0, imm32(fn, 'imm', imm));
}
function ldInd(fn: string, size: number): LdIndFn {
  return (src, imm) => mk(Class.LD | Mode.IND | size, 0, regOf(fn, 'src', src), 0, imm32(fn, 'imm', imm));
}
/** `r0 = *(u8 *)skb[imm]` (LD_ABS). */
export const ldAbsB: LdAbsFn = ldAbs('ldAbsB', Size.B);
/** `r0 = ntohs(*(u16 *)skb[imm])` (LD_ABS). */
export const ldAbsH: LdAbsFn = ldAbs('ldAbsH', Size.H);
/** `r0 = ntohl(*(u32 *)skb[imm])` (LD_ABS). */
export const ldAbsW: LdAbsFn = ldAbs('ldAbsW', Size.W);
/** `r0 = *(u8 *)skb[src + imm]` (LD_IND). */
export const ldIndB: LdIndFn = ldInd('ldIndB', Size.B);
/** `r0 = ntohs(*(u16 *)skb[src + imm])` (LD_IND). */
export const ldIndH: LdIndFn = ldInd('ldIndH', Size.H);
/** `r0 = ntohl(*(u32 *)skb[src + imm])` (LD_IND). */
export const ldIndW: LdIndFn = ldInd('ldIndW', Size.W);

// ---------------------------------------------------------------------------------------------
// Atomics

/** An atomic read-modify-write on `*(size *)(base + off)` with operand `src`. */
export type AtomicFn = (base: Reg, off: number, src: Reg) => Insn;
/** `dst = load_acquire((size *)(base + off))`. */
export type LoadAcquireFn = (dst: DstReg, base: Reg, off: number) => Insn;

function atomic(fn: string, size: number, op: number): AtomicFn {
  return (base, off, src) =>
    mk(
      Class.STX | Mode.ATOMIC | size,
      regOf(fn, 'base', base),
      regOf(fn, 'src', src),
      off16(fn, 'off', off),
      op,
    );
}
const W = Size.W;
const DW = Size.DW;
/** `lock *(u32 *)(base + off) += src`. */
export const atomicAdd32: AtomicFn = atomic('atomicAdd32', W, AtomicOp.ADD);
/** `lock *(u64 *)(base + off) += src`. */
export const atomicAdd64: AtomicFn = atomic('atomicAdd64', DW, AtomicOp.ADD);
/** `lock *(u32 *)(base + off) |= src`. */
export const atomicOr32: AtomicFn = atomic('atomicOr32', W, AtomicOp.OR);
/** `lock *(u64 *)(base + off) |= src`. */
export const atomicOr64: AtomicFn = atomic('atomicOr64', DW, AtomicOp.OR);
/** `lock *(u32 *)(base + off) &= src`. */
export const atomicAnd32: AtomicFn = atomic('atomicAnd32', W, AtomicOp.AND);
/** `lock *(u64 *)(base + off) &= src`. */
export const atomicAnd64: AtomicFn = atomic('atomicAnd64', DW, AtomicOp.AND);
/** `lock *(u32 *)(base + off) ^= src`. */
export const atomicXor32: AtomicFn = atomic('atomicXor32', W, AtomicOp.XOR);
/** `lock *(u64 *)(base + off) ^= src`. */
export const atomicXor64: AtomicFn = atomic('atomicXor64', DW, AtomicOp.XOR);
/** `src = atomic_fetch_add((u32 *)(base + off), src)`. */
export const atomicFetchAdd32: AtomicFn = atomic('atomicFetchAdd32', W, AtomicOp.ADD | AtomicOp.FETCH);
/** `src = atomic_fetch_add((u64 *)(base + off), src)`. */
export const atomicFetchAdd64: AtomicFn = atomic('atomicFetchAdd64', DW, AtomicOp.ADD | AtomicOp.FETCH);
/** `src = atomic_fetch_or((u32 *)(base + off), src)`. */
export const atomicFetchOr32: AtomicFn = atomic('atomicFetchOr32', W, AtomicOp.OR | AtomicOp.FETCH);
/** `src = atomic_fetch_or((u64 *)(base + off), src)`. */
export const atomicFetchOr64: AtomicFn = atomic('atomicFetchOr64', DW, AtomicOp.OR | AtomicOp.FETCH);
/** `src = atomic_fetch_and((u32 *)(base + off), src)`. */
export const atomicFetchAnd32: AtomicFn = atomic('atomicFetchAnd32', W, AtomicOp.AND | AtomicOp.FETCH);
/** `src = atomic_fetch_and((u64 *)(base + off), src)`. */
export const atomicFetchAnd64: AtomicFn = atomic('atomicFetchAnd64', DW, AtomicOp.AND | AtomicOp.FETCH);
/** `src = atomic_fetch_xor((u32 *)(base + off), src)`. */
export const atomicFetchXor32: AtomicFn = atomic('atomicFetchXor32', W, AtomicOp.XOR | AtomicOp.FETCH);
/** `src = atomic_fetch_xor((u64 *)(base + off), src)`. */
export const atomicFetchXor64: AtomicFn = atomic('atomicFetchXor64', DW, AtomicOp.XOR | AtomicOp.FETCH);
/** `src = xchg((u32 *)(base + off), src)`. */
export const atomicXchg32: AtomicFn = atomic('atomicXchg32', W, AtomicOp.XCHG);
/** `src = xchg((u64 *)(base + off), src)`. */
export const atomicXchg64: AtomicFn = atomic('atomicXchg64', DW, AtomicOp.XCHG);
/** `r0 = cmpxchg((u32 *)(base + off), r0, src)`: compares with R0 implicitly. */
export const atomicCmpxchg32: AtomicFn = atomic('atomicCmpxchg32', W, AtomicOp.CMPXCHG);
/** `r0 = cmpxchg((u64 *)(base + off), r0, src)`: compares with R0 implicitly. */
export const atomicCmpxchg64: AtomicFn = atomic('atomicCmpxchg64', DW, AtomicOp.CMPXCHG);

function loadAcq(fn: string, size: number): LoadAcquireFn {
  return (dst, base, off) =>
    mk(
      Class.STX | Mode.ATOMIC | size,
      dstOf(fn, 'dst', dst),
      regOf(fn, 'base', base),
      off16(fn, 'off', off),
      AtomicOp.LOAD_ACQ,
    );
}
function storeRel(fn: string, size: number): AtomicFn {
  return atomic(fn, size, AtomicOp.STORE_REL);
}
/** `dst = load_acquire((u8 *)(base + off))` (STX ATOMIC, imm LOAD_ACQ; Linux 6.15+). */
export const loadAcquireB: LoadAcquireFn = loadAcq('loadAcquireB', Size.B);
/** `dst = load_acquire((u16 *)(base + off))`. */
export const loadAcquireH: LoadAcquireFn = loadAcq('loadAcquireH', Size.H);
/** `dst = load_acquire((u32 *)(base + off))`. */
export const loadAcquireW: LoadAcquireFn = loadAcq('loadAcquireW', Size.W);
/** `dst = load_acquire((u64 *)(base + off))`. */
export const loadAcquireDW: LoadAcquireFn = loadAcq('loadAcquireDW', Size.DW);
/** `store_release((u8 *)(base + off), src)` (STX ATOMIC, imm STORE_REL; Linux 6.15+). */
export const storeReleaseB: AtomicFn = storeRel('storeReleaseB', Size.B);
/** `store_release((u16 *)(base + off), src)`. */
export const storeReleaseH: AtomicFn = storeRel('storeReleaseH', Size.H);
/** `store_release((u32 *)(base + off), src)`. */
export const storeReleaseW: AtomicFn = storeRel('storeReleaseW', Size.W);
/** `store_release((u64 *)(base + off), src)`. */
export const storeReleaseDW: AtomicFn = storeRel('storeReleaseDW', Size.DW);

// ---------------------------------------------------------------------------------------------
// 64-bit immediate loads

function wide(dst: number, src: number, imm: number, imm2: number): Insn {
  return { code: LD_IMM64, dst, src, off: 0, imm, imm2 };
}

/** `dst = value` (64-bit constant; `ld_imm64`, two slots). Accepts -2^63 .. 2^64-1. */
export function ldImm64(dst: DstReg, value: bigint | number): Insn {
  const fn = 'ldImm64';
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === 'number')
    throw new RangeError(`${fn}: value ${String(value)} is not a safe integer (use a bigint beyond 2^53)`);
  else throw new TypeError(`${fn}: value must be a bigint or a number, got ${String(value)}`);
  if (v < -(1n << 63n) || v >= 1n << 64n) throw new RangeError(`${fn}: value ${v} is not a 64-bit integer`);
  const { imm, imm2 } = splitImm64(v);
  return wide(dstOf(fn, 'dst', dst), Pseudo.NONE, imm, imm2);
}
/** `dst = map_by_fd(fd)`: map pointer from a map fd (pseudo MAP_FD). */
export function ldMapFd(dst: DstReg, fd: number): Insn {
  return wide(dstOf('ldMapFd', 'dst', dst), Pseudo.MAP_FD, simm32('ldMapFd', 'fd', fd), 0);
}
/** `dst = map_value_by_fd(fd) + off`: pointer into an array map's value (pseudo MAP_VALUE). */
export function ldMapValue(dst: DstReg, fd: number, off: number): Insn {
  const fn = 'ldMapValue';
  return wide(dstOf(fn, 'dst', dst), Pseudo.MAP_VALUE, simm32(fn, 'fd', fd), imm32(fn, 'off', off));
}
/** `dst = map_by_idx(idx)`: map pointer from `fd_array[idx]` (pseudo MAP_IDX). */
export function ldMapIdx(dst: DstReg, idx: number): Insn {
  return wide(dstOf('ldMapIdx', 'dst', dst), Pseudo.MAP_IDX, simm32('ldMapIdx', 'idx', idx), 0);
}
/** `dst = map_value_by_idx(idx) + off` (pseudo MAP_IDX_VALUE). */
export function ldMapIdxValue(dst: DstReg, idx: number, off: number): Insn {
  const fn = 'ldMapIdxValue';
  return wide(dstOf(fn, 'dst', dst), Pseudo.MAP_IDX_VALUE, simm32(fn, 'idx', idx), imm32(fn, 'off', off));
}
/** `dst = &ksym` by BTF id (pseudo BTF_ID); `btfFd` is the module BTF fd, 0 for vmlinux. */
export function ldBtfId(dst: DstReg, btfId: number, btfFd = 0): Insn {
  const fn = 'ldBtfId';
  return wide(dstOf(fn, 'dst', dst), Pseudo.BTF_ID, simm32(fn, 'btfId', btfId), simm32(fn, 'btfFd', btfFd));
}

/** `dst = &subprog` (pseudo FUNC); the target is a label or a slot offset relative to the next slot. */
export function ldFunc(dst: DstReg, target: number): Insn;
/** `dst = &subprog` by label name, resolved by {@link program}/{@link ProgramBuilder}. */
export function ldFunc(dst: DstReg, target: string): LabelRef;
/** `dst = &subprog`, by offset or label. */
export function ldFunc(dst: DstReg, target: Target): Insn | LabelRef;
export function ldFunc(dst: DstReg, target: Target): Insn | LabelRef {
  return withTarget('ldFunc', wide(dstOf('ldFunc', 'dst', dst), Pseudo.FUNC, 0, 0), 'imm', target);
}

// ---------------------------------------------------------------------------------------------
// Jumps and calls

/** A conditional jump comparing a register with an immediate. */
export interface JmpImmFn {
  /** Jump by `target` slots (relative to the next slot) when the condition holds. */
  (dst: Reg, imm: number, target: number): Insn;
  /** Jump to a label. */
  (dst: Reg, imm: number, target: string): LabelRef;
  /** Jump by offset or to a label. */
  (dst: Reg, imm: number, target: Target): Insn | LabelRef;
}
/** A conditional jump comparing two registers. */
export interface JmpRegFn {
  /** Jump by `target` slots (relative to the next slot) when the condition holds. */
  (dst: Reg, src: Reg, target: number): Insn;
  /** Jump to a label. */
  (dst: Reg, src: Reg, target: string): LabelRef;
  /** Jump by offset or to a label. */
  (dst: Reg, src: Reg, target: Target): Insn | LabelRef;
}
/** An unconditional jump or local call. */
export interface GotoFn {
  /** By slot offset relative to the next slot. */
  (target: number): Insn;
  /** To a label. */
  (target: string): LabelRef;
  /** By offset or to a label. */
  (target: Target): Insn | LabelRef;
}

function jmpImm(fn: string, cls: number, op: number): JmpImmFn {
  return ((dst: Reg, imm: number, target: Target) =>
    withTarget(
      fn,
      mk(cls | op | Source.K, regOf(fn, 'dst', dst), 0, 0, imm32(fn, 'imm', imm)),
      'off',
      target,
    )) as JmpImmFn;
}
function jmpReg(fn: string, cls: number, op: number): JmpRegFn {
  return ((dst: Reg, src: Reg, target: Target) =>
    withTarget(
      fn,
      mk(cls | op | Source.X, regOf(fn, 'dst', dst), regOf(fn, 'src', src), 0, 0),
      'off',
      target,
    )) as JmpRegFn;
}
const J = Class.JMP;
const J32 = Class.JMP32;

/** `if dst == imm goto target`. */
export const jeqImm: JmpImmFn = jmpImm('jeqImm', J, JmpOp.JEQ);
/** `if dst == src goto target`. */
export const jeqReg: JmpRegFn = jmpReg('jeqReg', J, JmpOp.JEQ);
/** `if dst > imm goto target` (unsigned). */
export const jgtImm: JmpImmFn = jmpImm('jgtImm', J, JmpOp.JGT);
/** `if dst > src goto target` (unsigned). */
export const jgtReg: JmpRegFn = jmpReg('jgtReg', J, JmpOp.JGT);
/** `if dst >= imm goto target` (unsigned). */
export const jgeImm: JmpImmFn = jmpImm('jgeImm', J, JmpOp.JGE);
/** `if dst >= src goto target` (unsigned). */
export const jgeReg: JmpRegFn = jmpReg('jgeReg', J, JmpOp.JGE);
/** `if dst & imm goto target`. */
export const jsetImm: JmpImmFn = jmpImm('jsetImm', J, JmpOp.JSET);
/** `if dst & src goto target`. */
export const jsetReg: JmpRegFn = jmpReg('jsetReg', J, JmpOp.JSET);
/** `if dst != imm goto target`. */
export const jneImm: JmpImmFn = jmpImm('jneImm', J, JmpOp.JNE);
/** `if dst != src goto target`. */
export const jneReg: JmpRegFn = jmpReg('jneReg', J, JmpOp.JNE);
/** `if dst s> imm goto target`. */
export const jsgtImm: JmpImmFn = jmpImm('jsgtImm', J, JmpOp.JSGT);
/** `if dst s> src goto target`. */
export const jsgtReg: JmpRegFn = jmpReg('jsgtReg', J, JmpOp.JSGT);
/** `if dst s>= imm goto target`. */
export const jsgeImm: JmpImmFn = jmpImm('jsgeImm', J, JmpOp.JSGE);
/** `if dst s>= src goto target`. */
export const jsgeReg: JmpRegFn = jmpReg('jsgeReg', J, JmpOp.JSGE);
/** `if dst < imm goto target` (unsigned). */
export const jltImm: JmpImmFn = jmpImm('jltImm', J, JmpOp.JLT);
/** `if dst < src goto target` (unsigned). */
export const jltReg: JmpRegFn = jmpReg('jltReg', J, JmpOp.JLT);
/** `if dst <= imm goto target` (unsigned). */
export const jleImm: JmpImmFn = jmpImm('jleImm', J, JmpOp.JLE);
/** `if dst <= src goto target` (unsigned). */
export const jleReg: JmpRegFn = jmpReg('jleReg', J, JmpOp.JLE);
/** `if dst s< imm goto target`. */
export const jsltImm: JmpImmFn = jmpImm('jsltImm', J, JmpOp.JSLT);
/** `if dst s< src goto target`. */
export const jsltReg: JmpRegFn = jmpReg('jsltReg', J, JmpOp.JSLT);
/** `if dst s<= imm goto target`. */
export const jsleImm: JmpImmFn = jmpImm('jsleImm', J, JmpOp.JSLE);
/** `if dst s<= src goto target`. */
export const jsleReg: JmpRegFn = jmpReg('jsleReg', J, JmpOp.JSLE);
/** `if w_dst == imm goto target` (JMP32). */
export const jeq32Imm: JmpImmFn = jmpImm('jeq32Imm', J32, JmpOp.JEQ);
/** `if w_dst == w_src goto target` (JMP32). */
export const jeq32Reg: JmpRegFn = jmpReg('jeq32Reg', J32, JmpOp.JEQ);
/** `if w_dst > imm goto target` (JMP32, unsigned). */
export const jgt32Imm: JmpImmFn = jmpImm('jgt32Imm', J32, JmpOp.JGT);
/** `if w_dst > w_src goto target` (JMP32, unsigned). */
export const jgt32Reg: JmpRegFn = jmpReg('jgt32Reg', J32, JmpOp.JGT);
/** `if w_dst >= imm goto target` (JMP32, unsigned). */
export const jge32Imm: JmpImmFn = jmpImm('jge32Imm', J32, JmpOp.JGE);
/** `if w_dst >= w_src goto target` (JMP32, unsigned). */
export const jge32Reg: JmpRegFn = jmpReg('jge32Reg', J32, JmpOp.JGE);
/** `if w_dst & imm goto target` (JMP32). */
export const jset32Imm: JmpImmFn = jmpImm('jset32Imm', J32, JmpOp.JSET);
/** `if w_dst & w_src goto target` (JMP32). */
export const jset32Reg: JmpRegFn = jmpReg('jset32Reg', J32, JmpOp.JSET);
/** `if w_dst != imm goto target` (JMP32). */
export const jne32Imm: JmpImmFn = jmpImm('jne32Imm', J32, JmpOp.JNE);
/** `if w_dst != w_src goto target` (JMP32). */
export const jne32Reg: JmpRegFn = jmpReg('jne32Reg', J32, JmpOp.JNE);
/** `if w_dst s> imm goto target` (JMP32). */
export const jsgt32Imm: JmpImmFn = jmpImm('jsgt32Imm', J32, JmpOp.JSGT);
/** `if w_dst s> w_src goto target` (JMP32). */
export const jsgt32Reg: JmpRegFn = jmpReg('jsgt32Reg', J32, JmpOp.JSGT);
/** `if w_dst s>= imm goto target` (JMP32). */
export const jsge32Imm: JmpImmFn = jmpImm('jsge32Imm', J32, JmpOp.JSGE);
/** `if w_dst s>= w_src goto target` (JMP32). */
export const jsge32Reg: JmpRegFn = jmpReg('jsge32Reg', J32, JmpOp.JSGE);
/** `if w_dst < imm goto target` (JMP32, unsigned). */
export const jlt32Imm: JmpImmFn = jmpImm('jlt32Imm', J32, JmpOp.JLT);
/** `if w_dst < w_src goto target` (JMP32, unsigned). */
export const jlt32Reg: JmpRegFn = jmpReg('jlt32Reg', J32, JmpOp.JLT);
/** `if w_dst <= imm goto target` (JMP32, unsigned). */
export const jle32Imm: JmpImmFn = jmpImm('jle32Imm', J32, JmpOp.JLE);
/** `if w_dst <= w_src goto target` (JMP32, unsigned). */
export const jle32Reg: JmpRegFn = jmpReg('jle32Reg', J32, JmpOp.JLE);
/** `if w_dst s< imm goto target` (JMP32). */
export const jslt32Imm: JmpImmFn = jmpImm('jslt32Imm', J32, JmpOp.JSLT);
/** `if w_dst s< w_src goto target` (JMP32). */
export const jslt32Reg: JmpRegFn = jmpReg('jslt32Reg', J32, JmpOp.JSLT);
/** `if w_dst s<= imm goto target` (JMP32). */
export const jsle32Imm: JmpImmFn = jmpImm('jsle32Imm', J32, JmpOp.JSLE);
/** `if w_dst s<= w_src goto target` (JMP32). */
export const jsle32Reg: JmpRegFn = jmpReg('jsle32Reg', J32, JmpOp.JSLE);

/** `goto target` (JMP JA, 16-bit offset). */
export const ja: GotoFn = ((target: Target) =>
  withTarget('ja', mk(J | JmpOp.JA, 0, 0, 0, 0), 'off', target)) as GotoFn;
/** `gotol target` (JMP32 JA, 32-bit offset in imm). */
export const gotol: GotoFn = ((target: Target) =>
  withTarget('gotol', mk(J32 | JmpOp.JA, 0, 0, 0, 0), 'imm', target)) as GotoFn;
/** `may_goto target` (JMP JCOND, src 0): jumps when the loop budget is spent, else falls through. */
export const mayGoto: GotoFn = ((target: Target) =>
  withTarget('mayGoto', mk(J | JmpOp.JCOND, 0, JcondKind.MAY_GOTO, 0, 0), 'off', target)) as GotoFn;
/** `call target` as a bpf-to-bpf call (src 1, imm = slot offset relative to the next slot). */
export const callLocal: GotoFn = ((target: Target) =>
  withTarget('callLocal', mk(J | JmpOp.CALL, 0, CallKind.PSEUDO_CALL, 0, 0), 'imm', target)) as GotoFn;

/** `call helperId`: a helper call (src 0). */
export function call(helperId: number): Insn {
  return mk(J | JmpOp.CALL, 0, CallKind.HELPER, 0, simm32('call', 'helperId', helperId));
}
/** `call kfunc`: kfunc by BTF id (src 2); `fdIdx` is the module BTF's index in fd_array (0: vmlinux). */
export function callKfunc(btfId: number, fdIdx = 0): Insn {
  return mk(
    J | JmpOp.CALL,
    0,
    CallKind.KFUNC,
    off16('callKfunc', 'fdIdx', fdIdx),
    simm32('callKfunc', 'btfId', btfId),
  );
}
/**
 * `callx reg`: indirect call through a register (JMP CALL X, register in dst as LLVM encodes it).
 * Linux 6.18 does not accept it (see the findings in insn.ts).
 */
export function callx(target: Reg): Insn {
  return mk(J | JmpOp.CALL | Source.X, regOf('callx', 'target', target), 0, 0, 0);
}
/** `exit`: return R0. */
export function exit(): Insn {
  return mk(J | JmpOp.EXIT, 0, 0, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// Programs

function isLabel(x: ProgramItem): x is Label {
  return (x as Label).kind === 'label';
}
function isRef(x: ProgramItem): x is LabelRef {
  return (x as LabelRef).kind === 'ref';
}

/**
 * Collects instructions and labels and resolves label references into slot offsets.
 *
 * ```ts
 * const b = new ProgramBuilder();
 * b.add(mov64Imm(R0, 0), jeqImm(R1, 0, 'out'), mov64Imm(R0, 1));
 * b.label('out').add(exit());
 * const insns = b.build();
 * ```
 */
export class ProgramBuilder {
  readonly #items: (Insn | LabelRef)[] = [];
  readonly #labels = new Map<string, number>();
  #slots = 0;

  /** Number of slots added so far (where the next label would point). */
  get slots(): number {
    return this.#slots;
  }

  /** Names the slot of the next instruction. Throws {@link LabelError} if the name is taken. */
  label(name: string): this {
    const l = label(name);
    if (this.#labels.has(l.name)) {
      throw new LabelError(
        l.name,
        `duplicate label '${l.name}' (first at slot ${this.#labels.get(l.name)}, again at slot ${this.#slots})`,
      );
    }
    this.#labels.set(l.name, this.#slots);
    return this;
  }

  /** Appends instructions, label references and labels (arrays are flattened one level). */
  add(...items: (ProgramItem | readonly ProgramItem[])[]): this {
    for (const it of items) {
      if (Array.isArray(it)) for (const x of it as readonly ProgramItem[]) this.#addOne(x);
      else this.#addOne(it as ProgramItem);
    }
    return this;
  }

  #addOne(x: ProgramItem): void {
    if (typeof x !== 'object' || x === null)
      throw new TypeError(`ProgramBuilder.add: not an instruction: ${String(x)}`);
    if (isLabel(x)) {
      this.label(x.name);
      return;
    }
    const insn = isRef(x) ? x.insn : x;
    if (typeof insn.code !== 'number') throw new TypeError('ProgramBuilder.add: not an instruction');
    this.#items.push(x);
    this.#slots += insn.code === LD_IMM64 ? 2 : 1;
  }

  /** Slot index of a defined label, or `undefined`. */
  labelSlot(name: string): number | undefined {
    return this.#labels.get(name);
  }

  /**
   * Resolves every label reference and returns the instructions. Throws {@link LabelError} for
   * an unknown label or an offset that does not fit its field (16 bits for jumps and `may_goto`,
   * 32 bits for `gotol`, `callLocal` and `ldFunc`).
   */
  build(): Insn[] {
    const out: Insn[] = [];
    let slot = 0;
    for (const x of this.#items) {
      if (!isRef(x)) {
        out.push(x);
        slot += x.code === LD_IMM64 ? 2 : 1;
        continue;
      }
      const to = this.#labels.get(x.target);
      if (to === undefined) {
        const known = [...this.#labels.keys()];
        throw new LabelError(
          x.target,
          `${x.op} at slot ${slot}: unknown label '${x.target}'${known.length > 0 ? ` (labels: ${known.join(', ')})` : ''}`,
        );
      }
      const delta = to - (slot + 1);
      if (x.field === 'off' && (delta < -0x8000 || delta > 0x7fff)) {
        throw new LabelError(
          x.target,
          `${x.op} at slot ${slot}: label '${x.target}' is ${delta} slots away, beyond the 16-bit offset range` +
            (x.op === 'ja' ? ' (use gotol)' : ''),
        );
      }
      out.push({ ...x.insn, [x.field]: delta });
      slot += x.insn.code === LD_IMM64 ? 2 : 1;
    }
    return out;
  }

  /** {@link build}, then {@link encode} to bytes. */
  encode(endian: Endianness = 'little'): Uint8Array {
    return encode(this.build(), { endian });
  }
}

/**
 * Builds a program from instructions, labels and label references in one call:
 * `program(jeqImm(R1, 0, 'out'), mov64Imm(R0, 1), label('out'), exit())`.
 */
export function program(...items: (ProgramItem | readonly ProgramItem[])[]): Insn[] {
  return new ProgramBuilder().add(...items).build();
}
