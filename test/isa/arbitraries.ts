/**
 * fast-check arbitraries of BPF instructions and programs, shared by the isa tests (codec,
 * builder, assemblers, disassemblers) and by later layers (verifier, interpreter fuzzing).
 *
 * Every instruction produced by {@link arbInsn} (and the per-class arbitraries) is a valid
 * ENCODING: `encodingError(insn) === undefined`, as Linux 6.18 decides (see the findings on
 * `encodingError` in src/isa/insn.ts). Nothing here is semantically checked: registers may be
 * uninitialized, jumps may leave the program, immediates are arbitrary. {@link arbInsnFields} is
 * the opposite: any field values within their bit widths, valid or not.
 *
 * @module
 */

import fc from 'fast-check';
import {
  AluOp,
  AtomicOp,
  CallKind,
  Class,
  type Endianness,
  type Insn,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  Size,
  Source,
} from '../../src/isa/index.js';

/** A register number 0..10 (R10, the frame pointer, included: the encoding allows it anywhere). */
export const arbRegNum: fc.Arbitrary<number> = fc.integer({ min: 0, max: 10 });

/** A signed 32-bit immediate, biased towards edge values. */
export const arbImm32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 16, 32, 64),
);

/** A signed 16-bit offset, biased towards edge values. */
export const arbOff16: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -0x8000, max: 0x7fff }),
  fc.constantFrom(0, 1, -1, 0x7fff, -0x8000),
);

/** Either byte order. */
export const arbEndianness: fc.Arbitrary<Endianness> = fc.constantFrom<Endianness>('little', 'big');

const ALU_BINARY = [
  AluOp.ADD,
  AluOp.SUB,
  AluOp.MUL,
  AluOp.DIV,
  AluOp.OR,
  AluOp.AND,
  AluOp.LSH,
  AluOp.RSH,
  AluOp.MOD,
  AluOp.XOR,
  AluOp.ARSH,
] as const;
const aluClass = fc.constantFrom<number>(Class.ALU, Class.ALU64);

/**
 * ALU and ALU64 instructions: the binary operations in K and X form (sdiv/smod with off 1),
 * mov (with movsx widths and the two arena casts), neg, and the byte swaps.
 */
