/**
 * BTF function information for the verifier: the checks Linux 6.18 makes on a program's
 * func_info records, and the argument kinds of a global function derived from its BTF prototype
 * (`btf_prepare_func_args`): scalars, the program's ctx, or memory sized by the pointee type that
 * may be NULL. Facts checked against the kernel (test/verifier corpus, `btf/*`).
 *
 * @module
 */

import type { Btf } from '../../btf/btf.js';
import { ProgType } from '../../uapi/constants.js';

/** One func_info record: the subprogram starting at slot `insnOff` has BTF FUNC `typeId`. */
export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

/** How a global function's argument is checked at the call and typed in the function. */
export type GlobalArg =
  | { kind: 'scalar' }
  | { kind: 'ctx' }
  /** PTR_TO_MEM | PTR_MAYBE_NULL of `size` bytes. */
  | { kind: 'mem'; size: number };

/** A subprogram as func_info describes it. */
export interface FuncDesc {
  name: string;
  global: boolean;
  /** FUNC_PROTO type id. */
  proto: number;
}

/** Arguments of a global function, or the kernel's line saying why they cannot be derived. */
export type GlobalArgs = { args: GlobalArg[] } | { error: string };

/** Most arguments a BPF function takes in registers. */
export const MAX_FUNC_REG_ARGS = 5;

/**
 * Checks func_info `recs` against the program's subprogram starts and BTF, as Linux's
 * check_btf_func_early/check_btf_func do; returns the function of each subprogram, or the
 * kernel's error line.
 */
export function checkFuncInfo(
  btf: Btf,
  recs: readonly FuncInfoRecord[],
  subprogs: readonly number[],
): FuncDesc[] | string {
  const out: FuncDesc[] = [];
  for (let k = 0; k < recs.length; k++) {
    const r = recs[k]!;
    if (k === 0 && r.insnOff !== 0) return `nonzero insn_off ${r.insnOff} for the first func info record`;
    if (k > 0 && r.insnOff <= recs[k - 1]!.insnOff)
      return `same or smaller insn offset (${r.insnOff}) than previous func info record (${recs[k - 1]!.insnOff})`;
    let t: ReturnType<Btf['type']> | undefined;
    try {
      t = r.typeId > 0 ? btf.type(r.typeId) : undefined;
    } catch {
      t = undefined;
    }
    if (t === undefined || t.kind !== 'FUNC') return `invalid type id ${r.typeId} in func info`;
    out.push({ name: t.name, global: t.linkage === 'global', proto: t.type });
  }
  if (recs.length !== subprogs.length) return "number of funcs in func_info doesn't match number of subprogs";
  for (let k = 0; k < recs.length; k++)
    if (recs[k]!.insnOff !== subprogs[k])
      return "func_info BTF section doesn't match subprog layout in BPF program";
  return out;
}

/** The struct name of each program type's ctx (`btf_is_prog_ctx_type`). */
function ctxStructName(progType: number): string | undefined {
  switch (progType) {
    case ProgType.SOCKET_FILTER:
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
    case ProgType.CGROUP_SKB:
    case ProgType.LWT_IN:
    case ProgType.LWT_OUT:
    case ProgType.LWT_XMIT:
    case ProgType.LWT_SEG6LOCAL:
    case ProgType.SK_SKB:
      return '__sk_buff';
    case ProgType.XDP:
      return 'xdp_md';
    default:
      return undefined;
  }
}

/** Skips const/volatile/restrict/type tags and typedefs. */
function skip(btf: Btf, id: number): number {
  for (let n = 0; n < 64 && id !== 0; n++) {
    const t = btf.type(id);
    if (
      t.kind === 'CONST' ||
      t.kind === 'VOLATILE' ||
      t.kind === 'RESTRICT' ||
      t.kind === 'TYPEDEF' ||
      t.kind === 'TYPE_TAG'
    )
      id = t.type;
    else return id;
  }
  return id;
}

const isScalarKind = (k: string): boolean => k === 'INT' || k === 'ENUM' || k === 'ENUM64';

/** The kernel's `btf_type_str` of a type (`UNKNOWN` for void). */
function kindStr(btf: Btf, id: number): string {
  return id === 0 ? 'UNKNOWN' : btf.type(id).kind;
}

/**
 * Size of a pointee type for PTR_TO_MEM (`btf_resolve_size`): undefined when it has none (void,
 * functions, forward declarations).
 */
function memSize(btf: Btf, id: number): number | undefined {
  const r = skip(btf, id);
  if (r === 0) return undefined;
  const t = btf.type(r);
  if (
    t.kind === 'FUNC_PROTO' ||
    t.kind === 'FUNC' ||
    t.kind === 'FWD' ||
    t.kind === 'VAR' ||
    t.kind === 'DATASEC'
  )
    return undefined;
  try {
    return btf.sizeOf(r);
  } catch {
    return undefined;
  }
}

/** The arguments of global function `f` of a program of type `progType` (`btf_prepare_func_args`). */
export function globalArgs(btf: Btf, f: FuncDesc, progType: number): GlobalArgs {
  const proto = btf.type(f.proto);
  if (proto.kind !== 'FUNC_PROTO') return { error: `Function ${f.name} doesn't have a prototype` };
  const params = proto.params;
  if (params.length > MAX_FUNC_REG_ARGS)
    return {
      error: `Global function ${f.name}() with ${params.length} > ${MAX_FUNC_REG_ARGS} args. Buggy compiler.`,
    };
  const ret = skip(btf, proto.returnType);
  if (ret === 0 || !isScalarKind(btf.type(ret).kind))
    return { error: `Global function ${f.name}() doesn't return scalar. Only those are supported.` };
  const ctxName = ctxStructName(progType);
  const args: GlobalArg[] = [];
  for (let k = 0; k < params.length; k++) {
    const id = skip(btf, params[k]!.type);
    const t = id === 0 ? undefined : btf.type(id);
    if (t?.kind === 'PTR') {
      const pointee = skip(btf, t.type);
      const pt = pointee === 0 ? undefined : btf.type(pointee);
      if (ctxName !== undefined && pt?.kind === 'STRUCT' && pt.name === ctxName) {
        args.push({ kind: 'ctx' });
        continue;
      }
      const size = memSize(btf, t.type);
      if (size === undefined) {
        const name = pointee === 0 ? '' : btf.type(pointee).name;
        return {
          error: `arg#${k} reference type('${kindStr(btf, pointee)} ${name}') size cannot be determined: -22`,
        };
      }
      args.push({ kind: 'mem', size });
      continue;
    }
    if (t !== undefined && isScalarKind(t.kind)) {
      args.push({ kind: 'scalar' });
      continue;
    }
    return { error: `Arg#${k} type ${kindStr(btf, id)} in ${f.name}() is not supported yet.` };
  }
  return { args };
}

/** Decodes BPF_PROG_LOAD's func_info array (`recSize`-byte records: insn_off, type_id). */
export function decodeFuncInfo(bytes: Uint8Array, recSize = 8): FuncInfoRecord[] {
  const out: FuncInfoRecord[] = [];
  if (recSize < 8) return out;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o + recSize <= bytes.length; o += recSize)
    out.push({ insnOff: dv.getUint32(o, true), typeId: dv.getUint32(o + 4, true) });
  return out;
}
