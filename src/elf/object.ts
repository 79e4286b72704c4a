/**
 * The BPF object model: {@link parseObject} turns the bytes of a BPF ELF object (as produced by
 * `clang -target bpf -c`) into an {@link ObjectSpec}, a pure description of its programs,
 * subprograms, maps, global data, externs and relocations. Nothing here talks to a kernel; the
 * loader turns a spec into live objects.
 *
 * Determinism: the spec depends only on the input bytes. Lists are in section-table order, then
 * by offset; names are decoded the same way everywhere.
 *
 * @module
 */

import { decode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { LD_IMM64, Pseudo } from '../isa/opcodes.js';
import { FormatError } from '../util/errors.js';
import { type BtfInfo, type ExtCoreRelo, type ExtFuncInfo, type ExtLineInfo, loadBtf } from './btfinfo.js';
import { isMapInMap, MapFlag, MapType, mapTypeName } from './maptypes.js';
import {
  ElfConst,
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
  parseElf,
  printableError,
  SectionFlag,
  SectionType,
  Shn,
  SymBind,
  SymType,
} from './reader.js';
import { AttachType, ProgType, sectionKind } from './sections.js';

/** BPF ELF relocation types. */
export const RelocType = {
  R_BPF_NONE: 0,
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  R_BPF_64_32: 10,
} as const;

/** Name of a BPF relocation type. */
export type RelocTypeName = keyof typeof RelocType;

/** Name of a relocation type number, or `R_BPF_<n>` for an unknown one. */
export function relocTypeName(type: number): string {
  return RELOC_NAMES.get(type) ?? `R_BPF_${type}`;
}

const RELOC_NAMES = new Map<number, string>(Object.entries(RelocType).map(([k, v]) => [v, k]));

/** What kind of kernel object an extern names. */
export type ExternKind = 'kconfig' | 'ksym' | 'kfunc';

/** Fields every instruction relocation has. */
interface RelocCommon {
  /** Index of the instruction in the function's `insns`. */
  readonly insn: number;
  /** Slot (8-byte unit) of the instruction from the start of the function. */
  readonly slot: number;
  /**
   * The ELF relocation type, or `'none'` for a call the compiler already resolved (a
   * pc-relative call to a function in the same section, which still has to be linked).
   */
  readonly elfType: RelocTypeName | 'none';
  /** Name of the symbol the ELF relocation is against (`''` for resolved calls). */
  readonly symbol: string;
}

/** `ld_imm64` of a map: becomes `BPF_PSEUDO_MAP_FD` (or MAP_IDX). */
export interface MapReloc extends RelocCommon {
  readonly kind: 'map';
  /** Name of the map in {@link ObjectSpec.maps}. */
  readonly map: string;
}

/** `ld_imm64` of the address of global data: becomes `BPF_PSEUDO_MAP_VALUE` + offset. */
export interface DataReloc extends RelocCommon {
  readonly kind: 'data';
  /** Name of the global-data map (the section name, e.g. `.data`). */
  readonly map: string;
  /** Byte offset in the map's value. */
  readonly offset: number;
}

/** A bpf-to-bpf call (`call` with src_reg = BPF_PSEUDO_CALL). */
export interface CallReloc extends RelocCommon {
  readonly kind: 'call';
  /** Name of the called function in {@link ObjectSpec.functions}. */
  readonly target: string;
}

/** `ld_imm64` of a function's address (callbacks such as bpf_loop's): becomes BPF_PSEUDO_FUNC. */
export interface FuncPtrReloc extends RelocCommon {
  readonly kind: 'funcPtr';
  /** Name of the function in {@link ObjectSpec.functions}. */
  readonly target: string;
}

/** A reference to an extern: an `ld_imm64` of a kconfig value or ksym, or a kfunc call. */
export interface ExternReloc extends RelocCommon {
  readonly kind: 'extern';
  /** Name of the extern in {@link ObjectSpec.externs}. */
  readonly extern: string;
  /** Its kind. */
  readonly externKind: ExternKind;
}

/** A typed relocation record on one instruction. */
export type InsnReloc = MapReloc | DataReloc | CallReloc | FuncPtrReloc | ExternReloc;

/** One function of a code section: an entry program or a subprogram. */
export interface FunctionSpec {
  /** Symbol name. */
  readonly name: string;
  /** Name of the ELF section holding it. */
  readonly section: string;
  /** Index of that section. */
  readonly sectionIndex: number;
  /** Byte offset of the function in its section. */
  readonly offset: number;
  /** Global (or weak) symbol; false for `static` functions. */
  readonly global: boolean;
  /** The instructions (ld_imm64 is one logical instruction over two slots). */
  readonly insns: readonly Insn[];
  /** Number of 8-byte slots. */
  readonly slots: number;
  /** Relocation records, by instruction order. */
  readonly relocations: readonly InsnReloc[];
  /** BTF id of the function's FUNC type (from func_info or by name), when there is BTF. */
  readonly btfFunc: number | undefined;
  /** `.BTF.ext` func_info records inside this function. */
  readonly funcInfo: readonly ExtFuncInfo[];
  /** `.BTF.ext` line_info records inside this function. */
  readonly lineInfo: readonly ExtLineInfo[];
  /** `.BTF.ext` CO-RE relocations inside this function. */
  readonly coreRelos: readonly ExtCoreRelo[];
}

/** An entry-point program: a function in a code section other than `.text`. */
export interface ProgramSpec extends FunctionSpec {
  /** Program type number (`enum bpf_prog_type`), 0 when the section name is not a known convention. */
  readonly type: number;
  /** Program type name (`'XDP'`), `'UNSPEC'` when unknown. */
  readonly typeName: string;
  /** Expected attach type number (0 when there is none). */
  readonly attachType: number;
  /** Expected attach type name, or `undefined` when the program has none. */
  readonly attachTypeName: string | undefined;
  /** Load with BPF_F_SLEEPABLE. */
  readonly sleepable: boolean;
  /** Load with BPF_F_XDP_HAS_FRAGS. */
  readonly xdpFrags: boolean;
  /** Attach target from the section name (after the prefix), `''` when none. */
  readonly attachTo: string;
  /** The section-table pattern that matched, or `undefined`. */
  readonly sectionPattern: string | undefined;
  /** License string of the object. */
  readonly license: string;
  /** Kernel version from the `version` section (0 when absent). */
  readonly kernelVersion: number;
  /**
   * The functions this program needs, transitively (calls and function pointers), in the order
   * they are first reached; the program itself is not included.
   */
  readonly subprograms: readonly string[];
}

/** One `.values` initializer of a map-in-map or prog_array. */
export interface MapInit {
  /** Array index (slot in `.values`). */
  readonly index: number;
  /** Name of the map (map-in-map) or program (prog_array) stored there. */
  readonly target: string;
  /** What `target` names. */
  readonly kind: 'map' | 'program';
}

/** A variable in a global-data map. */
export interface DataVariable {
  /** Symbol name. */
  readonly name: string;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Global symbol (false for `static`). */
  readonly global: boolean;
}

/** A map the object defines. */
export interface MapSpec {
  /** Name: the symbol for defined maps, the section name for global data. */
  readonly name: string;
  /** Where the definition comes from. */
  readonly origin: 'btf' | 'legacy' | 'data';
  /** ELF section of the definition (`.maps`, `maps`, `.data`...); `''` for inner map templates. */
  readonly section: string;
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Map type name (`'HASH'`). */
  readonly typeName: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** max_entries. */
  readonly maxEntries: number;
  /** map_flags. */
  readonly flags: number;
  /** numa_node (0 when not given). */
  readonly numaNode: number;
  /** Pinning: 0 none, 1 by name. */
  readonly pinning: number;
  /** map_extra (e.g. the number of hash functions of a bloom filter). */
  readonly mapExtra: bigint;
  /** BTF id of the key type, when typed. */
  readonly keyType: number | undefined;
  /** BTF id of the value type, when typed. */
  readonly valueType: number | undefined;
  /** The inner map template of a map-in-map. */
  readonly inner: MapSpec | undefined;
  /** `.values` initializers, by index. */
  readonly values: readonly MapInit[];
  /** Initial contents of a global-data map (zeros for `.bss`); `undefined` otherwise. */
  readonly data: Uint8Array | undefined;
  /** Global data in a `.rodata*` section: the loader freezes it. */
  readonly readonly: boolean;
  /** Variables of a global-data map. */
  readonly variables: readonly DataVariable[];
  /** BTF id of the DATASEC of a global-data map, or of the VAR of a BTF-defined map. */
  readonly btfId: number | undefined;
}

/** An extern symbol the loader must resolve. */
export interface ExternSpec {
  /** Symbol name. */
  readonly name: string;
  /** kconfig value, kernel symbol (variable) or kernel function. */
  readonly kind: ExternKind;
  /** Declared `__weak`: unresolved is allowed (reads as 0 / call fails at verification). */
  readonly weak: boolean;
  /** BTF id of the VAR (kconfig, ksym) or FUNC (kfunc) in the object's BTF. */
  readonly btfId: number | undefined;
  /** BTF id of the declared type (VAR's type, or FUNC's FUNC_PROTO); 0 for `void` (typeless ksym). */
  readonly type: number | undefined;
  /** Size of the declared type in bytes (kconfig and typed ksym). */
  readonly size: number | undefined;
}

/** The whole object. */
export interface ObjectSpec {
  /** Byte order of the object. */
  readonly endian: 'little' | 'big';
  /** The `license` section string (`''` when absent). */
  readonly license: string;
  /** The `version` section value (0 when absent). */
  readonly kernelVersion: number;
  /** Entry-point programs, in section order then offset. */
  readonly programs: readonly ProgramSpec[];
  /** Every function: programs and subprograms (`.text` and static functions). */
  readonly functions: readonly FunctionSpec[];
  /** Maps: BTF-defined, legacy, then global data, each in section and offset order. */
  readonly maps: readonly MapSpec[];
  /** Externs (kconfig, ksym, kfunc), in symbol-table order. */
  readonly externs: readonly ExternSpec[];
  /** The object's BTF and .BTF.ext, when it has them. */
  readonly btf: BtfInfo | undefined;
}

/** Finds a program by name. */
export function findProgram(spec: ObjectSpec, name: string): ProgramSpec | undefined {
  return spec.programs.find((p) => p.name === name);
}

/** Finds a map by name. */
export function findMap(spec: ObjectSpec, name: string): MapSpec | undefined {
  return spec.maps.find((m) => m.name === name);
}

const CALL = 0x85;
/**
 * Largest zero-filled (NOBITS) data section accepted: 16 MiB, four times the largest array value
 * the kernel allocates (KMALLOC_MAX_SIZE, 4 MiB). Keeps memory bounded by the input.
 */
export const MAX_NOBITS = 16 << 20;

function isDataSection(name: string): boolean {
  return (
    name === '.data' ||
    name === '.rodata' ||
    name === '.bss' ||
    name.startsWith('.data.') ||
    name.startsWith('.rodata.') ||
    name.startsWith('.bss.')
  );
}

interface CodeSection {
  section: ElfSection;
  insns: Insn[];
  /** slot -> logical insn index, -1 for the second slot of ld_imm64. */
  slotToInsn: Int32Array;
  funcs: FuncRange[];
}

interface FuncRange {
  sym: ElfSymbol;
  start: number; // slot
  end: number; // slot (exclusive)
  firstInsn: number;
  endInsn: number;
  relocs: InsnReloc[];
}

/** Parser state shared by the steps. */
class ObjectParser {
  readonly elf: ElfFile;
  readonly syms: readonly ElfSymbol[];
  /** Symbols by section index. */
  readonly symsIn = new Map<number, ElfSymbol[]>();
  readonly le: boolean;
  readonly btf: BtfInfo | undefined;
  readonly code = new Map<number, CodeSection>();
  readonly externs = new Map<string, { sym: ElfSymbol; kind: ExternKind }>();
  readonly mapSymbols = new Map<number, Map<number, string>>(); // section -> offset -> map name
  readonly mapSections = new Set<number>();
  readonly dataSections = new Map<number, string>();

  constructor(bytes: Uint8Array) {
    this.elf = parseElf(bytes);
    const h = this.elf.header;
    if (h.type !== ElfConst.ET_REL)
      throw new FormatError('ELF header', `e_type ${h.type} is not ET_REL (1)`, 16);
    if (h.machine !== ElfConst.EM_BPF) {
      throw new FormatError('ELF header', `e_machine ${h.machine} is not EM_BPF (247)`, 18);
    }
    this.le = this.elf.le;
    this.syms = this.elf.symbols();
    for (const y of this.syms) {
      const list = this.symsIn.get(y.shndx);
      if (list === undefined) this.symsIn.set(y.shndx, [y]);
      else list.push(y);
    }
    if (this.elf.symtab() === undefined) throw new FormatError('ELF', 'no symbol table (.symtab)');
    this.btf = loadBtf(this.elf);
  }

  where(s: ElfSection): string {
    return s.name === '' ? `section [${s.index}]` : s.name;
  }

  license(): string {
    const s = this.elf.section('license');
    if (s === undefined) return '';
    const d = this.elf.data(s);
    const end = d.indexOf(0);
    return new TextDecoder().decode(end < 0 ? d : d.subarray(0, end));
  }

  version(): number {
    const s = this.elf.section('version');
    if (s === undefined) return 0;
    if (s.size !== 4) throw new FormatError('version', `size ${s.size}, expected 4`, s.offset);
    const d = this.elf.data(s);
    return new DataView(d.buffer, d.byteOffset, 4).getUint32(0, this.le);
  }

  /** Decodes code sections and splits them into functions. */
  readCode(): void {
    for (const s of this.elf.sections) {
      if (s.type !== SectionType.PROGBITS || (s.flags & SectionFlag.EXECINSTR) === 0) continue;
      if (s.size === 0) continue;
      const where = this.where(s);
      if (s.size % 8 !== 0)
        throw new FormatError(where, `code size ${s.size} is not a multiple of 8`, s.offset);
      let insns: Insn[];
      try {
        insns = decode(this.elf.data(s), { endian: this.elf.header.endian, validate: false });
      } catch (e) {
        if (e instanceof FormatError) {
          throw new FormatError(`${where}/${e.where}`, e.reason, s.offset + (e.offset ?? 0));
        }
        throw e;
      }
      const nslots = s.size / 8;
      const slotToInsn = new Int32Array(nslots).fill(-1);
      let slot = 0;
      for (let k = 0; k < insns.length; k++) {
        slotToInsn[slot] = k;
        slot += insns[k]!.code === LD_IMM64 ? 2 : 1;
      }
      const fsyms = (this.symsIn.get(s.index) ?? [])
        .filter((y) => y.shndx === s.index && y.type === SymType.FUNC)
        .sort((a, b) => a.value - b.value || a.index - b.index);
      if (fsyms.length === 0) throw new FormatError(where, 'code section has no function symbol', s.offset);
      const funcs: FuncRange[] = [];
      for (let i = 0; i < fsyms.length; i++) {
        const y = fsyms[i]!;
        const sw = `${this.elf.symtab()!.name}[${y.index}] ${y.name}`;
        if (y.name === '') throw new FormatError(sw, 'function symbol has no name');
        if (y.value % 8 !== 0 || y.value >= s.size) {
          throw new FormatError(
            sw,
            `value ${y.value} is not an instruction offset in ${where} (size ${s.size})`,
          );
        }
        const next = i + 1 < fsyms.length ? fsyms[i + 1]!.value : s.size;
        const size = y.size === 0 ? next - y.value : y.size;
        if (size % 8 !== 0 || y.value + size > next) {
          throw new FormatError(sw, `size ${y.size} overlaps the next function or the end of ${where}`);
        }
        const start = y.value / 8;
        const end = (y.value + size) / 8;
        const firstInsn = slotToInsn[start]!;
        if (firstInsn < 0) throw new FormatError(sw, 'starts inside an ld_imm64', s.offset + y.value);
        const endInsn = end === nslots ? insns.length : slotToInsn[end]!;
        if (endInsn < 0) throw new FormatError(sw, 'ends inside an ld_imm64', s.offset + y.value + size);
        funcs.push({ sym: y, start, end, firstInsn, endInsn, relocs: [] });
      }
      this.code.set(s.index, { section: s, insns, slotToInsn, funcs });
    }
  }

  /** Classifies map and data sections and collects the map symbols of each. */
  readMapSections(): void {
    for (const s of this.elf.sections) {
      if (s.name === '.maps' || s.name === 'maps') {
        this.mapSections.add(s.index);
        const byOff = new Map<number, string>();
        for (const y of this.syms) {
          if (y.shndx !== s.index || y.type === SymType.SECTION || y.name === '') continue;
          if (y.bind === SymBind.LOCAL && y.type !== SymType.OBJECT) continue;
          if (!byOff.has(y.value)) byOff.set(y.value, y.name);
        }
        this.mapSymbols.set(s.index, byOff);
      } else if (
        isDataSection(s.name) &&
        (s.type === SectionType.PROGBITS || s.type === SectionType.NOBITS) &&
        (s.flags & SectionFlag.EXECINSTR) === 0
      ) {
        this.dataSections.set(s.index, s.name);
      }
    }
  }

  funcAt(cs: CodeSection, slot: number): FuncRange | undefined {
    // Binary search: functions are sorted and do not overlap.
    let lo = 0;
    let hi = cs.funcs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = cs.funcs[mid]!;
      if (slot < f.start) hi = mid - 1;
      else if (slot >= f.end) lo = mid + 1;
      else return f;
    }
    return undefined;
  }

  funcStartingAt(sectionIndex: number, byteOff: number, where: string, at: number): string {
    const cs = this.code.get(sectionIndex);
    if (cs === undefined) {
      throw new FormatError(where, `target section [${sectionIndex}] is not a code section`, at);
    }
    if (byteOff % 8 !== 0 || byteOff < 0) {
      throw new FormatError(where, `target offset ${byteOff} is not a multiple of 8`, at);
    }
    const slot = byteOff / 8;
    const f = this.funcAt(cs, slot);
    if (f === undefined || f.start !== slot) {
      throw new FormatError(
        where,
        `target ${this.where(cs.section)}+${byteOff} is not the start of a function`,
        at,
      );
    }
    return f.sym.name;
  }

  externKind(sym: ElfSymbol, isCall: boolean, where: string, at: number): ExternKind {
    if (this.btf === undefined)
      throw new FormatError(where, `extern '${sym.name}' cannot be typed: the object has no .BTF`, at);
    const k = this.btf.externKind(sym.name);
    if (k === undefined) {
      throw new FormatError(
        where,
        `extern '${sym.name}' is in neither the .kconfig nor the .ksyms DATASEC`,
        at,
      );
    }
    if (isCall !== (k === 'kfunc')) {
      throw new FormatError(
        where,
        isCall
          ? `call to extern '${sym.name}', which is not a function`
          : `load of extern function '${sym.name}'`,
        at,
      );
    }
    return k;
  }

  /** Decodes the relocations of every code section into typed records. */
  readRelocations(): void {
    for (const rs of this.elf.relocationSections()) {
      const target = this.elf.sections[rs.info];
      if (target === undefined) {
        throw new FormatError(this.where(rs), `sh_info ${rs.info} is not a section`, rs.offset);
      }
      const cs = this.code.get(target.index);
      if (cs === undefined) {
        // Relocations of .maps are read with the maps; of debug sections, .BTF and .BTF.ext:
        // not needed (but still checked for structure).
        this.elf.checkRelocations(rs);
        continue;
      }
      const rels = this.elf.relocations(rs);
      for (const r of rels) this.codeReloc(cs, rs, r);
    }
    // Resolved (pc-relative) calls inside one section.
    for (const cs of this.code.values()) {
      for (const f of cs.funcs) {
        const have = new Set(f.relocs.map((r) => r.insn));
        let slot = -1;
        for (let k = f.firstInsn; k < f.endInsn; k++) {
          const insn = cs.insns[k]!;
          slot += k === f.firstInsn ? 1 : cs.insns[k - 1]!.code === LD_IMM64 ? 2 : 1;
          if (insn.code !== CALL || insn.src !== 1 || have.has(k - f.firstInsn)) continue;
          const abs = f.start + slot;
          const tgt = abs + insn.imm + 1;
          const where = `${this.where(cs.section)}/slot ${abs}`;
          const name = this.funcStartingAt(cs.section.index, tgt * 8, where, cs.section.offset + abs * 8);
          f.relocs.push({
            kind: 'call',
            insn: k - f.firstInsn,
            slot,
            elfType: 'none',
            symbol: '',
            target: name,
          });
        }
        f.relocs.sort((a, b) => a.insn - b.insn);
      }
    }
  }

  codeReloc(cs: CodeSection, rs: ElfSection, r: ElfRelocation): void {
    const where = `${this.where(rs)}[${r.index}]`;
    const at = rs.offset + r.index * rs.entsize;
    if (r.offset % 8 !== 0)
      throw new FormatError(where, `r_offset ${r.offset} is not an instruction boundary`, at);
    const absSlot = r.offset / 8;
    const k = cs.slotToInsn[absSlot] ?? -1;
    if (k < 0)
      throw new FormatError(where, `r_offset ${r.offset} points into the second slot of an ld_imm64`, at);
    const f = this.funcAt(cs, absSlot);
    if (f === undefined) throw new FormatError(where, `r_offset ${r.offset} is outside every function`, at);
    if (r.symbol === 0) throw new FormatError(where, 'relocation against the null symbol', at);
    const sym = this.syms[r.symbol]!;
    const insn = cs.insns[k]!;
    const insnIdx = k - f.firstInsn;
    const slot = absSlot - f.start;
    if (f.relocs.some((x) => x.insn === insnIdx))
      throw new FormatError(where, 'second relocation on one instruction', at);
    const typeName = relocTypeName(r.type);
    if (r.type === RelocType.R_BPF_64_64) {
      if (insn.code !== LD_IMM64) {
        throw new FormatError(where, `R_BPF_64_64 on opcode 0x${insn.code.toString(16)}, not ld_imm64`, at);
      }
      if (insn.src !== Pseudo.NONE) {
        throw new FormatError(where, `R_BPF_64_64 on an ld_imm64 with src_reg ${insn.src}, expected 0`, at);
      }
      const elfType = 'R_BPF_64_64' as const;
      if (sym.shndx === Shn.UNDEF) {
        if (sym.name === '')
          throw new FormatError(where, 'relocation against an unnamed undefined symbol', at);
        const kind = this.externKind(sym, false, where, at);
        this.noteExtern(sym, kind);
        f.relocs.push({
          insn: insnIdx,
          slot,
          symbol: sym.name,
          kind: 'extern',
          elfType,
          extern: sym.name,
          externKind: kind,
        });
        return;
      }
      if (sym.shndx >= Shn.LORESERVE) {
        throw new FormatError(
          where,
          `relocation against special section index 0x${sym.shndx.toString(16)}`,
          at,
        );
      }
      const off = (sym.type === SymType.SECTION ? 0 : sym.value) + insn.imm;
      if (this.mapSections.has(sym.shndx)) {
        const name = sym.type === SymType.SECTION ? this.mapSymbols.get(sym.shndx)!.get(off) : sym.name;
        if (name === undefined)
          throw new FormatError(where, `no map at ${this.elf.sections[sym.shndx]!.name}+${off}`, at);
        f.relocs.push({ insn: insnIdx, slot, symbol: sym.name, kind: 'map', elfType, map: name });
        return;
      }
      const dataName = this.dataSections.get(sym.shndx);
      if (dataName !== undefined) {
        const sec = this.elf.sections[sym.shndx]!;
        if (off < 0 || off > sec.size) {
          throw new FormatError(where, `offset ${off} is outside ${dataName} (size ${sec.size})`, at);
        }
        f.relocs.push({
          insn: insnIdx,
          slot,
          symbol: sym.name,
          kind: 'data',
          elfType,
          map: dataName,
          offset: off,
        });
        return;
      }
      if (this.code.has(sym.shndx)) {
        const tgtOff = (sym.type === SymType.SECTION ? 0 : sym.value) + insn.imm;
        const name = this.funcStartingAt(sym.shndx, tgtOff, where, at);
        f.relocs.push({ insn: insnIdx, slot, symbol: sym.name, kind: 'funcPtr', elfType, target: name });
        return;
      }
      throw new FormatError(
        where,
        `ld_imm64 of '${sym.name || this.elf.sections[sym.shndx]!.name}' in section ${this.elf.sections[sym.shndx]!.name}, which is not code, a map or global data`,
        at,
      );
    }
    if (r.type === RelocType.R_BPF_64_32) {
      if (insn.code !== CALL || (insn.src !== 1 && insn.src !== 0 && insn.src !== 2)) {
        throw new FormatError(where, `R_BPF_64_32 on opcode 0x${insn.code.toString(16)}, not a call`, at);
      }
      const elfType = 'R_BPF_64_32' as const;
      if (sym.shndx === Shn.UNDEF) {
        if (sym.name === '') throw new FormatError(where, 'call of an unnamed undefined symbol', at);
        const kind = this.externKind(sym, true, where, at);
        this.noteExtern(sym, kind);
        f.relocs.push({
          insn: insnIdx,
          slot,
          symbol: sym.name,
          kind: 'extern',
          elfType,
          extern: sym.name,
          externKind: kind,
        });
        return;
      }
      if (!this.code.has(sym.shndx)) {
        throw new FormatError(where, `call of '${sym.name}', which is not in a code section`, at);
      }
      if (insn.src !== 1)
        throw new FormatError(where, `bpf-to-bpf call with src_reg ${insn.src}, expected 1`, at);
      // The call's target is imm + 1 slots past the symbol (imm is -1 for a call of a function symbol).
      const tgtOff = sym.value + (insn.imm + 1) * 8;
      const name = this.funcStartingAt(sym.shndx, tgtOff, where, at);
      f.relocs.push({ insn: insnIdx, slot, symbol: sym.name, kind: 'call', elfType, target: name });
      return;
    }
    if (typeName === 'R_BPF_NONE') return;
    if (typeName.startsWith('R_BPF_64_')) {
      throw new FormatError(
        where,
        `${typeName} is a data relocation, not valid in code section ${this.where(cs.section)}`,
        at,
      );
    }
    throw new FormatError(where, `unknown relocation type ${r.type}`, at);
  }

  noteExtern(sym: ElfSymbol, kind: ExternKind): void {
    if (!this.externs.has(sym.name)) this.externs.set(sym.name, { sym, kind });
  }

  /** Every undefined named symbol is an extern, referenced or not. */
  readExterns(): ExternSpec[] {
    for (const y of this.syms) {
      if (y.index === 0 || y.shndx !== Shn.UNDEF || y.name === '' || y.type === SymType.FILE) continue;
      if (this.externs.has(y.name)) continue;
      const where = `${this.elf.symtab()!.name}[${y.index}] ${y.name}`;
      if (this.btf === undefined)
        throw new FormatError(where, 'extern cannot be typed: the object has no .BTF');
      const k = this.btf.externKind(y.name);
      if (k === undefined)
        throw new FormatError(where, 'extern is in neither the .kconfig nor the .ksyms DATASEC');
      this.externs.set(y.name, { sym: y, kind: k });
    }
    const out: ExternSpec[] = [];
    const list = [...this.externs.values()].sort((a, b) => a.sym.index - b.sym.index);
    for (const { sym, kind } of list) {
      const t = this.btf!.externType(sym.name);
      out.push({
        name: sym.name,
        kind,
        weak: sym.bind === SymBind.WEAK,
        btfId: t?.id,
        type: t?.type,
        size: t?.size,
      });
    }
    return out;
  }

  /** Global data sections as array maps. */
  dataMaps(): MapSpec[] {
    const out: MapSpec[] = [];
    for (const [index, name] of this.dataSections) {
      const s = this.elf.sections[index]!;
      if (s.size === 0) continue;
      if (s.size > 0xffffffff)
        throw new FormatError(name, `size ${s.size} does not fit a map value`, s.offset);
      if (s.type === SectionType.NOBITS && s.size > MAX_NOBITS) {
        throw new FormatError(
          name,
          `size ${s.size} is larger than any map value (limit ${MAX_NOBITS})`,
          s.offset,
        );
      }
      const data = s.type === SectionType.NOBITS ? new Uint8Array(s.size) : this.elf.data(s).slice();
      const ro = name.startsWith('.rodata');
      const variables: DataVariable[] = (this.symsIn.get(index) ?? [])
        .filter(
          (y) => y.shndx === index && y.type !== SymType.SECTION && y.name !== '' && y.type !== SymType.FILE,
        )
        .filter((y) => y.type === SymType.OBJECT)
        .sort((a, b) => a.value - b.value || a.index - b.index)
        .map((y) => {
          if (y.value + y.size > s.size) {
            throw new FormatError(
              `${this.elf.symtab()!.name}[${y.index}] ${y.name}`,
              `extends past the end of ${name}`,
            );
          }
          return { name: y.name, offset: y.value, size: y.size, global: y.bind !== SymBind.LOCAL };
        });
      out.push({
        name,
        origin: 'data',
        section: name,
        type: MapType.ARRAY,
        typeName: 'ARRAY',
        keySize: 4,
        valueSize: s.size,
        maxEntries: 1,
        flags: MapFlag.MMAPABLE | (ro ? MapFlag.RDONLY_PROG : 0),
        numaNode: 0,
        pinning: 0,
        mapExtra: 0n,
        keyType: undefined,
        valueType: undefined,
        inner: undefined,
        values: [],
        data,
        readonly: ro,
        variables,
        btfId: this.btf?.datasecId(name),
      });
    }
    return out;
  }

  /** Legacy `maps` section definitions (struct bpf_map_def and its longer variants). */
  legacyMaps(): MapSpec[] {
    const s = this.elf.section('maps');
    if (s === undefined || s.size === 0) return [];
    if (s.type === SectionType.NOBITS)
      throw new FormatError('maps', 'legacy map definitions have no data (NOBITS)', s.offset);
    const syms = this.syms
      .filter((y) => y.shndx === s.index && y.name !== '' && y.type !== SymType.SECTION)
      .sort((a, b) => a.value - b.value || a.index - b.index);
    if (syms.length === 0) throw new FormatError('maps', 'map definitions without symbols', s.offset);
    const defSize = Math.floor(s.size / syms.length);
    const d = this.elf.data(s);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const out: MapSpec[] = [];
    for (const y of syms) {
      const size = y.size === 0 ? defSize : y.size;
      const where = `maps/${y.name}`;
      if (size < 20 || size % 4 !== 0)
        throw new FormatError(where, `definition size ${size} is not a bpf_map_def`, s.offset + y.value);
      if (y.value + size > s.size)
        throw new FormatError(where, `definition at ${y.value} runs past the section`, s.offset + y.value);
      const u = (i: number): number => (i * 4 < size ? dv.getUint32(y.value + i * 4, this.le) : 0);
      const type = u(0);
      // Fields after map_flags: inner_map_idx, numa_node (libbpf's extended layout); others must be zero.
      for (let i = 7; i * 4 < size; i++) {
        if (u(i) !== 0)
          throw new FormatError(where, `unknown non-zero field at byte ${i * 4}`, s.offset + y.value + i * 4);
      }
      out.push({
        name: y.name,
        origin: 'legacy',
        section: 'maps',
        type,
        typeName: mapTypeName(type),
        keySize: u(1),
        valueSize: u(2),
        maxEntries: u(3),
        flags: u(4),
        numaNode: u(6),
        pinning: 0,
        mapExtra: 0n,
        keyType: undefined,
        valueType: undefined,
        inner: undefined,
        values: [],
        data: undefined,
        readonly: false,
        variables: [],
        btfId: undefined,
      });
    }
    return out;
  }

  /** BTF-defined maps in `.maps`. */
  btfMaps(): MapSpec[] {
    const s = this.elf.section('.maps');
    if (s === undefined) return [];
    const btf = this.btf;
    if (btf === undefined)
      throw new FormatError('.maps', 'BTF-defined maps need .BTF, and the object has none', s.offset);
    const ds = btf.datasec('.maps');
    if (ds === undefined) {
      if (s.size === 0) return [];
      throw new FormatError('.maps', 'no DATASEC .maps in .BTF', s.offset);
    }
    const syms = new Map<string, ElfSymbol>();
    for (const y of this.syms)
      if (y.shndx === s.index && y.name !== '' && y.type !== SymType.SECTION) syms.set(y.name, y);
    // .values initializers from .rel.maps.
    const inits = new Map<number, { sym: ElfSymbol; at: number; where: string }>(); // offset in .maps -> target
    for (const rs of this.elf.relocationSections()) {
      if (rs.info !== s.index) continue;
      for (const r of this.elf.relocations(rs)) {
        const where = `${this.where(rs)}[${r.index}]`;
        const at = rs.offset + r.index * rs.entsize;
        if (r.type !== RelocType.R_BPF_64_ABS64) {
          throw new FormatError(where, `${relocTypeName(r.type)} in .maps, expected R_BPF_64_ABS64`, at);
        }
        if (r.symbol === 0) throw new FormatError(where, 'relocation against the null symbol', at);
        if (inits.has(r.offset)) throw new FormatError(where, `second relocation at .maps+${r.offset}`, at);
        inits.set(r.offset, { sym: this.syms[r.symbol]!, at, where });
      }
    }
    const initOffs = [...inits.keys()].sort((a, b) => a - b);
    const used = new Set<number>();
    const out: MapSpec[] = [];
    const entries = ds.vars.map((v, i) => ({ v, i })).sort((a, b) => a.v.offset - b.v.offset || a.i - b.i);
    for (const { v, i } of entries) {
      const where = `.BTF/DATASEC .maps/vars[${i}]`;
      const vt = btf.type(v.type, where);
      if (vt.kind !== 'VAR') throw new FormatError(where, `is a ${vt.kind}, not a VAR`);
      const sym = syms.get(vt.name);
      if (sym === undefined) throw new FormatError(`.maps/${vt.name}`, 'no symbol for this map in .maps');
      const def = this.mapDef(vt.name, vt.type, `.maps/${vt.name}`, 0);
      const spec: MapSpec = { ...def.spec, btfId: v.type, section: '.maps' };
      let values: MapInit[] = [];
      if (def.valuesOffset !== undefined) {
        const base = sym.value + def.valuesOffset;
        const limit = sym.value + Math.max(sym.size, def.structSize);
        let lo = 0;
        let hi = initOffs.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (initOffs[mid]! < base) lo = mid + 1;
          else hi = mid;
        }
        for (let j = lo; j < initOffs.length && initOffs[j]! < limit; j++) {
          const off = initOffs[j]!;
          const init = inits.get(off)!;
          const rel = off - base;
          if (rel % 8 !== 0)
            throw new FormatError(init.where, `initializer at ${off} is not at a .values slot`, init.at);
          const index = rel / 8;
          if (index >= spec.maxEntries) {
            throw new FormatError(
              init.where,
              `.values[${index}] is past max_entries ${spec.maxEntries} of ${vt.name}`,
              init.at,
            );
          }
          used.add(off);
          values.push(this.mapInit(spec, index, init.sym, init.where, init.at));
        }
        values = values.sort((a, b) => a.index - b.index);
      }
      out.push({ ...spec, values });
    }
    for (const [off, init] of inits) {
      if (!used.has(off))
        throw new FormatError(init.where, `relocation at .maps+${off} is not in a .values array`, init.at);
    }
    return out;
  }

  mapInit(spec: MapSpec, index: number, sym: ElfSymbol, where: string, at: number): MapInit {
    if (isMapInMap(spec.type)) {
      if (!this.mapSections.has(sym.shndx) || sym.type === SymType.SECTION) {
        throw new FormatError(
          where,
          `.values[${index}] of ${spec.name} must name a map, not '${sym.name}'`,
          at,
        );
      }
      return { index, target: sym.name, kind: 'map' };
    }
    if (spec.type === MapType.PROG_ARRAY) {
      const cs = this.code.get(sym.shndx);
      if (cs === undefined || sym.type !== SymType.FUNC || cs.section.name === '.text') {
        throw new FormatError(
          where,
          `.values[${index}] of ${spec.name} must name a program, not '${sym.name}'`,
          at,
        );
      }
      return { index, target: sym.name, kind: 'program' };
    }
    throw new FormatError(where, `${spec.name} is a ${spec.typeName} map, which takes no .values`, at);
  }

  /** Parses one BTF map definition struct (the VAR's type). */
  mapDef(
    name: string,
    typeId: number,
    where: string,
    depth: number,
  ): { spec: MapSpec; valuesOffset: number | undefined; structSize: number } {
    const btf = this.btf!;
    const st = btf.resolve(typeId, where);
    if (st.kind !== 'STRUCT') throw new FormatError(where, `map definition is a ${st.kind}, not a struct`);
    let type = 0;
    let keySize: number | undefined;
    let valueSize: number | undefined;
    let keyType: number | undefined;
    let valueType: number | undefined;
    let maxEntries = 0;
    let flags = 0;
    let numaNode = 0;
    let pinning = 0;
    let mapExtra = 0n;
    let inner: MapSpec | undefined;
    let valuesOffset: number | undefined;
    let innerProto = false;
    const seen = new Set<string>();
    for (let m = 0; m < st.members.length; m++) {
      const mem = st.members[m]!;
      const mw = `${where}/${mem.name || `members[${m}]`}`;
      if (seen.has(mem.name)) throw new FormatError(mw, 'attribute given twice');
      seen.add(mem.name);
      const uint = (): number => Number(btf.uintAttr(mem.type, mw));
      switch (mem.name) {
        case 'type':
          type = uint();
          break;
        case 'max_entries':
          maxEntries = uint();
          break;
        case 'map_flags':
          flags = uint();
          break;
        case 'numa_node':
          numaNode = uint();
          break;
        case 'pinning':
          pinning = uint();
          if (pinning > 1) throw new FormatError(mw, `unknown pinning ${pinning}`);
          break;
        case 'map_extra':
          mapExtra = BigInt(btf.uintAttr(mem.type, mw, true));
          break;
        case 'key_size':
          keySize = uint();
          break;
        case 'value_size':
          valueSize = uint();
          break;
        case 'key': {
          keyType = btf.pointee(mem.type, mw);
          const sz = btf.size(keyType, mw);
          if (keySize !== undefined && keySize !== sz)
            throw new FormatError(mw, `key size ${sz} disagrees with key_size ${keySize}`);
          keySize = sz;
          break;
        }
        case 'value': {
          valueType = btf.pointee(mem.type, mw);
          const sz = btf.size(valueType, mw);
          if (valueSize !== undefined && valueSize !== sz) {
            throw new FormatError(mw, `value size ${sz} disagrees with value_size ${valueSize}`);
          }
          valueSize = sz;
          break;
        }
        case 'values': {
          if (depth > 0) throw new FormatError(mw, 'an inner map cannot have .values');
          const arr = btf.resolve(mem.type, mw);
          if (arr.kind !== 'ARRAY' || arr.nelems !== 0)
            throw new FormatError(mw, '.values must be a zero-length array (__array)');
          const elem = btf.resolve(arr.type, mw);
          if (elem.kind !== 'PTR') throw new FormatError(mw, '.values elements must be pointers');
          const target = btf.resolve(elem.type, mw);
          if (target.kind === 'STRUCT') {
            inner = this.mapDef(`${name}.inner`, elem.type, `${mw}/inner`, depth + 1).spec;
          } else if (target.kind === 'FUNC_PROTO') {
            innerProto = true;
          } else {
            throw new FormatError(
              mw,
              `.values points to a ${target.kind}, expected a map struct or a function prototype`,
            );
          }
          if (mem.bitOffset % 8 !== 0) throw new FormatError(mw, 'values is not byte-aligned');
          valuesOffset = mem.bitOffset / 8;
          break;
        }
        default:
          throw new FormatError(mw, `unknown map attribute '${mem.name}'`);
      }
    }
    if (inner !== undefined || valuesOffset !== undefined) {
      if (isMapInMap(type)) {
        if (inner === undefined)
          throw new FormatError(where, 'map-in-map .values must describe the inner map');
        if (valueSize !== undefined && valueSize !== 4)
          throw new FormatError(where, `map-in-map value size ${valueSize}, expected 4`);
        valueSize = 4;
      } else if (type === MapType.PROG_ARRAY) {
        if (!innerProto) throw new FormatError(where, 'prog_array .values must be function pointers');
        valueSize = valueSize ?? 4;
      } else {
        throw new FormatError(where, `a ${mapTypeName(type)} map cannot have .values`);
      }
    }
    return {
      spec: {
        name,
        origin: 'btf',
        section: depth > 0 ? '' : '.maps',
        type,
        typeName: mapTypeName(type),
        keySize: keySize ?? 0,
        valueSize: valueSize ?? 0,
        maxEntries,
        flags,
        numaNode,
        pinning,
        mapExtra,
        keyType,
        valueType,
        inner,
        values: [],
        data: undefined,
        readonly: false,
        variables: [],
        btfId: undefined,
      },
      valuesOffset,
      structSize: st.size,
    };
  }

  functions(license: string, kernelVersion: number): { programs: ProgramSpec[]; functions: FunctionSpec[] } {
    const functions: FunctionSpec[] = [];
    const isProg: boolean[] = [];
    const kinds: (ReturnType<typeof sectionKind> | undefined)[] = [];
    const names = new Map<string, number>();
    for (const cs of [...this.code.values()].sort((a, b) => a.section.index - b.section.index)) {
      const prog = cs.section.name !== '.text';
      const sk = prog ? sectionKind(cs.section.name) : undefined;
      for (const f of cs.funcs) {
        const ext = this.btf?.funcExt(cs.section.name, f.start, f.end) ?? {
          funcInfo: [],
          lineInfo: [],
          coreRelos: [],
        };
        const fn: FunctionSpec = {
          name: f.sym.name,
          section: cs.section.name,
          sectionIndex: cs.section.index,
          offset: f.start * 8,
          global: f.sym.bind !== SymBind.LOCAL,
          insns: cs.insns.slice(f.firstInsn, f.endInsn),
          slots: f.end - f.start,
          relocations: f.relocs,
          btfFunc: ext.funcInfo.find((x) => x.slot === 0)?.typeId ?? this.btf?.funcId(f.sym.name),
          funcInfo: ext.funcInfo,
          lineInfo: ext.lineInfo,
          coreRelos: ext.coreRelos,
        };
        if (names.has(fn.name)) {
          throw new FormatError(`${this.where(cs.section)}/${fn.name}`, 'a second function with this name');
        }
        names.set(fn.name, functions.length);
        functions.push(fn);
        isProg.push(prog);
        kinds.push(sk);
      }
    }
    const programs: ProgramSpec[] = [];
    for (let i = 0; i < functions.length; i++) {
      if (!isProg[i]) continue;
      const fn = functions[i]!;
      const sk = kinds[i];
      // Transitive closure of calls and function pointers, in first-reached order.
      const order: string[] = [];
      const seen = new Set<string>([fn.name]);
      const queue: FunctionSpec[] = [fn];
      while (queue.length > 0) {
        const cur = queue.shift()!;
        for (const r of cur.relocations) {
          if (r.kind !== 'call' && r.kind !== 'funcPtr') continue;
          if (seen.has(r.target)) continue;
          seen.add(r.target);
          order.push(r.target);
          queue.push(functions[names.get(r.target)!]!);
        }
      }
      // Written out rather than spread: the same object, much cheaper to build.
      programs.push({
        name: fn.name,
        section: fn.section,
        sectionIndex: fn.sectionIndex,
        offset: fn.offset,
        global: fn.global,
        insns: fn.insns,
        slots: fn.slots,
        relocations: fn.relocations,
        btfFunc: fn.btfFunc,
        funcInfo: fn.funcInfo,
        lineInfo: fn.lineInfo,
        coreRelos: fn.coreRelos,
        type: sk === undefined ? 0 : ProgType[sk.progType],
        typeName: sk === undefined ? 'UNSPEC' : sk.progType,
        attachType: sk?.attachType === undefined ? 0 : AttachType[sk.attachType],
        attachTypeName: sk?.attachType,
        sleepable: sk?.sleepable ?? false,
        xdpFrags: sk?.xdpFrags ?? false,
        attachTo: sk?.attachTo ?? '',
        sectionPattern: sk?.pattern,
        license,
        kernelVersion,
        subprograms: order,
      });
    }
    return { programs, functions };
  }
}