export const arbAluInsn: fc.Arbitrary<Insn> = fc.oneof(
  // binary ops, K form
  fc
    .record({
      cls: aluClass,
      op: fc.constantFrom(...ALU_BINARY),
      dst: arbRegNum,
      imm: arbImm32,
      signed: fc.boolean(),
    })
    .map(({ cls, op, dst, imm, signed }) => ({
      code: cls | op | Source.K,
      dst,
      src: 0,
      off: signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0,
      imm,
    })),
  // binary ops, X form
  fc
    .record({
      cls: aluClass,
      op: fc.constantFrom(...ALU_BINARY),
      dst: arbRegNum,
      src: arbRegNum,
      signed: fc.boolean(),
    })
    .map(({ cls, op, dst, src, signed }) => ({
      code: cls | op | Source.X,
      dst,
      src,
      off: signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0,
      imm: 0,
    })),
  // mov K
  fc
    .record({ cls: aluClass, dst: arbRegNum, imm: arbImm32 })
    .map(({ cls, dst, imm }) => ({ code: cls | AluOp.MOV | Source.K, dst, src: 0, off: 0, imm })),
  // mov X and movsx
  fc
    .record({ is64: fc.boolean(), dst: arbRegNum, src: arbRegNum, w: fc.constantFrom(0, 8, 16, 32) })
    .map(({ is64, dst, src, w }) => ({
      code: (is64 ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X,
      dst,
      src,
      off: !is64 && w === 32 ? 0 : w,
      imm: 0,
    })),
  // addr_space_cast
  fc
    .record({ dst: arbRegNum, src: arbRegNum, imm: fc.constantFrom(1, 0x10000) })
    .map(({ dst, src, imm }) => ({ code: Class.ALU64 | AluOp.MOV | Source.X, dst, src, off: 1, imm })),
  // neg
  fc
    .record({ cls: aluClass, dst: arbRegNum })
    .map(({ cls, dst }) => ({ code: cls | AluOp.NEG, dst, src: 0, off: 0, imm: 0 })),
  // le/be (ALU) and bswap (ALU64 K)
  fc
    .record({
      kind: fc.constantFrom(Class.ALU, Class.ALU | Source.X, Class.ALU64),
      dst: arbRegNum,
      imm: fc.constantFrom(16, 32, 64),
    })
    .map(({ kind, dst, imm }) => ({ code: kind | AluOp.END, dst, src: 0, off: 0, imm })),
);

const COND_OPS = [
  JmpOp.JEQ,
  JmpOp.JGT,
  JmpOp.JGE,
  JmpOp.JSET,
  JmpOp.JNE,
  JmpOp.JSGT,
  JmpOp.JSGE,
  JmpOp.JLT,
  JmpOp.JLE,
  JmpOp.JSLT,
  JmpOp.JSLE,
] as const;
const jmpClass = fc.constantFrom<number>(Class.JMP, Class.JMP32);

/**
 * JMP and JMP32 instructions: every condition in K and X form, ja, gotol, may_goto, the three
 * call kinds (helper, bpf-to-bpf, kfunc with an fd_array index in off) and exit. No callx:
 * Linux 6.18 refuses it.
 */
export const arbJmpInsn: fc.Arbitrary<Insn> = fc.oneof(
  fc
    .record({ cls: jmpClass, op: fc.constantFrom(...COND_OPS), dst: arbRegNum, off: arbOff16, imm: arbImm32 })
    .map(({ cls, op, dst, off, imm }) => ({ code: cls | op | Source.K, dst, src: 0, off, imm })),
  fc
    .record({
      cls: jmpClass,
      op: fc.constantFrom(...COND_OPS),
      dst: arbRegNum,
      src: arbRegNum,
      off: arbOff16,
    })
    .map(({ cls, op, dst, src, off }) => ({ code: cls | op | Source.X, dst, src, off, imm: 0 })),
  arbOff16.map((off) => ({ code: Class.JMP | JmpOp.JA, dst: 0, src: 0, off, imm: 0 })),
  arbImm32.map((imm) => ({ code: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm })),
  arbOff16.map((off) => ({ code: Class.JMP | JmpOp.JCOND, dst: 0, src: 0, off, imm: 0 })),
  fc
    .record({ src: fc.constantFrom<number>(CallKind.HELPER, CallKind.PSEUDO_CALL), imm: arbImm32 })
    .map(({ src, imm }) => ({ code: Class.JMP | JmpOp.CALL, dst: 0, src, off: 0, imm })),
  fc
    .record({ off: arbOff16, imm: arbImm32 })
    .map(({ off, imm }) => ({ code: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.KFUNC, off, imm })),
  arbOff16.map((off) => ({ code: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off, imm: 0 })),
);

const allSizes = fc.constantFrom<number>(Size.B, Size.H, Size.W, Size.DW);
const narrowSizes = fc.constantFrom<number>(Size.B, Size.H, Size.W);

/**
 * Loads and stores: LDX (MEM and the sign-extending MEMSX), ST, STX, the atomics (read-modify-
 * write in W/DW, load-acquire and store-release in every size) and the legacy LD_ABS/LD_IND.
 */
export const arbMemInsn: fc.Arbitrary<Insn> = fc.oneof(
  fc
    .record({ size: allSizes, dst: arbRegNum, src: arbRegNum, off: arbOff16 })
    .map(({ size, dst, src, off }) => ({ code: Class.LDX | Mode.MEM | size, dst, src, off, imm: 0 })),
  fc
    .record({ size: narrowSizes, dst: arbRegNum, src: arbRegNum, off: arbOff16 })
    .map(({ size, dst, src, off }) => ({ code: Class.LDX | Mode.MEMSX | size, dst, src, off, imm: 0 })),
  fc
    .record({ size: allSizes, dst: arbRegNum, off: arbOff16, imm: arbImm32 })
    .map(({ size, dst, off, imm }) => ({ code: Class.ST | Mode.MEM | size, dst, src: 0, off, imm })),
  fc
    .record({ size: allSizes, dst: arbRegNum, src: arbRegNum, off: arbOff16 })
    .map(({ size, dst, src, off }) => ({ code: Class.STX | Mode.MEM | size, dst, src, off, imm: 0 })),
  fc
    .record({
      size: fc.constantFrom<number>(Size.W, Size.DW),
      dst: arbRegNum,
      src: arbRegNum,
      off: arbOff16,
      op: fc.constantFrom<number>(
        AtomicOp.ADD,
        AtomicOp.OR,
        AtomicOp.AND,
        AtomicOp.XOR,
        AtomicOp.ADD | AtomicOp.FETCH,
        AtomicOp.OR | AtomicOp.FETCH,
        AtomicOp.AND | AtomicOp.FETCH,
        AtomicOp.XOR | AtomicOp.FETCH,
        AtomicOp.XCHG,
        AtomicOp.CMPXCHG,
      ),
    })
    .map(({ size, dst, src, off, op }) => ({ code: Class.STX | Mode.ATOMIC | size, dst, src, off, imm: op })),
  fc
    .record({
      size: allSizes,
      dst: arbRegNum,
      src: arbRegNum,
      off: arbOff16,
      op: fc.constantFrom<number>(AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL),
    })
    .map(({ size, dst, src, off, op }) => ({ code: Class.STX | Mode.ATOMIC | size, dst, src, off, imm: op })),
  fc
    .record({ size: narrowSizes, imm: arbImm32 })
    .map(({ size, imm }) => ({ code: Class.LD | Mode.ABS | size, dst: 0, src: 0, off: 0, imm })),
  fc
    .record({ size: narrowSizes, src: arbRegNum, imm: arbImm32 })
    .map(({ size, src, imm }) => ({ code: Class.LD | Mode.IND | size, dst: 0, src, off: 0, imm })),
);

/**
 * `ld_imm64` with every pseudo kind (src_reg 0..6) and arbitrary halves, except that MAP_FD (1)
 * and MAP_IDX (5) have a zero second imm, as Linux 6.18 requires.
 */
export const arbLdImm64: fc.Arbitrary<Insn> = fc
  .record({ dst: arbRegNum, src: fc.integer({ min: 0, max: 6 }), imm: arbImm32, imm2: arbImm32 })
  .map(({ dst, src, imm, imm2 }) => ({
    code: LD_IMM64,
    dst,
    src,
    off: 0,
    imm,
    imm2: src === Pseudo.MAP_FD || src === Pseudo.MAP_IDX ? 0 : imm2,
  }));

/** Any valid one-slot instruction (everything except `ld_imm64`). */
export const arbNarrowInsn: fc.Arbitrary<Insn> = fc.oneof(arbAluInsn, arbJmpInsn, arbMemInsn);

/** Any valid instruction, `ld_imm64` included (about one in ten). */
export const arbInsn: fc.Arbitrary<Insn> = fc.oneof(
  { arbitrary: arbAluInsn, weight: 3 },
  { arbitrary: arbJmpInsn, weight: 3 },
  { arbitrary: arbMemInsn, weight: 3 },
  { arbitrary: arbLdImm64, weight: 1 },
);

/** Options of {@link arbProgram}. */
export interface ProgramConstraints {
  /** Fewest logical instructions (default 1). */
  minLength?: number;
  /** Most logical instructions (default 64). */
  maxLength?: number;
}

/** A list of valid instructions with `ld_imm64` mixed in (no semantic validity). */
export function arbProgram(c: ProgramConstraints = {}): fc.Arbitrary<Insn[]> {
  return fc.array(arbInsn, { minLength: c.minLength ?? 1, maxLength: c.maxLength ?? 64 });
}

/**
 * Any one-slot instruction fields within their bit widths (code 0..255 except 0x18, registers
 * 0..15), valid or not: for checking that `decode` and `encodingError` agree.
 */
export const arbInsnFields: fc.Arbitrary<Insn> = fc
  .record({
    code: fc.integer({ min: 0, max: 255 }).filter((c) => c !== LD_IMM64),
    dst: fc.integer({ min: 0, max: 15 }),
    src: fc.integer({ min: 0, max: 15 }),
    off: arbOff16,
    imm: arbImm32,
  })
  .map((f) => ({ ...f }));

/**
 * Random program bytes: mostly whole slots (some with a real opcode byte, so that decoding gets
 * past the first slot), sometimes a length that is not a multiple of 8.
 */
export const arbProgramBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .array(
      fc.oneof(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc
          .tuple(
            fc.constantFrom(0xb7, 0x07, 0x95, 0x18, 0x00, 0x61, 0x7b, 0xdb, 0x85, 0x15, 0xe5),
            fc.uint8Array({ minLength: 7, maxLength: 7 }),
          )
          .map(([c, rest]) => Uint8Array.of(c, ...rest)),
        fc.constant(new Uint8Array(8)),
      ),
      { maxLength: 24 },
    )
    .map((slots) => {
      const out = new Uint8Array(slots.length * 8);
      for (let k = 0; k < slots.length; k++) out.set(slots[k]!, k * 8);
      return out;
    }),
);

