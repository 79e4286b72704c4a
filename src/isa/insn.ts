/**
 * The instruction model: one {@link Insn} per logical instruction. A 64-bit immediate load
 * (`ld_imm64`, opcode 0x18) is one logical instruction that occupies two 8-byte slots; its second
 * slot's `imm` is {@link Insn.imm2}. Jump and call offsets count slots, as in the encoding.
 *
 * @module
 */

import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  SIZE_BYTES,
  Size,
  Source,
} from './opcodes.js';

/** One logical BPF instruction, with the fields of its encoding. */
export interface Insn {
  /** Opcode byte. */
  readonly code: number;
  /** Destination register field (0..15 in the encoding, 0..10 valid). */
  readonly dst: number;
  /** Source register field; for `ld_imm64` and `call` it selects the pseudo kind. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
  /** `ld_imm64` only: the signed 32-bit `imm` of the second slot. */
  readonly imm2?: number;
}

/** True for the two-slot 64-bit immediate load. */
export function isWide(insn: Insn): boolean {
  return insn.code === LD_IMM64;
}

/** Number of 8-byte slots `insn` occupies (2 for `ld_imm64`, else 1). */
export function slotsOf(insn: Insn): 1 | 2 {
  return insn.code === LD_IMM64 ? 2 : 1;
}

/** Total number of 8-byte slots of a program. */
export function slotCount(insns: readonly Insn[]): number {
  let n = 0;
  for (const i of insns) n += i.code === LD_IMM64 ? 2 : 1;
  return n;
}

/**
 * Slot index of each logical instruction: `result[k]` is the slot where `insns[k]` starts;
 * `result[insns.length]` is the total slot count.
 */
export function slotIndex(insns: readonly Insn[]): Int32Array {
  const out = new Int32Array(insns.length + 1);
  let s = 0;
  for (let k = 0; k < insns.length; k++) {
    out[k] = s;
    s += insns[k]!.code === LD_IMM64 ? 2 : 1;
  }
  out[insns.length] = s;
  return out;
}

