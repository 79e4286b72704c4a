/**
 * A bounds-checked ELF64 reader, little or big endian.
 *
 * It reads the file header, the section header table, section names, the symbol table and the
 * relocation sections. Every count, offset and index read from the file is checked against the
 * file before it is used; anything that does not fit is a {@link FormatError} naming the place
 * (`ELF header`, `section [3] .text`, `.symtab[5]`, `.rel.text[2]`) and its byte offset in the
 * file. Section data is returned as views into the input, never copied.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';

/** ELF constants used by the reader and the object model. */
export const ElfConst = {
  /** Size of the ELF64 file header. */
  EHDR_SIZE: 64,
  /** Size of one ELF64 section header. */
  SHDR_SIZE: 64,
  /** Size of one ELF64 symbol. */
  SYM_SIZE: 24,
  /** Size of one ELF64 `Rel` entry. */
  REL_SIZE: 16,
  /** Size of one ELF64 `Rela` entry. */
  RELA_SIZE: 24,
  /** `e_machine` of eBPF. */
  EM_BPF: 247,
  /** `e_type` of a relocatable object. */
  ET_REL: 1,
} as const;

/** Section types (`sh_type`). */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** Section flags (`sh_flags`). */
export const SectionFlag = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
  EXCLUDE: 0x80000000,
} as const;

/** Special section indexes (`st_shndx`). */
export const Shn = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
} as const;

/** Symbol binding (`ELF64_ST_BIND`). */
export const SymBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

/** Symbol type (`ELF64_ST_TYPE`). */
export const SymType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

/** Byte order of an ELF file. */
export type ElfEndian = 'little' | 'big';

/** The ELF64 file header fields the reader uses. */
export interface ElfHeader {
  /** Byte order from `e_ident[EI_DATA]`. */
  readonly endian: ElfEndian;
  /** `e_type` (1 = relocatable). */
  readonly type: number;
  /** `e_machine` (247 = BPF). */
  readonly machine: number;
  /** `e_version`. */
  readonly version: number;
  /** `e_flags`. */
  readonly flags: number;
  /** `e_shoff`: file offset of the section header table. */
  readonly shoff: number;
  /** Number of section headers (resolving extended numbering). */
  readonly shnum: number;
  /** Index of the section name string table (resolving extended numbering). */
  readonly shstrndx: number;
}

/** One section header, with its name resolved. */
export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number;
  /** Name from the section name string table. */
  readonly name: string;
  /** `sh_type`. */
  readonly type: number;
  /** `sh_flags` (the low 53 bits; every flag BPF objects use is in the low 32). */
  readonly flags: number;
  /** `sh_offset`: file offset of the data. */
  readonly offset: number;
  /** `sh_size`: size in bytes (for NOBITS, the size in memory). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: number;
  /** `sh_entsize`. */
  readonly entsize: number;
}

/** One symbol of `.symtab`. */
export interface ElfSymbol {
  /** Index in the symbol table. */
  readonly index: number;
  /** Name from the linked string table (`''` when `st_name` is 0). */
  readonly name: string;
  /** `st_value` (offset in its section for relocatable objects). */
  readonly value: number;
  /** `st_size`. */
  readonly size: number;
  /** Binding: {@link SymBind}. */
  readonly bind: number;
  /** Type: {@link SymType}. */
  readonly type: number;
  /** Visibility (`st_other & 3`). */
  readonly visibility: number;
  /** `st_shndx`: section index or a special {@link Shn} value. */
  readonly shndx: number;
}

/** One relocation entry (`Rel` or `Rela`). */
export interface ElfRelocation {
  /** Index of the entry in its relocation section. */
  readonly index: number;
  /** `r_offset`: byte offset in the target section. */
  readonly offset: number;
  /** Symbol index (`ELF64_R_SYM`). */
  readonly symbol: number;
  /** Relocation type (`ELF64_R_TYPE`). */
  readonly type: number;
  /** `r_addend` (0 for `Rel`). */
  readonly addend: bigint;
}

