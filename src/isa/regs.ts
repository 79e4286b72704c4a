/**
 * Typed registers for the instruction builder.
 *
 * Registers are values, not numbers, so a builder call cannot confuse a register with an
 * immediate. `R0`..`R9` are {@link DstReg}s (writable); `R10`, the read-only frame pointer, is only a
 * {@link Reg}, so passing it where an instruction writes a register does not compile.
 *
 * @module
 */

declare const readableBrand: unique symbol;
declare const writableBrand: unique symbol;

/** Register number of a valid register, 0..10. */
export type RegNum = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** A register an instruction may read (R0..R10). */
export interface Reg {
  /** Register number, as encoded in the `dst`/`src` nibble. */
  readonly num: RegNum;
  /** Register name, `r0`..`r10`. */
  readonly name: string;
  /** Type-level brand: only the constants of this module are registers. */
  readonly [readableBrand]: true;
}

/** A register an instruction may write: R0..R9 (not the frame pointer R10). */
export interface DstReg extends Reg {
  /** Type-level brand of writable registers. */
  readonly [writableBrand]: true;
}

const made = new Set<object>();
function mk<T extends Reg>(num: RegNum): T {
  const name = `r${num}`;
  const r = Object.freeze({ num, name, toString: () => name });
  made.add(r);
  return r as unknown as T;
}

/** R0: return value of helpers, calls and the program. */
export const R0: DstReg = mk(0);
/** R1: first argument; the context pointer at program entry. */
export const R1: DstReg = mk(1);
/** R2: second argument. */
export const R2: DstReg = mk(2);
/** R3: third argument. */
export const R3: DstReg = mk(3);
/** R4: fourth argument. */
export const R4: DstReg = mk(4);
/** R5: fifth argument. */
export const R5: DstReg = mk(5);
/** R6: callee-saved. */
export const R6: DstReg = mk(6);
/** R7: callee-saved. */
export const R7: DstReg = mk(7);
/** R8: callee-saved. */
export const R8: DstReg = mk(8);
/** R9: callee-saved. */
export const R9: DstReg = mk(9);
/** R10: the read-only frame pointer. */
export const R10: Reg = mk(10);
/** Alias of {@link R10}, the frame pointer. */
export const FP: Reg = R10;

/** Every register indexed by number: `REGS[3] === R3`. */
export const REGS: readonly [
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  DstReg,
  Reg,
] = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];

/** True when `x` is one of the register constants of this module. */
export function isReg(x: unknown): x is Reg {
  return typeof x === 'object' && x !== null && made.has(x);
}

/** True when `x` is a register an instruction may write (R0..R9). */
export function isDstReg(x: unknown): x is DstReg {
  return isReg(x) && x.num !== 10;
}

/** The register numbered `n` (0..10); throws `RangeError` otherwise. */
export function reg(n: number): Reg {
  if (!Number.isInteger(n) || n < 0 || n > 10)
    throw new RangeError(`no register r${n}: registers are r0..r10`);
  return REGS[n]!;
}

/** The writable register numbered `n` (0..9); throws `RangeError` otherwise (r10 is read-only). */
export function dstReg(n: number): DstReg {
  if (!Number.isInteger(n) || n < 0 || n > 9)
    throw new RangeError(`r${n} is not a writable register: writable registers are r0..r9`);
  return REGS[n] as DstReg;
}