/** The 64-bit value of an `ld_imm64` as an unsigned bigint: `imm2` is the high half. */
export function imm64(insn: Insn): bigint {
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** Splits a 64-bit value into the signed 32-bit `imm` (low) and `imm2` (high) of an `ld_imm64`. */
export function splitImm64(value: bigint): { imm: number; imm2: number } {
  const v = BigInt.asUintN(64, value);
  return { imm: Number(BigInt.asIntN(32, v & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, v >> 32n)) };
}

/** Access size in bytes of a load/store instruction. */
export function accessSize(code: number): 1 | 2 | 4 | 8 {
  return SIZE_BYTES[(code >> 3) & 3]!;
}

const RMW_ATOMICS: ReadonlySet<number> = new Set([
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
]);

const MAX_REG = 10;

/**
 * Checks the fields of one instruction against the encodings Linux 6.18 defines (RFC 9669 plus
 * the kernel's extensions: `may_goto`, arena casts, load-acquire/store-release, `callx`).
 * Returns why the encoding is reserved or invalid, or `undefined` when it is valid.
 *
 * This is an encoding check only: it does not know about program semantics (uninitialized
 * registers, division by a zero constant, out-of-range shifts, jump targets), which are the
 * verifier's business.
 *
 * Checked against Linux 6.18 with `node --import tsx bench/probe-isa.ts` (one BPF_PROG_LOAD per
 * rule): every rule below is refused by the kernel too when its verifier reaches the instruction
 * (most are checked only on the paths it walks, so on a branch it proves dead they load: see
 * docs/KERNEL-FINDINGS.md), with "unknown opcode XX" (class/op/mode
 * combinations that do not exist, JMP32 CALL/EXIT, JCOND in JMP32 or with X, LD IMM not DW,
 * LD_ABS/LDSX DW, ST/STX unknown modes), "BPF_<ALU|MOV|NEG|END|JA|CALL|LDX|ST|STX|
 * LD_[ABS|IND]|JMP/JMP32|LD_IMM64> uses reserved fields", "R11 is invalid", "invalid may_goto imm
 * N", "unrecognized bpf_ld_imm64 insn" (pseudo kind > 6), "BPF_ATOMIC uses invalid atomic
 * opcode XX" and "invalid atomic operand size" (RMW atomics in B/H). The kernel accepts:
 * load_acquire and store_release in B, H, W and DW; may_goto (also with off 0); gotol; movsx
 * 8/16/32 (ALU64) and 8/16 (ALU32); ldsx B/H/W; sdiv/smod (off 1) in ALU and ALU64, K and X;
 * bswap16/32/64; ALU32 END with imm 64; addr_space_cast imm 1 and 0x10000 (the verifier then
 * wants an arena map in the program, with its user address set: semantic, not encoding); EXIT
 * with off != 0 (off is not checked); ld_imm64 of every pseudo kind 0..6 (MAP_FD, MAP_VALUE,
 * MAP_IDX and MAP_IDX_VALUE with a real array map; BTF_ID of a kfunc; a value offset past the
 * value, an unknown BTF id, a percpu var missing from kallsyms, or FUNC without BTF func_info are
 * semantic refusals). The kernel refuses MAP_FD and MAP_IDX whose second imm is not 0
 * ("unrecognized bpf_ld_imm64 insn"), so that is an encoding rule here. Whether FUNC's second imm
 * is checked could not be observed (the load stops at "missing btf func_info" first). Two
 * differences with RFC 9669 follow: EXIT's off is free, and MAP_FD/MAP_IDX reserve the second
 * imm. callx (0x8d) is a valid encoding here although Linux 6.18 refuses it ("unknown opcode
 * 8d"): refusing it is the verifier's job, and the conformance suite runs it.
 */
export function encodingError(insn: Insn): string | undefined {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  if (dst > MAX_REG) return `invalid dst register r${dst}`;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = code & 0xf0;
      const x = (code & 0x08) !== 0;
      if (op > AluOp.END) return `unknown ALU operation 0x${op.toString(16)}`;
      if (op === AluOp.END) {
        if (cls === Class.ALU64 && x) return 'ALU64 END with the X bit is reserved';
        if (imm !== 16 && imm !== 32 && imm !== 64) return `byte swap width must be 16, 32 or 64, not ${imm}`;
        if (src !== 0) return 'byte swap uses reserved field src_reg';
        if (off !== 0) return 'byte swap uses reserved field off';
        return undefined;
      }
      if (op === AluOp.NEG) {
        if (x) return 'NEG with the X bit is reserved';
        if (src !== 0 || off !== 0 || imm !== 0) return 'NEG uses reserved fields';
        return undefined;
      }
      if (op === AluOp.MOV) {
        if (!x) {
          if (src !== 0) return 'MOV K uses reserved field src_reg';
          if (off !== 0) return 'MOV K uses reserved field off';
          return undefined;
        }
        if (src > MAX_REG) return `invalid src register r${src}`;
        if (cls === Class.ALU64 && off === 1) {
          if (imm !== 1 && imm !== 0x10000)
            return 'addr_space_cast can only convert between address spaces 0 and 1';
          return undefined;
        }
        if (imm !== 0) return 'MOV X uses reserved field imm';
        if (off !== 0 && off !== 8 && off !== 16 && !(cls === Class.ALU64 && off === 32))
          return `MOV X sign-extension width ${off} is invalid`;
        return undefined;
      }
      const signedOk = op === AluOp.DIV || op === AluOp.MOD;
      if (off !== 0 && !(off === 1 && signedOk)) return 'ALU uses reserved field off';
      if (x) {
        if (src > MAX_REG) return `invalid src register r${src}`;
        if (imm !== 0) return 'ALU X uses reserved field imm';
      } else if (src !== 0) return 'ALU K uses reserved field src_reg';
      return undefined;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = code & 0xf0;
      const x = (code & 0x08) !== 0;
      const jmp32 = cls === Class.JMP32;
      if (op === 0xf0) return 'unknown jump operation 0xf0';
      switch (op) {
        case JmpOp.JA:
          if (x) return 'JA with the X bit is reserved';
          if (dst !== 0 || src !== 0) return 'JA uses reserved register fields';
          if (jmp32 ? off !== 0 : imm !== 0)
            return jmp32 ? 'gotol uses reserved field off' : 'JA uses reserved field imm';
          return undefined;
        case JmpOp.CALL:
          if (jmp32) return 'JMP32 CALL is reserved';
          // callx (0x8d, target register in dst, as LLVM and the conformance suite encode it) is
          // part of the ISA model, so it decodes. Linux 6.18 refuses opcode 0x8d at load time
          // ("unknown opcode 8d", bench/probe-isa.ts): that is the verifier's call, not the
          // decoder's.
          if (x) {
            if (src !== 0 || off !== 0 || imm !== 0) return 'callx uses reserved fields';
            return undefined;
          }
          if (dst !== 0) return 'CALL uses reserved field dst_reg';
          if (src > 2) return `unknown call kind src_reg=${src}`;
          if (off !== 0 && src !== 2) return 'CALL uses reserved field off';
          return undefined;
        case JmpOp.EXIT:
          if (jmp32) return 'JMP32 EXIT is reserved';
          // The kernel checks dst, src and imm of EXIT but not off: `exit` with off != 0 loads
          // (bench/probe-isa.ts), so off is not a reserved field here.
          if (x || dst !== 0 || src !== 0 || imm !== 0) return 'EXIT uses reserved fields';
          return undefined;
        case JmpOp.JCOND:
          if (jmp32 || x) return 'JCOND exists only as JMP K';
          if (src !== 0) return `unknown JCOND kind src_reg=${src}`;
          if (dst !== 0 || imm !== 0) return 'may_goto uses reserved fields';
          return undefined;
        default:
          if (x) {
            if (src > MAX_REG) return `invalid src register r${src}`;
            if (imm !== 0) return 'conditional jump X uses reserved field imm';
          } else if (src !== 0) return 'conditional jump K uses reserved field src_reg';
          return undefined;
      }
    }
    case Class.LD: {
      const mode = code & 0xe0;
      const size = code & 0x18;
      if (mode === Mode.IMM) {
        if (size !== Size.DW) return 'LD IMM exists only with size DW';
        if (src > Pseudo.MAP_IDX_VALUE) return `unknown ld_imm64 pseudo kind src_reg=${src}`;
        if (off !== 0) return 'ld_imm64 uses reserved field off';
        // Linux 6.18 refuses MAP_FD and MAP_IDX loads whose second imm is not 0 ("unrecognized
        // bpf_ld_imm64 insn"); MAP_VALUE/MAP_IDX_VALUE carry the value offset there.
        if ((src === Pseudo.MAP_FD || src === Pseudo.MAP_IDX) && (insn.imm2 ?? 0) !== 0)
          return `ld_imm64 ${src === Pseudo.MAP_FD ? 'MAP_FD' : 'MAP_IDX'} uses reserved field imm of the second slot`;
        return undefined;
      }
      if (mode === Mode.ABS || mode === Mode.IND) {
        if (size === Size.DW) return 'LD_ABS/LD_IND exist only with sizes B, H, W';
        if (dst !== 0 || off !== 0) return 'LD_ABS/LD_IND use reserved fields';
        if (mode === Mode.ABS && src !== 0) return 'LD_ABS uses reserved field src_reg';
        if (src > MAX_REG) return `invalid src register r${src}`;
        return undefined;
      }
      return `unknown LD mode 0x${mode.toString(16)}`;
    }
    case Class.LDX: {
      const mode = code & 0xe0;
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `unknown LDX mode 0x${mode.toString(16)}`;
      if (mode === Mode.MEMSX && (code & 0x18) === Size.DW) return 'LDSX exists only with sizes B, H, W';
      if (src > MAX_REG) return `invalid src register r${src}`;
      if (imm !== 0) return 'LDX uses reserved field imm';
      return undefined;
    }
    case Class.ST: {
      if ((code & 0xe0) !== Mode.MEM) return `unknown ST mode 0x${(code & 0xe0).toString(16)}`;
      if (src !== 0) return 'ST uses reserved field src_reg';
      return undefined;
    }
    default: {
      // Class.STX
      const mode = code & 0xe0;
      const size = code & 0x18;
      if (src > MAX_REG) return `invalid src register r${src}`;
      if (mode === Mode.MEM) {
        if (imm !== 0) return 'STX uses reserved field imm';
        return undefined;
      }
      if (mode === Mode.ATOMIC) {
        if (imm === AtomicOp.LOAD_ACQ || imm === AtomicOp.STORE_REL) return undefined;
        if (!RMW_ATOMICS.has(imm)) return `unknown atomic operation 0x${(imm >>> 0).toString(16)}`;
        if (size !== Size.W && size !== Size.DW)
          return 'atomic read-modify-write exists only with sizes W, DW';
        return undefined;
      }
      return `unknown STX mode 0x${mode.toString(16)}`;
    }
  }
}

/** Field bit widths, for builders and property tests. */
export const FieldRange = {
  off: { min: -0x8000, max: 0x7fff },
  imm: { min: -0x80000000, max: 0x7fffffff },
} as const;

/** Source bit of an ALU/JMP opcode as a boolean: true when the operand is a register. */
export function usesRegSource(code: number): boolean {
  return (code & Source.X) !== 0;
}
