/**
 * CO-RE (compile once, run everywhere) relocation computation, shared by the loader (which
 * patches programs before PROG_LOAD, as libbpf does) and the machine (which applies the
 * `core_relos` of a PROG_LOAD attr itself, as Linux 5.17+ does for light skeletons). Each record
 * names a local type, an access path (`0:1:2`) and a kind; the value is computed against the
 * object's own BTF and against a target BTF (vmlinux, or the machine's). Semantics follow
 * libbpf's documented rules (facts, own code):
 * - candidates are target types of the same kind whose name equals the local name without a
 *   `___flavor` suffix;
 * - a field is matched member by member by name (anonymous members are searched through);
 * - a field that is not found makes FIELD_EXISTS 0 and leaves other field relocations without a
 *   target (the caller poisons the instruction).
 *
 * Pure: works on {@link Btf} only; instruction patching is left to the caller (the loader
 * patches decoded instructions, the machine raw bytes with the kernel's messages).
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import type { Btf } from './btf.js';
import { BPF_CORE_RELO, BPF_CORE_RELO_NAMES } from './kinds.js';
import type { BtfType } from './types.js';

/** The immediate of a poisoned CO-RE instruction (`call 0xbad2310`, libbpf's and Linux's). */
export const CORE_POISON = 0xbad2310;

/** What a CO-RE relocation says (the `bpf_core_relo` record minus the instruction offset). */
export interface CoreReloSpec {
  /** Root type id in the local (program's) BTF. */
  readonly typeId: number;
  /** Access string (`0:1:0`). */
  readonly access: string;
  /** `enum bpf_core_relo_kind`. */
  readonly kind: number;
}

/** A CO-RE relocation that cannot be computed (bad access string, bad local type, ...). */
export class CoreReloError extends Error {
  /** @param message - what is wrong, prefixed with the place */
  constructor(message: string) {
    super(message);
    this.name = 'CoreReloError';
  }
}

const R = BPF_CORE_RELO;

/** One resolved field access. */
interface FieldSpec {
  /** Root type id (after typedefs/modifiers). */
  root: number;
  /** Bit offset from the root. */
  bitOffset: number;
  /** Final member's type. */
  type: number;
  /** Bitfield width (0 if none). */
  bitfieldSize: number;
  /** The access path: the root index, then member/array indices (anonymous members included). */
  access: number[];
}

function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i > 0 ? name.slice(0, i) : name;
}

function kindGroup(k: BtfType['kind']): string {
  if (k === 'ENUM' || k === 'ENUM64') return 'ENUM';
  return k;
}

/** Walks a local access path; returns the field plus the member names on the way. */
function localField(
  btf: Btf,
  rootId: number,
  path: number[],
  where: () => string,
): { spec: FieldSpec; names: (string | number)[] } {
  let cur = btf.resolve(rootId);
  const rootSize = btf.sizeOf(cur);
  let bitOffset = path[0]! * rootSize * 8;
  const names: (string | number)[] = [path[0]!];
  let bitfieldSize = 0;
  for (let i = 1; i < path.length; i++) {
    const t = btf.type(cur);
    const idx = path[i]!;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.members[idx];
      if (m === undefined)
        throw new CoreReloError(`${where()}: member ${idx} of ${t.kind} ${t.name} does not exist`);
      bitOffset += m.bitOffset;
      bitfieldSize = m.bitfieldSize;
      names.push(m.name);
      cur = btf.resolve(m.type);
    } else if (t.kind === 'ARRAY') {
      const esz = btf.sizeOf(t.type);
      bitOffset += idx * esz * 8;
      bitfieldSize = 0;
      names.push(idx);
      cur = btf.resolve(t.type);
    } else {
      throw new CoreReloError(`${where()}: cannot index ${t.kind} with access ${idx}`);
    }
  }
  return {
    spec: { root: btf.resolve(rootId), bitOffset, type: cur, bitfieldSize, access: path.slice() },
    names,
  };
}

/** Finds `name` in a composite, through anonymous members. */
function findMember(
  btf: Btf,
  id: number,
  name: string,
): { type: number; bitOffset: number; bitfieldSize: number; path: number[] } | undefined {
  const t = btf.type(id);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (m.name === name)
      return { type: m.type, bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize, path: [i] };
  }
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (m.name !== '') continue;
    const inner = findMember(btf, btf.resolve(m.type), name);
    if (inner !== undefined)
      return { ...inner, bitOffset: inner.bitOffset + m.bitOffset, path: [i, ...inner.path] };
  }
  return undefined;
}

function compatible(a: Btf, aid: number, b: Btf, bid: number): boolean {
  const ta = a.type(a.resolve(aid));
  const tb = b.type(b.resolve(bid));
  const ka = kindGroup(ta.kind);
  const kb = kindGroup(tb.kind);
  if (ka === 'FWD' || kb === 'FWD') return true;
  if (ka === 'INT' && kb === 'ENUM') return true;
  if (ka === 'ENUM' && kb === 'INT') return true;
  return ka === kb;
}

