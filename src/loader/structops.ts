/**
 * struct_ops maps (`.struct_ops`, `.struct_ops.link` sections): each variable of such a section is
 * a map whose value is a kernel struct of function pointers (e.g. `tcp_congestion_ops`); the
 * relocations of the section point its function-pointer members at struct_ops programs.
 *
 * At load the map is created with `btf_vmlinux_value_type_id` = the kernel's
 * `bpf_struct_ops_<name>` wrapper type, each program is loaded with attach_btf_id = the kernel's
 * struct and expected_attach_type = the member's index in it, and the map value is filled in the
 * kernel's layout: program fds at function-pointer members, data members copied by name. A
 * `.struct_ops.link` map is created with BPF_F_LINK: updating it registers nothing until a link
 * is made from it.
 *
 * @module
 */

import type { Btf, BtfMember } from '../btf/index.js';
import { BTF_KIND } from '../btf/index.js';
import type { ElfFile } from '../elf/reader.js';
import { SymType } from '../elf/reader.js';
import { FormatError } from '../util/errors.js';
import { LoaderError } from './errors.js';

/** One function-pointer member of a struct_ops variable, set to a program. */
export interface StructOpsFunc {
  /** Member name in the object's struct. */
  readonly member: string;
  /** Byte offset of the member in the object's struct. */
  readonly offset: number;
  /** The program (function symbol) it points at. */
  readonly program: string;
}

/** A struct_ops variable of the object: one map. */
export interface StructOpsSpec {
  /** Variable (map) name. */
  readonly name: string;
  /** Section (`.struct_ops` or `.struct_ops.link`). */
  readonly section: string;
  /** Created with BPF_F_LINK (`.struct_ops.link`). */
  readonly link: boolean;
  /** Struct name (`tcp_congestion_ops`): the kernel type it implements. */
  readonly typeName: string;
  /** BTF id of that struct in the object's BTF. */
  readonly typeId: number;
  /** The variable's bytes (the struct as initialised in C). */
  readonly data: Uint8Array;
  /** Function-pointer members set to programs. */
  readonly funcs: readonly StructOpsFunc[];
}

function isStructOpsSection(name: string): boolean {
  return name === '.struct_ops' || name === '.struct_ops.link' || name.startsWith('.struct_ops.');
}

/**
 * The struct_ops variables of an object, from its sections, symbols, relocations and BTF.
 * Malformed input: FormatError naming the section and byte offset.
 */
export function parseStructOps(elf: ElfFile, btf: Btf | undefined): StructOpsSpec[] {
  const out: StructOpsSpec[] = [];
  const secs = elf.sections.filter((s) => isStructOpsSection(s.name));
  if (secs.length === 0) return out;
  const symbols = elf.symbols();
  const relSecs = elf.relocationSections();
  for (const sec of secs) {
    const where = sec.name;
    if (btf === undefined) throw new FormatError(where, 'struct_ops section without BTF');
    const dsId = btf.findId(sec.name, BTF_KIND.DATASEC);
    if (dsId === undefined) throw new FormatError(where, 'no DATASEC for the struct_ops section in .BTF');
    const ds = btf.type(dsId);
    if (ds.kind !== 'DATASEC') throw new FormatError(where, 'not a DATASEC');
    const data = elf.data(sec);
    const vars: { name: string; offset: number; size: number; typeId: number; funcs: StructOpsFunc[] }[] = [];
    for (const e of ds.vars) {
      const v = btf.type(e.type);
      if (v.kind !== 'VAR')
        throw new FormatError(`${where}/.BTF/types[${e.type}]`, 'DATASEC entry is not a VAR');
      const typeId = btf.resolve(v.type);
      const t = btf.type(typeId);
      if (t.kind !== 'STRUCT')
        throw new FormatError(`${where}/${v.name}`, `struct_ops variable is a ${t.kind}, not a struct`);
      const sym = symbols.find(
        (y) => y.shndx === sec.index && y.name === v.name && y.type === SymType.OBJECT,
      );
      if (sym === undefined) throw new FormatError(`${where}/${v.name}`, 'no symbol for the variable');
      if (sym.value + t.size > data.length)
        throw new FormatError(`${where}/${v.name}`, `variable past the section end`, sym.value);
      vars.push({ name: v.name, offset: sym.value, size: t.size, typeId, funcs: [] });
    }
    const rel = relSecs.find((r) => r.info === sec.index);
    for (const r of rel === undefined ? [] : elf.relocations(rel)) {
      const sym = symbols[r.symbol]!;
      const v = vars.find((x) => r.offset >= x.offset && r.offset < x.offset + x.size);
      if (v === undefined)
        throw new FormatError(where, 'relocation outside every struct_ops variable', r.offset);
      if (sym.type !== SymType.FUNC)
        throw new FormatError(where, `relocation against '${sym.name}', which is not a function`, r.offset);
      const t = btf.type(v.typeId);
      const off = r.offset - v.offset;
      const m = t.kind === 'STRUCT' ? t.members.find((x) => x.bitOffset === off * 8) : undefined;
      if (m === undefined || !isFuncPtr(btf, m))
        throw new FormatError(
          `${where}/${v.name}`,
          `relocation at member offset ${off} is not at a function-pointer member`,
          r.offset,
        );
      v.funcs.push({ member: m.name, offset: off, program: sym.name });
    }
    for (const v of vars)
      out.push({
        name: v.name,
        section: sec.name,
        link: sec.name !== '.struct_ops',
        typeName: btf.nameOf(v.typeId),
        typeId: v.typeId,
        data: data.slice(v.offset, v.offset + v.size),
        funcs: v.funcs,
      });
  }
  return out;
}

