/**
 * Verifier corpus programs with BTF and func_info: global functions (verified on their own, with
 * arguments from their BTF prototype) and static ones (verified in their caller's context).
 *
 * Each program is assembly whose subprograms are the targets of its `call label` instructions; its
 * `funcs` list gives, in slot order (main first), each function's name, linkage and prototype. The
 * BTF is built here with the project's BTF builder.
 */
import { Btf } from '../../src/btf/index.js';
import type { Insn } from '../../src/isa/insn.js';
import { LD_IMM64, Pseudo } from '../../src/isa/opcodes.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import type { CorpusMap } from './corpus.js';

/** Parameter and return types the corpus uses. */
export type GlobalType =
  | 'void'
  | 'int'
  | 'long'
  | 'ctx'
  | 'int*'
  | 'S*'
  | 'void*'
  | 'S'
  | 'char*'
  | 'fp*'
  | 'wrongctx';

/** A function of a corpus program. */
export interface GlobalFunc {
  name: string;
  linkage: 'static' | 'global';
  ret: GlobalType;
  params: GlobalType[];
}

/** A corpus program with BTF. */
export interface GlobalProgram {
  name: string;
  type: number;
  asm: string;
  funcs: GlobalFunc[];
  /** Maps (`map[idx:K]`); default: one 8-byte array when the text names a map. */
  maps?: CorpusMap[];
  /** Override the func_info records (slot offset, FUNC index into `funcs`) to test their checks. */
  funcInfo?: { insnOff: number; func: number }[];
}

/** One func_info record. */
export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

/** Slot offsets of the subprograms of `insns` (0 first), from the pseudo calls and function loads. */
export function subprogStarts(insns: readonly Insn[]): number[] {
  const starts = new Set<number>([0]);
  let slot = 0;
  for (const i of insns) {
    if ((i.code === 0x85 && i.src === 1) || (i.code === LD_IMM64 && i.src === Pseudo.FUNC))
      starts.add(slot + i.imm + 1);
    slot += i.code === LD_IMM64 ? 2 : 1;
  }
  return [...starts].sort((a, b) => a - b);
}

/** Builds the BTF of `p` and its func_info records. */
export function buildGlobals(
  p: GlobalProgram,
  insns: readonly Insn[],
): { btf: Uint8Array; funcInfo: FuncInfoRecord[] } {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const long = b.addInt('long', 8, { encoding: 1 });
  const char = b.addInt('char', 1, { encoding: 1 });
  const skb = p.type === ProgType.XDP ? 'xdp_md' : '__sk_buff';
  const ctxStruct = b.addStruct(skb, p.type === ProgType.XDP ? 24 : 192);
  const otherCtx = b.addStruct(p.type === ProgType.XDP ? '__sk_buff' : 'xdp_md', 24);
  const s = b.addStruct('S', 8, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'b', type: int, bitOffset: 32 },
  ]);
  const fnPtrProto = b.addFuncProto(int, []);
  const ids: Record<GlobalType, number> = {
    void: 0,
    int,
    long,
    ctx: b.addPtr(ctxStruct),
    'int*': b.addPtr(int),
    'S*': b.addPtr(s),
    'void*': b.addPtr(0),
    S: s,
    'char*': b.addPtr(char),
    'fp*': b.addPtr(fnPtrProto),
    wrongctx: b.addPtr(otherCtx),
  };
  const funcIds = p.funcs.map((f) => {
    const proto = b.addFuncProto(
      ids[f.ret],
      f.params.map((t, k) => ({ name: `a${k}`, type: ids[t] })),
    );
    return b.addFunc(f.name, proto, f.linkage);
  });
  const starts = subprogStarts(insns);
  const funcInfo =
    p.funcInfo?.map((r) => ({
      insnOff: r.insnOff,
      typeId: r.func >= 1000 ? r.func - 1000 : (funcIds[r.func] ?? 0),
    })) ?? starts.map((insnOff, k) => ({ insnOff, typeId: funcIds[k] ?? 0 }));
  return { btf: b.serialize(), funcInfo };
}

/** func_info records as BPF_PROG_LOAD takes them (8 bytes each). */
export function encodeFuncInfo(recs: readonly FuncInfoRecord[]): Uint8Array {
  const out = new Uint8Array(recs.length * 8);
  const dv = new DataView(out.buffer);
  recs.forEach((r, k) => {
    dv.setUint32(k * 8, r.insnOff, true);
    dv.setUint32(k * 8 + 4, r.typeId, true);
  });
  return out;
}