function targetField(
  local: Btf,
  lnames: (string | number)[],
  lspec: FieldSpec,
  target: Btf,
  cand: number,
): FieldSpec | undefined {
  let cur = target.resolve(cand);
  let bitOffset = (lnames[0] as number) * target.sizeOf(cur) * 8;
  let bitfieldSize = 0;
  let lcur = lspec.root;
  const access = [lnames[0] as number];
  for (let i = 1; i < lnames.length; i++) {
    const step = lnames[i]!;
    const t = target.type(cur);
    const lt = local.type(lcur);
    if (typeof step === 'string') {
      if (lt.kind !== 'STRUCT' && lt.kind !== 'UNION') return undefined;
      const m = findMember(target, cur, step);
      if (m === undefined) return undefined;
      const lm = findMember(local, lcur, step)!;
      if (!compatible(local, lm.type, target, m.type)) return undefined;
      bitOffset += m.bitOffset;
      bitfieldSize = m.bitfieldSize;
      access.push(...m.path);
      cur = target.resolve(m.type);
      lcur = local.resolve(lm.type);
    } else {
      if (t.kind !== 'ARRAY' || lt.kind !== 'ARRAY') return undefined;
      if (t.nelems !== 0 && step >= t.nelems) return undefined;
      bitOffset += step * target.sizeOf(t.type) * 8;
      bitfieldSize = 0;
      access.push(step);
      cur = target.resolve(t.type);
      lcur = local.resolve(lt.type);
    }
  }
  return { root: target.resolve(cand), bitOffset, type: cur, bitfieldSize, access };
}

function fieldValue(btf: Btf, f: FieldSpec, kind: number): bigint {
  const t = btf.type(f.type);
  const sz = btf.sizeOf(f.type);
  let byteSz = sz;
  let byteOff: number;
  let bitSz: number;
  if (f.bitfieldSize === 0) {
    byteOff = Math.floor(f.bitOffset / 8);
    bitSz = byteSz * 8;
  } else {
    bitSz = f.bitfieldSize;
    byteOff = Math.floor(f.bitOffset / 8 / byteSz) * byteSz;
    while (f.bitOffset + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreReloError('bitfield does not fit in 8 bytes');
      byteSz *= 2;
      byteOff = Math.floor(f.bitOffset / 8 / byteSz) * byteSz;
    }
  }
  switch (kind) {
    case R.FIELD_BYTE_OFFSET:
      return BigInt(byteOff);
    case R.FIELD_BYTE_SIZE:
      return BigInt(byteSz);
    case R.FIELD_EXISTS:
      return 1n;
    case R.FIELD_SIGNED:
      return (t.kind === 'INT' && t.signed) || ((t.kind === 'ENUM' || t.kind === 'ENUM64') && t.signed)
        ? 1n
        : 0n;
    case R.FIELD_LSHIFT_U64:
      return BigInt(64 - (f.bitOffset + bitSz - byteOff * 8));
    case R.FIELD_RSHIFT_U64:
      return BigInt(64 - bitSz);
    default:
      throw new CoreReloError(`not a field relocation: ${kind}`);
  }
}

/** The outcome of one CO-RE relocation. */
export interface CoreResult {
  /** Value computed against the object's own BTF (what the compiler put in the instruction). */
  local: bigint;
  /** Value against the target, or `undefined` when the relocation cannot be satisfied (poison). */
  target: bigint | undefined;
  /** Target type id the relocation matched (0 when none). */
  targetType: number;
  /** The local side, for logs (absent for TYPE_ID_LOCAL). */
  localSpec?: CoreSpec;
  /** Every target candidate examined, in order, with its spec when it matched (for logs). */
  candidates?: readonly CoreCandidate[];
}

/** One side of a relocation, as a log describes it. */
export interface CoreSpec {
  /** Root type id. */
  readonly typeId: number;
  /** Raw access path (fields: root index then member/array indices; enums: the enumerator index). */
  readonly access: readonly number[];
  /** Field: bit offset from the root; absent for type and enum relocations. */
  readonly bitOffset?: number;
  /** Field: the member name path, dotted (`real_parent.tgid`). */
  readonly fieldName?: string;
}

/** A target candidate: its id, and its spec when it matched. */
export interface CoreCandidate {
  /** Type id in the target. */
  readonly id: number;
  /** The matching spec, absent when the candidate did not match. */
  readonly spec?: CoreSpec;
}

function candidates(local: Btf, localId: number, target: Btf): number[] {
  const t = local.type(localId);
  const name = essentialName(t.name);
  if (name === '') return [];
  const group = kindGroup(t.kind);
  return target.findByName(name).filter((id) => kindGroup(target.type(id).kind) === group);
}

/**
 * Computes one relocation. `where` names the place for errors. A relocation that cannot be
 * computed (bad access string, a local type that cannot be indexed or sized) is a
 * {@link CoreReloError}.
 */
