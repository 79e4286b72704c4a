/**
 * Linking one program of an {@link ObjectSpec} with the subprograms it needs: the program's
 * instructions followed by each subprogram's, with bpf-to-bpf calls and function pointers
 * resolved to slot offsets (`call` with src_reg = BPF_PSEUDO_CALL, `ld_imm64` with src_reg =
 * BPF_PSEUDO_FUNC, imm = target slot − own slot − 1). What only a loader can resolve (maps,
 * global data, externs) stays as relocation records, re-indexed to the linked instructions.
 *
 * @module
 */

import type { Insn } from '../isa/insn.js';
import { CallKind, LD_IMM64, Pseudo } from '../isa/opcodes.js';
import type { ExtCoreRelo, ExtFuncInfo, ExtLineInfo } from './btfinfo.js';
import type { DataReloc, ExternReloc, FunctionSpec, MapReloc, ObjectSpec, ProgramSpec } from './object.js';

/** Where one function sits in a linked program. */
export interface LinkedFunction {
  /** Function name. */
  readonly name: string;
  /** Index of its first instruction in {@link LinkedProgram.insns}. */
  readonly insn: number;
  /** Slot of its first instruction. */
  readonly slot: number;
}

/** A relocation the loader still has to apply, with indexes into the linked program. */
export type LoaderReloc = MapReloc | DataReloc | ExternReloc;

/** A program linked with its subprograms. */
export interface LinkedProgram {
  /** The program. */
  readonly program: ProgramSpec;
  /** Instructions: the program, then its subprograms in {@link ProgramSpec.subprograms} order. */
  readonly insns: readonly Insn[];
  /** The functions and where they start; the program is first. */
  readonly functions: readonly LinkedFunction[];
  /**
   * Map, global-data and extern relocations, in instruction order; `insn` and `slot` count from
   * the start of the linked program.
   */
  readonly relocations: readonly LoaderReloc[];
  /** func_info of every function, slots in the linked program. */
  readonly funcInfo: readonly ExtFuncInfo[];
  /** line_info of every function, slots in the linked program. */
  readonly lineInfo: readonly ExtLineInfo[];
  /** CO-RE relocations of every function, slots in the linked program. */
  readonly coreRelos: readonly ExtCoreRelo[];
}

/**
 * Links program `name` of `spec`. Throws a `RangeError` when there is no such program (a spec
 * from {@link parseObject} always has every function its programs need).
 */
export function linkProgram(spec: ObjectSpec, name: string): LinkedProgram {
  const program = spec.programs.find((p) => p.name === name);
  if (program === undefined) throw new RangeError(`no program '${name}'`);
  const byName = new Map<string, FunctionSpec>();
  for (const f of spec.functions) byName.set(f.name, f);
  const parts: FunctionSpec[] = [program];
  for (const s of program.subprograms) {
    const f = byName.get(s);
    if (f === undefined) throw new RangeError(`program '${name}' needs '${s}', which is not in the spec`);
    parts.push(f);
  }
  const functions: LinkedFunction[] = [];
  const start = new Map<string, number>();
  let insnBase = 0;
  let slotBase = 0;
  for (const f of parts) {
    functions.push({ name: f.name, insn: insnBase, slot: slotBase });
    start.set(f.name, slotBase);
    insnBase += f.insns.length;
    slotBase += f.slots;
  }
  const insns: Insn[] = [];
  const relocations: LoaderReloc[] = [];
  const funcInfo: ExtFuncInfo[] = [];
  const lineInfo: ExtLineInfo[] = [];
  const coreRelos: ExtCoreRelo[] = [];
  parts.forEach((f, i) => {
    const base = functions[i]!;
    const out = f.insns.slice();
    const slots = new Int32Array(out.length);
    let s = 0;
    for (let k = 0; k < out.length; k++) {
      slots[k] = s;
      s += out[k]!.code === LD_IMM64 ? 2 : 1;
    }
    for (const r of f.relocations) {
      const here = base.slot + r.slot;
      if (r.kind === 'call' || r.kind === 'funcPtr') {
        const target = start.get(r.target);
        if (target === undefined)
          throw new RangeError(`'${f.name}' refers to '${r.target}', which is not linked`);
        const insn = out[r.insn]!;
        out[r.insn] =
          r.kind === 'call'
            ? { ...insn, src: CallKind.PSEUDO_CALL, imm: target - here - 1 }
            : { ...insn, src: Pseudo.FUNC, imm: target - here - 1, imm2: 0 };
      } else {
        relocations.push({ ...r, insn: base.insn + r.insn, slot: here });
      }
    }
    insns.push(...out);
    for (const x of f.funcInfo) funcInfo.push({ ...x, slot: base.slot + x.slot });
    for (const x of f.lineInfo) lineInfo.push({ ...x, slot: base.slot + x.slot });
    for (const x of f.coreRelos) coreRelos.push({ ...x, slot: base.slot + x.slot });
  });
  return { program, insns, functions, relocations, funcInfo, lineInfo, coreRelos };
}