// ---------------------------------------------------------------------------------------------
// Programs the verifier accepts

const writable = fc.integer({ min: 0, max: 9 });
/** A stack slot offset below R10 that is `size`-aligned and inside the 32 initialized bytes. */
const stackOff = (size: 1 | 2 | 4 | 8): fc.Arbitrary<number> =>
  fc.integer({ min: 1, max: 32 / size }).map((k) => -k * size);

const SIZE_OF: Record<number, 1 | 2 | 4 | 8> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };

/** One straight-line instruction of a loadable program (see {@link arbLoadableProgram}). */
const arbLoadableStep: fc.Arbitrary<Insn[]> = fc.oneof(
  // binary ALU, K form: no division by a zero constant, shifts below the width
  fc
    .record({
      is64: fc.boolean(),
      op: fc.constantFrom(...ALU_BINARY, AluOp.MOV),
      signed: fc.boolean(),
      dst: writable,
      imm: arbImm32,
    })
    .map(({ is64, op, signed, dst, imm }) => {
      const width = is64 ? 64 : 32;
      let v = imm;
      if (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) v = ((imm % width) + width) % width;
      if ((op === AluOp.DIV || op === AluOp.MOD) && v === 0) v = 1;
      const off = signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0;
      return [{ code: (is64 ? Class.ALU64 : Class.ALU) | op | Source.K, dst, src: 0, off, imm: v }];
    }),
  // binary ALU, X form (division by a zero register is defined: the result is 0 or dst)
  fc
    .record({
      is64: fc.boolean(),
      op: fc.constantFrom(...ALU_BINARY, AluOp.MOV),
      signed: fc.boolean(),
      dst: writable,
      src: writable,
    })
    .map(({ is64, op, signed, dst, src }) => [
      {
        code: (is64 ? Class.ALU64 : Class.ALU) | op | Source.X,
        dst,
        src,
        off: signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0,
        imm: 0,
      },
    ]),
  // movsx, neg, byte swaps
  fc
    .record({ is64: fc.boolean(), dst: writable, src: writable, w: fc.constantFrom(8, 16, 32) })
    .map(({ is64, dst, src, w }) => [
      {
        code: (is64 ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X,
        dst,
        src,
        off: !is64 && w === 32 ? 16 : w,
        imm: 0,
      },
    ]),
  fc
    .record({ is64: fc.boolean(), dst: writable })
    .map(({ is64, dst }) => [
      { code: (is64 ? Class.ALU64 : Class.ALU) | AluOp.NEG, dst, src: 0, off: 0, imm: 0 },
    ]),
  fc
    .record({
      kind: fc.constantFrom(Class.ALU, Class.ALU | Source.X, Class.ALU64),
      dst: writable,
      imm: fc.constantFrom(16, 32, 64),
    })
    .map(({ kind, dst, imm }) => [{ code: kind | AluOp.END, dst, src: 0, off: 0, imm }]),
  // 64-bit constants
  fc
    .record({ dst: writable, imm: arbImm32, imm2: arbImm32 })
    .map(({ dst, imm, imm2 }) => [{ code: LD_IMM64, dst, src: 0, off: 0, imm, imm2 }]),
  // stack loads, sign-extending loads, stores, immediate stores
  allSizes.chain((size) =>
    fc.record({ dst: writable, off: stackOff(SIZE_OF[size]!), sx: fc.boolean() }).map(({ dst, off, sx }) => [
      {
        code: Class.LDX | (sx && size !== Size.DW ? Mode.MEMSX : Mode.MEM) | size,
        dst,
        src: 10,
        off,
        imm: 0,
      },
    ]),
  ),
  allSizes.chain((size) =>
    fc
      .record({ src: writable, off: stackOff(SIZE_OF[size]!) })
      .map(({ src, off }) => [{ code: Class.STX | Mode.MEM | size, dst: 10, src, off, imm: 0 }]),
  ),
  allSizes.chain((size) =>
    fc
      .record({ off: stackOff(SIZE_OF[size]!), imm: arbImm32 })
      .map(({ off, imm }) => [{ code: Class.ST | Mode.MEM | size, dst: 10, src: 0, off, imm }]),
  ),
  // atomics on the stack
  fc
    .constantFrom<number>(Size.W, Size.DW)
    .chain((size) =>
      fc
        .record({
          src: writable,
          off: stackOff(SIZE_OF[size]!),
          op: fc.constantFrom<number>(
            AtomicOp.ADD,
            AtomicOp.OR,
            AtomicOp.AND,
            AtomicOp.XOR,
            AtomicOp.ADD | AtomicOp.FETCH,
            AtomicOp.OR | AtomicOp.FETCH,
            AtomicOp.AND | AtomicOp.FETCH,
            AtomicOp.XOR | AtomicOp.FETCH,
            AtomicOp.XCHG,
            AtomicOp.CMPXCHG,
          ),
        })
        .map(({ src, off, op }) => [{ code: Class.STX | Mode.ATOMIC | size, dst: 10, src, off, imm: op }]),
    ),
  allSizes.chain((size) =>
    fc
      .record({ reg: writable, off: stackOff(SIZE_OF[size]!), acquire: fc.boolean() })
      .map(({ reg, off, acquire }) => [
        acquire
          ? { code: Class.STX | Mode.ATOMIC | size, dst: reg, src: 10, off, imm: AtomicOp.LOAD_ACQ }
          : { code: Class.STX | Mode.ATOMIC | size, dst: 10, src: reg, off, imm: AtomicOp.STORE_REL },
      ]),
  ),
);

/** A conditional forward jump placeholder: resolved by {@link arbLoadableProgram}. */
interface FwdJump {
  readonly jump: Insn;
  /** How many later steps to skip (clamped to the end of the body). */
  readonly skip: number;
}
const arbFwdJump: fc.Arbitrary<FwdJump> = fc
  .record({
    cls: jmpClass,
    op: fc.constantFrom(...COND_OPS),
    x: fc.boolean(),
    dst: writable,
    src: writable,
    imm: arbImm32,
    skip: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ cls, op, x, dst, src, imm, skip }) => ({
    jump: x
      ? { code: cls | op | Source.X, dst, src, off: 0, imm: 0 }
      : { code: cls | op | Source.K, dst, src: 0, off: 0, imm },
    skip,
  }));