const XDP = ProgType.XDP;
const MAIN: GlobalFunc = { name: 'main', linkage: 'global', ret: 'int', params: ['ctx'] };
const g = (name: string, ret: GlobalType, ...params: GlobalType[]): GlobalFunc => ({
  name,
  linkage: 'global',
  ret,
  params,
});
const st = (name: string, ret: GlobalType, ...params: GlobalType[]): GlobalFunc => ({
  name,
  linkage: 'static',
  ret,
  params,
});

/** The programs. */
export const GLOBALS: GlobalProgram[] = [
  {
    name: 'scalar-arg',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'scalar-arg-static',
    type: XDP,
    funcs: [MAIN, st('f', 'int', 'int')],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'scalar-arg-gets-pointer',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = r10\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'scalar-arg-uninit',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'call f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'result-is-unknown',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nif r0 == 1 goto out\nr0 = 0\nexit\nout:\nr0 = 1\nexit\nf:\nr0 = 1\nexit',
  },
  {
    name: 'result-is-unknown-static',
    type: XDP,
    funcs: [MAIN, st('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nr0 <<= 3\nr1 = r10\nr1 += -8\nr1 += r0\nr0 = *(u64 *)(r1 - 8)\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'result-as-offset-global',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nr0 <<= 3\nr1 = r10\nr1 += -8\nr1 += r0\nr0 = *(u64 *)(r1 - 8)\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'arg-is-unknown',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr1 <<= 3\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = 0\n*(u64 *)(r2 + 0) = r0\nexit',
  },
  {
    name: 'arg-is-unknown-static',
    type: XDP,
    funcs: [MAIN, st('f', 'int', 'int')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr1 <<= 3\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = 0\n*(u64 *)(r2 + 0) = r0\nexit',
  },
  {
    name: 'ctx-arg',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'call f\nexit\nf:\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'ctx-arg-gets-stack',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'r1 = r10\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'ctx-arg-bad-offset',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'call f\nexit\nf:\nr0 = *(u32 *)(r1 + 24)\nr0 = 0\nexit',
  },
  {
    name: 'ctx-arg-modified',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'r1 += 4\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'ctx-arg-tc',
    type: ProgType.SCHED_CLS,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'call f\nexit\nf:\nr0 = *(u32 *)(r1 + 0)\nexit',
  },
  {
    name: 'ctx-arg-other-type',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'wrongctx')],
    asm: 'call f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-stack',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 7\n*(u32 *)(r10 - 4) = r1\nr1 = r10\nr1 += -4\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 0)\nout:\nexit',
  },
  {
    name: 'int-ptr-stack-uninit',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = r10\nr1 += -4\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-null',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 0)\nout:\nexit',
  },
  {
    name: 'int-ptr-no-null-check',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = *(u32 *)(r1 + 0)\nexit',
  },
  {
    name: 'int-ptr-past-end',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nexit',
  },
  {
    name: 'int-ptr-write',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr1 = r10\nr1 += -4\ncall f\nr0 = *(u32 *)(r10 - 4)\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr2 = 3\n*(u32 *)(r1 + 0) = r2\nout:\nexit',
  },
  {
    name: 'int-ptr-stack-too-small',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr1 = r10\nr1 += -2\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-scalar',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 8\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-ctx',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'call f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'struct-ptr',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nexit',
  },
  {
    name: 'struct-ptr-past-end',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 8)\nout:\nexit',
  },
  {
    name: 'struct-ptr-u64',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u64 *)(r1 + 0)\nout:\nexit',
  },
  {
    name: 'struct-ptr-short-stack',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -4\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'char-ptr',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'char*')],
    asm: 'r1 = 0\n*(u8 *)(r10 - 1) = r1\nr1 = r10\nr1 += -1\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u8 *)(r1 + 0)\nout:\nexit',
  },
  {
    name: 'void-ptr',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'void*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'func-ptr-arg',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'fp*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'struct-by-value',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'long-args',
    type: XDP,
    funcs: [MAIN, g('f', 'long', 'long', 'int', 'long', 'int', 'long')],
    asm: 'r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\ncall f\nexit\nf:\nr0 = r1\nr0 += r5\nexit',
  },
  {
    name: 'arg-beyond-count',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\nr2 = 2\ncall f\nexit\nf:\nr0 = r2\nexit',
  },
  {
    name: 'six-args',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int', 'int', 'int', 'int', 'int', 'int')],
    asm: 'r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\ncall f\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'returns-void',
    type: XDP,
    funcs: [MAIN, g('f', 'void', 'int')],
    asm: 'r1 = 1\ncall f\nr0 = 0\nexit\nf:\nexit',
  },
  {
    name: 'returns-pointer-type',
    type: XDP,
    funcs: [MAIN, g('f', 'int*', 'int')],
    asm: 'r1 = 1\ncall f\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'returns-ctx-value',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'ctx')],
    asm: 'call f\nr0 = 0\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'returns-uninit',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nexit\nf:\nexit',
  },
  {
    name: 'body-error',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nexit\nf:\nr0 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r0 + 0)\nexit',
  },
  {
    name: 'body-error-not-called',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\nif r1 == 1 goto out\ncall f\nout:\nr0 = 0\nexit\nf:\nr0 = *(u32 *)(r1 + 0)\nexit',
  },
  {
    name: 'global-calls-global',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int'), g('h', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nexit\nf:\nr1 += 1\ncall h\nexit\nh:\nr0 = r1\nexit',
  },
  {
    name: 'global-calls-static',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int'), st('h', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nexit\nf:\nr1 = 2\ncall h\nexit\nh:\nr0 = r1\nexit',
  },
  {
    name: 'static-calls-global-bad-arg',
    type: XDP,
    funcs: [MAIN, st('f', 'int', 'int'), g('h', 'int', 'int*')],
    asm: 'r1 = 1\ncall f\nexit\nf:\ncall h\nexit\nh:\nr0 = 0\nexit',
  },
  {
    name: 'global-stack-pointer-return',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 1\ncall f\nr0 = 0\nexit\nf:\nr0 = r10\nexit',
  },
  {
    name: 'global-map-value-arg',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nr1 = r0\ncall f\nr0 = 0\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nexit',
  },
  {
    name: 'global-pkt-arg',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr1 = r2\nr1 += 4\nif r1 > r3 goto out\nr1 = r2\ncall f\nout:\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'global-pkt-arg-unchecked',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = *(u32 *)(r1 + 0)\ncall f\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'func-info-count-mismatch',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    funcInfo: [{ insnOff: 0, func: 0 }],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'func-info-wrong-offset',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    funcInfo: [
      { insnOff: 0, func: 0 },
      { insnOff: 2, func: 1 },
    ],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'func-info-nonzero-first',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    funcInfo: [
      { insnOff: 1, func: 0 },
      { insnOff: 3, func: 1 },
    ],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'func-info-not-a-func',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    funcInfo: [
      { insnOff: 0, func: 0 },
      { insnOff: 3, func: 1000 + 1 },
    ],
    asm: 'r1 = 5\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'main-only',
    type: XDP,
    funcs: [MAIN],
    asm: 'r0 = 0\nexit',
  },
  {
    name: 'bpf-loop-callback-global',
    type: XDP,
    funcs: [MAIN, g('cb', 'int', 'int', 'void*')],
    asm: 'r1 = 4\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb:\nr0 = 0\nexit',
  },
  {
    name: 'bpf-loop-callback-static',
    type: XDP,
    funcs: [MAIN, st('cb', 'int', 'int', 'void*')],
    asm: 'r1 = 4\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-clobbers-stack',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\ncall f\nr1 = *(u64 *)(r10 - 8)\nr2 = r10\nr2 += -16\nr2 += r1\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'int-ptr-keeps-other-slot',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int*')],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\nr1 = r10\nr1 += -16\ncall f\nr1 = *(u64 *)(r10 - 8)\nr2 = r10\nr2 += -16\nr2 += r1\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'rdonly-map-value-arg',
    type: XDP,
    maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: MapFlag.RDONLY_PROG }],
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = map_value[idx:0]+0 ll\ncall f\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'called-twice',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int', 'ctx')],
    asm: 'r6 = r1\nr1 = 1\nr2 = r6\ncall f\nr1 = r0\nr2 = r6\ncall f\nexit\nf:\nr0 = r1\nexit',
  },
  {
    name: 'called-in-may-goto-loop',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r6 = 0\nl:\nmay_goto out\nr1 = r6\ncall f\nr6 += r0\ngoto l\nout:\nr0 = 0\nexit\nf:\nr0 = r1\nr0 &= 1\nexit',
  },
  {
    name: 'global-with-ringbuf-ref-held',
    type: XDP,
    maps: [{ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }],
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\nr1 = 1\ncall f\nr1 = r6\nr2 = 0\ncall 133\nout:\nr0 = 0\nexit\nf:\nr0 = 0\nexit',
  },
  {
    name: 'global-mem-arg-to-helper',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'S*')],
    asm: 'r1 = 0\ncall f\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\nr6 = r1\nr1 = r6\nr2 = 8\nr3 = 0\ncall 113\nr0 = 0\nout:\nexit',
  },
  {
    name: 'global-stack-depth',
    type: XDP,
    funcs: [MAIN, g('f', 'int', 'int')],
    asm: 'r1 = 0\n*(u64 *)(r10 - 512) = r1\ncall f\nexit\nf:\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit',
  },
];