export function computeCoreRelo(
  local: Btf,
  target: Btf,
  relo: CoreReloSpec,
  where: () => string,
): CoreResult {
  try {
    return computeUnchecked(local, target, relo, where);
  } catch (e) {
    if (e instanceof FormatError || e instanceof RangeError)
      throw new CoreReloError(`${where()}: ${e.message}`);
    throw e;
  }
}

function computeUnchecked(local: Btf, target: Btf, relo: CoreReloSpec, where: () => string): CoreResult {
  const path = relo.access.split(':').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0)
      throw new CoreReloError(`${where()}: bad CO-RE access string '${relo.access}'`);
    return n;
  });
  const kind = relo.kind;
  if (kind <= R.FIELD_RSHIFT_U64) {
    const { spec, names } = localField(local, relo.typeId, path, where);
    const localVal = fieldValue(local, spec, kind);
    const fieldName = names.filter((n) => typeof n === 'string' && n !== '').join('.');
    const localSpec: CoreSpec = {
      typeId: relo.typeId,
      access: spec.access,
      bitOffset: spec.bitOffset,
      fieldName,
    };
    const tried: CoreCandidate[] = [];
    for (const cand of candidates(local, spec.root, target)) {
      const f = targetField(local, names, spec, target, cand);
      if (f !== undefined) {
        tried.push({ id: cand, spec: { typeId: cand, access: f.access, bitOffset: f.bitOffset, fieldName } });
        return {
          local: localVal,
          target: fieldValue(target, f, kind),
          targetType: cand,
          localSpec,
          candidates: tried,
        };
      }
      tried.push({ id: cand });
    }
    return {
      local: localVal,
      target: kind === R.FIELD_EXISTS ? 0n : undefined,
      targetType: 0,
      localSpec,
      candidates: tried,
    };
  }
  if (kind === R.ENUMVAL_EXISTS || kind === R.ENUMVAL_VALUE) {
    const lid = local.resolve(relo.typeId);
    const lt = local.type(lid);
    if (lt.kind !== 'ENUM' && lt.kind !== 'ENUM64')
      throw new CoreReloError(`${where()}: ${lt.kind} is not an enum`);
    const lv = lt.values[path[0]!];
    if (lv === undefined) throw new CoreReloError(`${where()}: enum ${lt.name} has no value ${path[0]}`);
    const localVal = kind === R.ENUMVAL_EXISTS ? 1n : BigInt(lv.value);
    const localSpec: CoreSpec = { typeId: relo.typeId, access: [path[0]!] };
    const tried: CoreCandidate[] = [];
    for (const cand of candidates(local, lid, target)) {
      const tt = target.type(cand);
      if (tt.kind !== 'ENUM' && tt.kind !== 'ENUM64') continue;
      const values = tt.values as readonly { name: string; value: number | bigint }[];
      const ti = values.findIndex((v) => essentialName(v.name) === essentialName(lv.name));
      if (ti >= 0) {
        tried.push({ id: cand, spec: { typeId: cand, access: [ti] } });
        return {
          local: localVal,
          target: kind === R.ENUMVAL_EXISTS ? 1n : BigInt(values[ti]!.value),
          targetType: cand,
          localSpec,
          candidates: tried,
        };
      }
      tried.push({ id: cand });
    }
    return {
      local: localVal,
      target: kind === R.ENUMVAL_EXISTS ? 0n : undefined,
      targetType: 0,
      localSpec,
      candidates: tried,
    };
  }
  // Type relocations.
  const lid = local.skipModifiers(relo.typeId);
  const localVal =
    kind === R.TYPE_ID_LOCAL || kind === R.TYPE_ID_TARGET
      ? BigInt(relo.typeId)
      : kind === R.TYPE_SIZE
        ? BigInt(local.sizeOf(lid))
        : 1n;
  if (kind === R.TYPE_ID_LOCAL) return { local: localVal, target: localVal, targetType: 0 };
  const cands = candidates(local, lid, target);
  const cand = cands[0];
  const localSpec: CoreSpec = { typeId: relo.typeId, access: [0] };
  if (cand === undefined) {
    const missing = kind === R.TYPE_EXISTS || kind === R.TYPE_MATCHES ? 0n : undefined;
    return { local: localVal, target: missing, targetType: 0, localSpec, candidates: [] };
  }
  const found = {
    targetType: cand,
    localSpec,
    candidates: [{ id: cand, spec: { typeId: cand, access: [0] } }],
  };
  switch (kind) {
    case R.TYPE_ID_TARGET:
      return { local: localVal, target: BigInt(cand), ...found };
    case R.TYPE_EXISTS:
    case R.TYPE_MATCHES:
      return { local: localVal, target: 1n, ...found };
    case R.TYPE_SIZE:
      return { local: localVal, target: BigInt(target.sizeOf(cand)), ...found };
    default:
      throw new CoreReloError(`${where()}: unknown CO-RE relocation kind ${kind}`);
  }
}

/** Name of a CO-RE relocation kind. */
export function coreKindName(kind: number): string {
  return BPF_CORE_RELO_NAMES[kind] ?? `kind ${kind}`;
}