/** A member whose type is a pointer to a function prototype. */
export function isFuncPtr(btf: Btf, m: BtfMember): boolean {
  const p = btf.type(btf.resolve(m.type));
  if (p.kind !== 'PTR') return false;
  return btf.type(btf.resolve(p.type)).kind === 'FUNC_PROTO';
}

/** Where a struct_ops map's kernel types are in the target BTF. */
export interface KernelStructOps {
  /** Id of the kernel's struct (`tcp_congestion_ops`): programs' attach_btf_id. */
  readonly typeId: number;
  /** Id of `bpf_struct_ops_<name>`: the map's btf_vmlinux_value_type_id. */
  readonly valueTypeId: number;
  /** Size of the map value. */
  readonly valueSize: number;
  /** Byte offset of the struct (member `data`) in the value. */
  readonly dataOffset: number;
  /** Member index (expected_attach_type) of each program, by program name. */
  readonly memberIndex: ReadonlyMap<string, number>;
}

/** Finds `spec`'s kernel types in `kernel` BTF. LoaderError naming the map when absent. */
export function kernelStructOps(spec: StructOpsSpec, kernel: Btf): KernelStructOps {
  const fail = (why: string) => new LoaderError({ map: spec.name, symbol: spec.typeName }, why);
  const typeId = kernel.findId(spec.typeName, BTF_KIND.STRUCT);
  if (typeId === undefined) throw fail(`struct '${spec.typeName}' is not in the kernel BTF`);
  const wrapper = `bpf_struct_ops_${spec.typeName}`;
  const valueTypeId = kernel.findId(wrapper, BTF_KIND.STRUCT);
  if (valueTypeId === undefined)
    throw fail(`'${spec.typeName}' is not a struct_ops type of the kernel (no '${wrapper}' in its BTF)`);
  const w = kernel.type(valueTypeId);
  const k = kernel.type(typeId);
  if (w.kind !== 'STRUCT' || k.kind !== 'STRUCT') throw fail(`'${wrapper}' is not a struct`);
  const dm = w.members.find((m) => m.name === 'data');
  if (dm === undefined) throw fail(`'${wrapper}' has no member 'data'`);
  const memberIndex = new Map<string, number>();
  for (const f of spec.funcs) {
    const i = k.members.findIndex((m) => m.name === f.member);
    if (i < 0)
      throw fail(`member '${f.member}' (program '${f.program}') is not in the kernel's '${spec.typeName}'`);
    if (!isFuncPtr(kernel, k.members[i]!))
      throw fail(`member '${f.member}' is not a function pointer in the kernel's '${spec.typeName}'`);
    const prev = memberIndex.get(f.program);
    if (prev !== undefined && prev !== i)
      throw fail(`program '${f.program}' is used for two members ('${f.member}' and member #${prev})`);
    memberIndex.set(f.program, i);
  }
  return { typeId, valueTypeId, valueSize: w.size, dataOffset: dm.bitOffset / 8, memberIndex };
}

/**
 * The map value in the kernel's layout: data members copied by name from the object's struct
 * (sizes must agree; a member the kernel lacks must be zero), program fds at function pointers.
 */
export function structOpsValue(
  spec: StructOpsSpec,
  local: Btf,
  kernel: Btf,
  k: KernelStructOps,
  progFd: (program: string) => number | undefined,
): Uint8Array {
  const fail = (why: string) => new LoaderError({ map: spec.name, symbol: spec.typeName }, why);
  const value = new Uint8Array(k.valueSize);
  const dv = new DataView(value.buffer);
  const lt = local.type(spec.typeId);
  const kt = kernel.type(k.typeId);
  if (lt.kind !== 'STRUCT' || kt.kind !== 'STRUCT') throw fail('not a struct');
  for (const lm of lt.members) {
    const lo = lm.bitOffset / 8;
    if (lm.bitfieldSize !== 0 || lm.bitOffset % 8 !== 0)
      throw fail(`member '${lm.name}' is a bitfield, which struct_ops cannot copy`);
    const func = spec.funcs.find((f) => f.offset === lo);
    const km = kt.members.find((m) => m.name === lm.name);
    const lsize = isFuncPtr(local, lm) ? 8 : local.sizeOf(lm.type);
    if (km === undefined) {
      if (func !== undefined || spec.data.subarray(lo, lo + lsize).some((b) => b !== 0))
        throw fail(`member '${lm.name}' is set but the kernel's '${spec.typeName}' has no such member`);
      continue;
    }
    const ko = k.dataOffset + km.bitOffset / 8;
    if (isFuncPtr(kernel, km)) {
      if (func === undefined) continue;
      const fd = progFd(func.program);
      if (fd === undefined) throw fail(`member '${lm.name}': program '${func.program}' is not loaded`);
      dv.setUint32(ko, fd, true);
      continue;
    }
    if (func !== undefined) throw fail(`member '${lm.name}' is not a function pointer in the kernel`);
    const ksize = kernel.sizeOf(km.type);
    if (km.bitfieldSize !== 0 || ksize !== lsize)
      throw fail(`member '${lm.name}' is ${lsize} bytes here but ${ksize} in the kernel`);
    value.set(spec.data.subarray(lo, lo + lsize), ko);
  }
  return value;
}