/** Options for {@link parseObject}. */
export interface ParseObjectOptions {
  /** Reserved for future use (e.g. a base BTF for split objects). */
  readonly _reserved?: never;
}

/**
 * Parses a BPF ELF object into an {@link ObjectSpec}. Throws a {@link FormatError} naming the
 * section, symbol or relocation and the byte offset for anything malformed or inconsistent.
 */
export function parseObject(bytes: Uint8Array, options: ParseObjectOptions = {}): ObjectSpec {
  return parseObjectWithElf(bytes, options).spec;
}

/**
 * {@link parseObject}, also giving the ELF file it read (sections, symbols and relocations
 * already parsed and cached), for callers that look at more of the object without parsing it
 * again (the loader's section layouts and struct_ops).
 */
export function parseObjectWithElf(
  bytes: Uint8Array,
  options: ParseObjectOptions = {},
): { spec: ObjectSpec; elf: ElfFile } {
  try {
    return parseObjectUnsafe(bytes, options);
  } catch (e) {
    throw printableError(e);
  }
}

function parseObjectUnsafe(
  bytes: Uint8Array,
  _options: ParseObjectOptions,
): { spec: ObjectSpec; elf: ElfFile } {
  const p = new ObjectParser(bytes);
  const license = p.license();
  const kernelVersion = p.version();
  p.readCode();
  p.readMapSections();
  p.readRelocations();
  // Code sections by name: the first one of each name, as a search in table order finds it.
  const codeByName = new Map<string, CodeSection>();
  for (const c of p.code.values()) if (!codeByName.has(c.section.name)) codeByName.set(c.section.name, c);
  p.btf?.checkExt(p.elf, (section, off) => {
    const cs = codeByName.get(section);
    if (cs === undefined) return undefined;
    return off % 8 === 0 && off >= 0 && (cs.slotToInsn[off / 8] ?? -1) >= 0;
  });
  const externs = p.readExterns();
  const maps = [...p.btfMaps(), ...p.legacyMaps(), ...p.dataMaps()];
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new FormatError(`${m.section}/${m.name}`, 'a second map with this name');
    seen.add(m.name);
  }
  const { programs, functions } = p.functions(license, kernelVersion);
  // Map references must name a map that exists.
  for (const f of functions) {
    for (const r of f.relocations) {
      if ((r.kind === 'map' || r.kind === 'data') && !seen.has(r.map)) {
        throw new FormatError(
          `${f.section}/${f.name}/insn ${r.insn}`,
          `reference to '${r.map}', which is not a map`,
        );
      }
    }
  }
  const spec: ObjectSpec = {
    endian: p.elf.header.endian,
    license,
    kernelVersion,
    programs,
    functions,
    maps,
    externs,
    btf: p.btf,
  };
  return { spec, elf: p.elf };
}