function secWhere(index: number, name?: string): string {
  return name === undefined || name === '' ? `section [${index}]` : `section [${index}] ${name}`;
}

/**
 * A parsed ELF64 file. Construct with {@link parseElf}. Sections are read eagerly; the symbol
 * table and relocations are read (and checked) on first use and cached.
 */
export class ElfFile {
  /** The whole input. */
  readonly bytes: Uint8Array;
  /** The file header. */
  readonly header: ElfHeader;
  /** Every section header, in table order (index 0 is the null section). */
  readonly sections: readonly ElfSection[];
  /** True for little endian. */
  readonly le: boolean;
  private readonly dv: DataView;
  private readonly byName = new Map<string, ElfSection>();
  private symCache: readonly ElfSymbol[] | undefined;
  private symtabCache: ElfSection | null | undefined;

  /** @internal use {@link parseElf}. */
  constructor(bytes: Uint8Array, header: ElfHeader, sections: ElfSection[], dv: DataView) {
    this.bytes = bytes;
    this.header = header;
    this.sections = sections;
    this.le = header.endian === 'little';
    this.dv = dv;
    for (const s of sections) if (s.index !== 0 && !this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  /** The first section called `name`, or `undefined`. */
  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** The section at `index`; throws a {@link FormatError} naming `where` when out of range. */
  sectionAt(index: number, where: string, offset?: number): ElfSection {
    const s = this.sections[index];
    if (s === undefined || index === 0) {
      throw new FormatError(
        where,
        `section index ${index} is not a section (there are ${this.sections.length})`,
        offset,
      );
    }
    return s;
  }

  /**
   * The bytes of a section (a view into the input). NOBITS sections (e.g. `.bss`) have no bytes
   * in the file: the result is empty and `section.size` gives their size in memory.
   */
  data(section: ElfSection): Uint8Array {
    if (section.type === SectionType.NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /** The bytes of the first section called `name`, or `undefined` when there is none. */
  sectionData(name: string): Uint8Array | undefined {
    const s = this.byName.get(name);
    return s === undefined ? undefined : this.data(s);
  }

  /** The symbol table section (`SHT_SYMTAB`), or `undefined` when there is none. */
  symtab(): ElfSection | undefined {
    if (this.symtabCache === undefined) {
      let found: ElfSection | null = null;
      for (const s of this.sections) {
        if (s.type !== SectionType.SYMTAB) continue;
        if (found !== null) throw new FormatError(secWhere(s.index, s.name), 'second symbol table', s.offset);
        found = s;
      }
      this.symtabCache = found;
    }
    return this.symtabCache ?? undefined;
  }

  /** All symbols of `.symtab` (index 0 is the null symbol); empty when there is no symbol table. */
  symbols(): readonly ElfSymbol[] {
    if (this.symCache !== undefined) return this.symCache;
    try {
      this.symCache = this.readSymbols();
    } catch (e) {
      throw printableError(e);
    }
    return this.symCache;
  }

  private readSymbols(): readonly ElfSymbol[] {
    const st = this.symtab();
    if (st === undefined) return [];
    const where = st.name || '.symtab';
    if (st.entsize !== ElfConst.SYM_SIZE) {
      throw new FormatError(
        secWhere(st.index, st.name),
        `symbol entry size ${st.entsize}, expected 24`,
        st.offset,
      );
    }
    if (st.size % ElfConst.SYM_SIZE !== 0) {
      throw new FormatError(
        secWhere(st.index, st.name),
        `size ${st.size} is not a multiple of 24`,
        st.offset,
      );
    }
    const strtab = this.sectionAt(st.link, `${secWhere(st.index, st.name)} sh_link`, st.offset);
    if (strtab.type !== SectionType.STRTAB) {
      throw new FormatError(
        secWhere(st.index, st.name),
        `sh_link ${st.link} is not a string table`,
        st.offset,
      );
    }
    const strs = this.data(strtab);
    const n = st.size / ElfConst.SYM_SIZE;
    const le = this.le;
    const out: ElfSymbol[] = [];
    for (let i = 0; i < n; i++) {
      const p = st.offset + i * ElfConst.SYM_SIZE;
      const nameOff = this.dv.getUint32(p, le);
      const info = this.dv.getUint8(p + 4);
      const other = this.dv.getUint8(p + 5);
      const shndx = this.dv.getUint16(p + 6, le);
      const value = this.u64At(p + 8, where, i, 'st_value');
      const size = this.u64At(p + 16, where, i, 'st_size');
      if (shndx === Shn.XINDEX) {
        throw new FormatError(
          `${where}[${i}]`,
          'extended section index (SHN_XINDEX) is not supported',
          p + 6,
        );
      }
      if (shndx !== Shn.UNDEF && shndx < Shn.LORESERVE && shndx >= this.sections.length) {
        throw new FormatError(
          `${where}[${i}]`,
          `st_shndx ${shndx} is past the section table (${this.sections.length} sections)`,
          p + 6,
        );
      }
      const name = readStringAt(strs, nameOff, where, i, 'st_name', p, strtab.offset);
      out.push({
        index: i,
        name,
        value,
        size,
        bind: info >> 4,
        type: info & 0xf,
        visibility: other & 3,
        shndx,
      });
    }
    return out;
  }

  /** The relocation sections (`SHT_REL` and `SHT_RELA`), in table order. */
  relocationSections(): ElfSection[] {
    return this.sections.filter((s) => s.type === SectionType.REL || s.type === SectionType.RELA);
  }

  /**
   * The entries of one relocation section. Checks the entry size, that symbol indexes exist in
   * the symbol table and that `r_offset` lies inside the target section (`sh_info`).
   */
  relocations(section: ElfSection): ElfRelocation[] {
    try {
      return this.readRelocations(section, true);
    } catch (e) {
      throw printableError(e);
    }
  }

  /**
   * Checks one relocation section exactly as {@link relocations} does (same errors), without
   * building the entries: for sections whose relocations are not needed (debug info).
   */
  checkRelocations(section: ElfSection): void {
    try {
      this.readRelocations(section, false);
    } catch (e) {
      throw printableError(e);
    }
  }

  private readRelocations(section: ElfSection, collect: boolean): ElfRelocation[] {
    const rela = section.type === SectionType.RELA;
    if (!rela && section.type !== SectionType.REL) {
      throw new FormatError(
        secWhere(section.index, section.name),
        'not a relocation section',
        section.offset,
      );
    }
    const where = section.name || secWhere(section.index);
    const ent = rela ? ElfConst.RELA_SIZE : ElfConst.REL_SIZE;
    if (section.entsize !== ent) {
      throw new FormatError(where, `entry size ${section.entsize}, expected ${ent}`, section.offset);
    }
    if (section.size % ent !== 0) {
      throw new FormatError(where, `size ${section.size} is not a multiple of ${ent}`, section.offset);
    }
    const target = this.sectionAt(section.info, `${where} sh_info`, section.offset);
    const st = this.symtab();
    if (st === undefined || section.link !== st.index) {
      throw new FormatError(where, `sh_link ${section.link} is not the symbol table`, section.offset);
    }
    const nsyms = this.symbols().length;
    const n = section.size / ent;
    const out: ElfRelocation[] = [];
    const le = this.le;
    // Little-endian file on a little-endian host, 4-byte aligned: read words directly.
    const start = this.bytes.byteOffset + section.offset;
    const words =
      le && HOST_LE && start % 4 === 0
        ? new Uint32Array(this.bytes.buffer, start, section.size / 4)
        : undefined;
    const stride = ent / 4;
    for (let i = 0; i < n; i++) {
      const p = section.offset + i * ent;
      let offset: number;
      let symbol: number;
      if (words !== undefined && words[i * stride + 1]! < 0x200000) {
        offset = words[i * stride + 1]! * 0x100000000 + words[i * stride]!;
        symbol = words[i * stride + 3]!;
      } else {
        offset = this.u64At(p, where, i, 'r_offset');
        symbol = this.dv.getUint32(p + (le ? 12 : 8), le);
      }
      if (symbol >= nsyms) {
        throw new FormatError(
          `${where}[${i}]`,
          `symbol index ${symbol} is past the symbol table (${nsyms})`,
          p + 8,
        );
      }
      if (offset >= target.size) {
        throw new FormatError(
          `${where}[${i}]`,
          `r_offset ${offset} is outside ${target.name || secWhere(target.index)} (size ${target.size})`,
          p,
        );
      }
      if (!collect) continue;
      const type = this.dv.getUint32(p + (le ? 8 : 12), le);
      const addend = rela ? this.dv.getBigInt64(p + 16, le) : 0n;
      out.push({ index: i, offset, symbol, type, addend });
    }
    return out;
  }

  /** {@link u64} whose error names `${where}[${i}] ${field}` (the name is built only on error). */
  private u64At(p: number, where: string, i: number, field: string): number {
    const hi = this.dv.getUint32(p + (this.le ? 4 : 0), this.le);
    if (hi >= 0x200000) return this.u64(p, `${where}[${i}] ${field}`);
    return hi * 0x100000000 + this.dv.getUint32(p + (this.le ? 0 : 4), this.le);
  }

  private u64(p: number, where: string): number {
    const hi = this.dv.getUint32(p + (this.le ? 4 : 0), this.le);
    const lo = this.dv.getUint32(p + (this.le ? 0 : 4), this.le);
    if (hi >= 0x200000)
      throw new FormatError(
        where,
        `value 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`,
        p,
      );
    return hi * 0x100000000 + lo;
  }
}

const utf8 = new TextDecoder('utf-8');
const HOST_LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with control characters written as `\xNN` / `\uNNNN`, so a message stays one line. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A {@link FormatError} whose place and reason are {@link printable} (names read from a file can
 * hold newlines or other control characters); other values are returned unchanged.
 */
export function printableError(e: unknown): unknown {
  if (!(e instanceof FormatError)) return e;
  const where = printable(e.where);
  const reason = printable(e.reason);
  if (where === e.where && reason === e.reason) return e;
  return new FormatError(where, reason, e.offset);
}

/**
 * Reads a NUL-terminated string at `off` of a string table. `fieldOffset` is the file offset of
 * the field that held `off` (for the error), `tableOffset` the file offset of the table.
 */
/** {@link readString} whose error names `${where}[${i}] ${field}` (built only on error). */
function readStringAt(
  table: Uint8Array,
  off: number,
  where: string,
  i: number,
  field: string,
  fieldOffset: number,
  tableOffset: number,
): string {
  if (off === 0 && table.length === 0) return '';
  if (off < table.length) {
    const end = table.indexOf(0, off);
    if (end >= 0) return end === off ? '' : utf8.decode(table.subarray(off, end));
  }
  return readString(table, off, `${where}[${i}] ${field}`, fieldOffset, tableOffset);
}

function readString(
  table: Uint8Array,
  off: number,
  where: string,
  fieldOffset: number,
  tableOffset: number,
): string {
  if (off === 0 && table.length === 0) return '';
  if (off >= table.length) {
    throw new FormatError(
      where,
      `string offset ${off} is past the string table (size ${table.length})`,
      fieldOffset,
    );
  }
  const end = table.indexOf(0, off);
  if (end < 0) throw new FormatError(where, `string at ${off} is not NUL-terminated`, tableOffset + off);
  return utf8.decode(table.subarray(off, end));
}

/**
 * Parses the header and section table of an ELF64 file. Throws a {@link FormatError} for a file
 * that is not ELF64, is truncated, or whose section table, section names or section extents lie
 * outside the file or overlap.
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  try {
    return parseElfUnsafe(bytes);
  } catch (e) {
    throw printableError(e);
  }
}

function parseElfUnsafe(bytes: Uint8Array): ElfFile {
  if (bytes.length < ElfConst.EHDR_SIZE) {
    throw new FormatError(
      'ELF header',
      `file is ${bytes.length} bytes, shorter than the 64-byte ELF64 header`,
      0,
    );
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new FormatError('ELF header', 'bad magic, not an ELF file', 0);
  }
  if (bytes[4] !== 2) throw new FormatError('ELF header', `EI_CLASS ${bytes[4]} is not ELFCLASS64`, 4);
  if (bytes[5] !== 1 && bytes[5] !== 2)
    throw new FormatError('ELF header', `EI_DATA ${bytes[5]} is not 1 (LSB) or 2 (MSB)`, 5);
  if (bytes[6] !== 1) throw new FormatError('ELF header', `EI_VERSION ${bytes[6]} is not 1`, 6);
  const le = bytes[5] === 1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (p: number, where: string): number => {
    const hi = dv.getUint32(p + (le ? 4 : 0), le);
    const lo = dv.getUint32(p + (le ? 0 : 4), le);
    if (hi >= 0x200000) throw new FormatError(where, 'value does not fit in 53 bits', p);
    return hi * 0x100000000 + lo;
  };
  const type = dv.getUint16(16, le);
  const machine = dv.getUint16(18, le);
  const version = dv.getUint32(20, le);
  const shoff = u64(40, 'ELF header e_shoff');
  const flags = dv.getUint32(48, le);
  const ehsize = dv.getUint16(52, le);
  const shentsize = dv.getUint16(58, le);
  let shnum = dv.getUint16(60, le);
  let shstrndx = dv.getUint16(62, le);
  if (ehsize !== ElfConst.EHDR_SIZE)
    throw new FormatError('ELF header', `e_ehsize ${ehsize}, expected 64`, 52);
  if (shoff === 0) {
    if (shnum !== 0)
      throw new FormatError('ELF header', `e_shnum ${shnum} with no section table (e_shoff 0)`, 60);
    const header: ElfHeader = {
      endian: le ? 'little' : 'big',
      type,
      machine,
      version,
      flags,
      shoff,
      shnum: 0,
      shstrndx: 0,
    };
    return new ElfFile(bytes, header, [], dv);
  }
  if (shentsize !== ElfConst.SHDR_SIZE) {
    throw new FormatError('ELF header', `e_shentsize ${shentsize}, expected 64`, 58);
  }
  if (shoff < ElfConst.EHDR_SIZE || shoff > bytes.length - ElfConst.SHDR_SIZE) {
    throw new FormatError(
      'ELF header',
      `e_shoff ${shoff} puts the section table outside the file (${bytes.length} bytes)`,
      40,
    );
  }
  // Extended numbering: the real counts live in section 0.
  if (shnum === 0) shnum = u64(shoff + 32, 'section [0] sh_size (extended e_shnum)');
  if (shstrndx === Shn.XINDEX) shstrndx = dv.getUint32(shoff + 40, le);
  if (shnum > (bytes.length - shoff) / ElfConst.SHDR_SIZE) {
    throw new FormatError(
      'ELF header',
      `e_shnum ${shnum} section headers at ${shoff} run past the end of the file (${bytes.length} bytes)`,
      60,
    );
  }
  if (shstrndx === 0 || shstrndx >= shnum) {
    throw new FormatError('ELF header', `e_shstrndx ${shstrndx} is not a section (there are ${shnum})`, 62);
  }
  interface Raw {
    nameOff: number;
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
  }
  const raws: Raw[] = [];
  for (let i = 0; i < shnum; i++) {
    const p = shoff + i * ElfConst.SHDR_SIZE;
    const w = secWhere(i);
    const fhi = dv.getUint32(p + (le ? 12 : 8), le);
    const flo = dv.getUint32(p + (le ? 8 : 12), le);
    const r: Raw = {
      nameOff: dv.getUint32(p, le),
      type: dv.getUint32(p + 4, le),
      flags: (fhi & 0x1fffff) * 0x100000000 + flo,
      offset: u64(p + 24, `${w} sh_offset`),
      size: u64(p + 32, `${w} sh_size`),
      link: dv.getUint32(p + 40, le),
      info: dv.getUint32(p + 44, le),
      addralign: u64(p + 48, `${w} sh_addralign`),
      entsize: u64(p + 56, `${w} sh_entsize`),
    };
    if (i !== 0 && r.type !== SectionType.NOBITS && r.type !== SectionType.NULL) {
      if (r.offset > bytes.length || r.size > bytes.length - r.offset) {
        throw new FormatError(
          w,
          `data at ${r.offset} of ${r.size} bytes runs past the end of the file (${bytes.length} bytes)`,
          p + 24,
        );
      }
    }
    raws.push(r);
  }
  const strRaw = raws[shstrndx]!;
  if (strRaw.type !== SectionType.STRTAB) {
    throw new FormatError(
      secWhere(shstrndx),
      `e_shstrndx names a section of type ${strRaw.type}, not a string table`,
      shoff + shstrndx * 64 + 4,
    );
  }
  const names = bytes.subarray(strRaw.offset, strRaw.offset + strRaw.size);
  const sections: ElfSection[] = raws.map((r, i) => {
    const name =
      i === 0
        ? ''
        : readString(
            names,
            r.nameOff,
            `${secWhere(i)} sh_name`,
            shoff + i * ElfConst.SHDR_SIZE,
            strRaw.offset,
          );
    return {
      index: i,
      name,
      type: r.type,
      flags: r.flags,
      offset: r.offset,
      size: r.size,
      link: r.link,
      info: r.info,
      addralign: r.addralign,
      entsize: r.entsize,
    };
  });
  // Overlap: no section's bytes may overlap the header, the section table or another section.
  const extents: { start: number; end: number; what: string; at: number }[] = [
    { start: 0, end: ElfConst.EHDR_SIZE, what: 'ELF header', at: 0 },
    { start: shoff, end: shoff + shnum * ElfConst.SHDR_SIZE, what: 'section header table', at: shoff },
  ];
  for (const s of sections) {
    if (s.index === 0 || s.type === SectionType.NOBITS || s.type === SectionType.NULL || s.size === 0)
      continue;
    extents.push({ start: s.offset, end: s.offset + s.size, what: secWhere(s.index, s.name), at: s.offset });
  }
  extents.sort((a, b) => a.start - b.start || a.end - b.end);
  let a = extents[0]!;
  for (let i = 1; i < extents.length; i++) {
    const b = extents[i]!;
    if (b.start < a.end)
      throw new FormatError(
        b.what,
        `bytes ${b.start}..${b.end} overlap ${a.what} (${a.start}..${a.end})`,
        b.at,
      );
    if (b.end > a.end) a = b;
  }
  const header: ElfHeader = {
    endian: le ? 'little' : 'big',
    type,
    machine,
    version,
    flags,
    shoff,
    shnum,
    shstrndx,
  };
  return new ElfFile(bytes, header, sections, dv);
}

/**
 * The bytes of the section called `name` in an ELF64 file, or `undefined` when the file has no
 * such section. Throws a {@link FormatError} when the file is malformed.
 */
export function elfSectionData(bytes: Uint8Array, name: string): Uint8Array | undefined {
  return parseElf(bytes).sectionData(name);
}
