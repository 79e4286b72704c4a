/**
 * CO-RE relocations in the loader: each `.BTF.ext` core_relo record is computed against the
 * target BTF (vmlinux, or the machine's) with the pure computation of `src/btf/core.ts`, and the
 * loader patches the instruction's immediate or offset, as libbpf does before BPF_PROG_LOAD. A
 * relocation without a target poisons the instruction (`call 0xbad2310`), which the verifier
 * reports if it is reachable.
 *
 * @module
 */

import {
  type Btf,
  CORE_POISON,
  CoreReloError,
  type CoreReloSpec,
  type CoreResult,
  computeCoreRelo as computeBtfCoreRelo,
} from '../btf/index.js';
import type { Insn } from '../isa/insn.js';
import { LD_IMM64 } from '../isa/opcodes.js';
import { LoaderError } from './errors.js';

export { CORE_POISON, type CoreResult, coreKindName } from '../btf/index.js';

/**
 * Computes one relocation (see `computeCoreRelo` of `src/btf`; the loader keeps the values, not
 * the log details); `where` names the place.
 * A relocation that cannot be computed is a {@link LoaderError}.
 */
export function computeCoreRelo(
  local: Btf,
  target: Btf,
  relo: CoreReloSpec & { readonly slot?: number },
  where: () => string,
): CoreResult {
  try {
    const r = computeBtfCoreRelo(local, target, relo, where);
    return { local: r.local, target: r.target, targetType: r.targetType };
  } catch (e) {
    if (e instanceof CoreReloError) throw new LoaderError({}, e.message);
    throw e;
  }
}

/**
 * Applies a result to the instruction at `insns[index]` (in place): ALU immediates and ld_imm64
 * get the value, memory instructions the offset; a relocation without a target poisons the
 * instruction. Checks that the instruction holds the local value first, as the compiler wrote it.
 * Returns true when the instruction was poisoned.
 */
export function patchCoreInsn(insns: Insn[], index: number, r: CoreResult, where: () => string): boolean {
  const insn = insns[index]!;
  const cls = insn.code & 7;
  if (r.target === undefined) {
    if (insn.code === LD_IMM64)
      throw new LoaderError({}, `${where()}: unresolved CO-RE relocation on ld_imm64`);
    insns[index] = { code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON };
    return true;
  }
  if (insn.code === LD_IMM64) {
    const cur = (BigInt(insn.imm2 ?? 0) << 32n) | BigInt(insn.imm >>> 0);
    if (cur !== r.local) throw new LoaderError({}, `${where()}: instruction has ${cur}, expected ${r.local}`);
    insns[index] = {
      ...insn,
      imm: Number(BigInt.asIntN(32, r.target)),
      imm2: Number(BigInt.asIntN(32, r.target >> 32n)),
    };
    return false;
  }
  if ((cls === 4 || cls === 7) && (insn.code & 8) === 0) {
    if (BigInt(insn.imm >>> 0) !== r.local && BigInt(insn.imm) !== r.local)
      throw new LoaderError({}, `${where()}: instruction has imm ${insn.imm}, expected ${r.local}`);
    if (r.target > 0xffffffffn)
      throw new LoaderError({}, `${where()}: value ${r.target} does not fit in imm`);
    insns[index] = { ...insn, imm: Number(BigInt.asIntN(32, r.target)) };
    return false;
  }
  if (cls === 1 || cls === 2 || cls === 3) {
    if (BigInt(insn.off) !== r.local)
      throw new LoaderError({}, `${where()}: instruction has offset ${insn.off}, expected ${r.local}`);
    if (r.target > 0x7fffn)
      throw new LoaderError({}, `${where()}: offset ${r.target} does not fit in 16 bits`);
    insns[index] = { ...insn, off: Number(r.target) };
    return false;
  }
  throw new LoaderError(
    {},
    `${where()}: cannot apply a CO-RE relocation to opcode 0x${insn.code.toString(16)}`,
  );
}