/**
 * A program Linux 6.18's verifier accepts as BPF_PROG_TYPE_SOCKET_FILTER (or any type that
 * returns a scalar), with no helper calls and no loops: it sets R0..R9 to constants and the 32
 * bytes below R10, then runs random ALU operations (32/64-bit, K/X, sdiv/smod, movsx, neg, byte
 * swaps), 64-bit constants, stack loads/stores (ldsx included), atomics, load-acquire and
 * store-release on those 32 bytes, and forward conditional jumps, and exits.
 *
 * Its results are defined (division by a zero register included), so it suits differential
 * tests of an interpreter against the kernel (BPF_PROG_TEST_RUN). bench/probe-isa.ts loads a
 * sample of these into the kernel.
 */
export function arbLoadableProgram(c: ProgramConstraints = {}): fc.Arbitrary<Insn[]> {
  const minLength = c.minLength ?? 1;
  const maxLength = c.maxLength ?? 64;
  return fc
    .record({
      init: fc.array(arbImm32, { minLength: 10, maxLength: 10 }),
      stack: fc.array(arbImm32, { minLength: 4, maxLength: 4 }),
      body: fc.array(
        fc.oneof({ arbitrary: arbLoadableStep, weight: 5 }, { arbitrary: arbFwdJump, weight: 1 }),
        {
          minLength,
          maxLength,
        },
      ),
      ret: writable,
    })
    .map(({ init, stack, body, ret }) => {
      const out: Insn[] = [];
      init.forEach((imm, r) => {
        out.push({ code: Class.ALU64 | AluOp.MOV | Source.K, dst: r, src: 0, off: 0, imm });
      });
      stack.forEach((imm, k) => {
        out.push({ code: Class.ST | Mode.MEM | Size.DW, dst: 10, src: 0, off: -8 * (k + 1), imm });
      });
      // Slot of each body step, to turn "skip n steps" into a slot offset.
      const steps: Insn[][] = body.map((b) => (Array.isArray(b) ? b : [b.jump]));
      const startSlot: number[] = [];
      let slot = 0;
      for (const s of steps) {
        startSlot.push(slot);
        for (const i of s) slot += i.code === LD_IMM64 ? 2 : 1;
      }
      startSlot.push(slot);
      body.forEach((b, k) => {
        if (Array.isArray(b)) out.push(...b);
        else {
          const target = Math.min(k + 1 + (b as FwdJump).skip, body.length);
          out.push({ ...(b as FwdJump).jump, off: startSlot[target]! - (startSlot[k]! + 1) });
        }
      });
      out.push({ code: Class.ALU64 | AluOp.MOV | Source.X, dst: 0, src: ret, off: 0, imm: 0 });
      out.push({ code: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
      return out;
    });
}
