/**
 * `.BTF.ext`: per-program-section func_info, line_info and CO-RE relocation records, in either
 * byte order. Parse then serialize gives back the input bytes exactly.
 *
 * Layout (from the kernel's and libbpf's UAPI): a header (magic 0xeB9F, version 1, flags,
 * hdr_len, then off/len pairs for func_info, line_info and, when hdr_len >= 32, core_relo; offsets
 * count from the end of the header). Each info area starts with a u32 record size, followed by
 * blocks `{u32 sec_name_off; u32 num_info; record[num_info]}`.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import type { Btf, Endian } from './btf.js';
import { BPF_CORE_RELO_NAMES, BTF_MAGIC, BTF_VERSION, kindName } from './kinds.js';

/** A `bpf_func_info` record: the BTF FUNC of the function starting at `insnOff`. */
export interface FuncInfo {
  /** Instruction offset (bytes in an object file; instruction index when given to the kernel). */
  insnOff: number;
  /** The FUNC type id. */
  typeId: number;
  /** Bytes past the 8 known ones when the record size is larger (kept as found). */
  extra?: Uint8Array;
}

/** A `bpf_line_info` record: source position of the instruction at `insnOff`. */
export interface LineInfo {
  /** Instruction offset. */
  insnOff: number;
  /** String offset of the file name. */
  fileNameOff: number;
  /** String offset of the source line text. */
  lineOff: number;
  /** Line number (upper 22 bits of line_col). */
  line: number;
  /** Column (lower 10 bits of line_col). */
  col: number;
  /** Bytes past the 16 known ones (kept as found). */
  extra?: Uint8Array;
}

/** A `bpf_core_relo` record: a CO-RE relocation of the instruction at `insnOff`. */
export interface CoreRelo {
  /** Instruction offset. */
  insnOff: number;
  /** Local (program BTF) root type id. */
  typeId: number;
  /** String offset of the access string (`0:1:2`). */
  accessStrOff: number;
  /** Relocation kind ({@link BPF_CORE_RELO}). */
  kind: number;
  /** Bytes past the 16 known ones (kept as found). */
  extra?: Uint8Array;
}

/** The records of one program section (e.g. `xdp`, `.text`). */
export interface BtfExtSection<R> {
  /** String offset (in .BTF) of the ELF section name. */
  sectionNameOff: number;
  /** The section name, when a Btf was given to the parser (else `''`). */
  sectionName: string;
  /** The records. */
  records: R[];
}

/** Where each info area sat in the parsed bytes (offsets from the end of the header). */
interface Layout {
  func: [number, number];
  line: [number, number];
  core: [number, number];
}

/** Options for {@link parseBtfExt}. */
export interface BtfExtParseOptions {
  /** The object's BTF: checks string offsets and type ids, and resolves section names. */
  btf?: Btf;
  /** Section name for error messages (default `.BTF.ext`). */
  section?: string;
}

const MIN_REC = { func_info: 8, line_info: 16, core_relo: 16 } as const;

/** Parsed `.BTF.ext`. Build one with `new BtfExt()` and fill the arrays; see {@link serialize}. */
export class BtfExt {
  /** Byte order for {@link serialize} (parse sets the input's). */
  endian: Endian = 'little';
  /** Header flags byte (kept as found). */
  flags = 0;
  /** Whether the header has the core_relo off/len pair (hdr_len >= 32). */
  hasCoreReloHeader = true;
  /** Header bytes after the known fields (kept as found). */
  headerExtra: Uint8Array = new Uint8Array(0);
  /** func_info record size (at least 8). */
  funcInfoRecSize = 8;
  /** line_info record size (at least 16). */
  lineInfoRecSize = 16;
  /** core_relo record size (at least 16). */
  coreReloRecSize = 16;
  /** func_info per program section. */
  funcInfo: BtfExtSection<FuncInfo>[] = [];
  /** line_info per program section. */
  lineInfo: BtfExtSection<LineInfo>[] = [];
  /** CO-RE relocations per program section. */
  coreRelo: BtfExtSection<CoreRelo>[] = [];
  /** Whether each area was present (non-empty) in the parsed input, and where. */
  private layout: Layout | undefined;
  private lens: [number, number, number] | undefined;

  /**
   * Parses `.BTF.ext` bytes.
   *
   * @throws FormatError naming the place (`.BTF.ext/line_info[1]/records[3]`) and byte offset.
   */
  static parse(bytes: Uint8Array, opts: BtfExtParseOptions = {}): BtfExt {
    const name = opts.section ?? '.BTF.ext';
    const hw = `${name}/header`;
    if (bytes.length < 24)
      throw new FormatError(hw, `${bytes.length} bytes, shorter than the 24-byte header`, 0);
    let le: boolean;
    if (bytes[0] === 0x9f && bytes[1] === 0xeb) le = true;
    else if (bytes[0] === 0xeb && bytes[1] === 0x9f) le = false;
    else throw new FormatError(hw, 'bad magic (want 0xeb9f)', 0);
    if (bytes[2] !== BTF_VERSION) throw new FormatError(hw, `unsupported version ${bytes[2]}`, 2);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hdrLen = dv.getUint32(4, le);
    if (hdrLen < 24 || hdrLen > bytes.length)
      throw new FormatError(hw, `hdr_len ${hdrLen} is out of range (24..${bytes.length})`, 4);
    const ext = new BtfExt();
    ext.endian = le ? 'little' : 'big';
    ext.flags = bytes[3]!;
    ext.hasCoreReloHeader = hdrLen >= 32;
    ext.headerExtra = bytes.slice(ext.hasCoreReloHeader ? 32 : 24, hdrLen);
    const body = bytes.length - hdrLen;
    const pair = (at: number): [number, number] => [dv.getUint32(at, le), dv.getUint32(at + 4, le)];
    const areas: Array<[keyof typeof MIN_REC, [number, number], number]> = [
      ['func_info', pair(8), 8],
      ['line_info', pair(16), 16],
    ];
    if (ext.hasCoreReloHeader) areas.push(['core_relo', pair(24), 24]);
    for (const [what, [off, len], at] of areas) {
      if (off + len > body)
        throw new FormatError(hw, `${what} ${off}+${len} runs past the data (${body} bytes)`, at);
    }
    const present = areas.filter(([, [, len]]) => len > 0).sort((a, b) => a[1][0] - b[1][0]);
    let cursor = 0;
    for (const [what, [off, len], at] of present) {
      if (off < cursor) throw new FormatError(hw, `${what} overlaps the previous area`, at);
      if (off > cursor)
        throw new FormatError(hw, `a ${off - cursor}-byte hole before ${what}`, hdrLen + cursor);
      cursor = off + len;
    }
    if (cursor !== body)
      throw new FormatError(hw, `${body - cursor} bytes after the last area`, hdrLen + cursor);

    const btf = opts.btf;
    const strTotal = btf ? btf.strings.totalLength : Number.POSITIVE_INFINITY;
    const typeCount = btf ? btf.typeCount : Number.POSITIVE_INFINITY;
    const readArea = <R>(
      what: keyof typeof MIN_REC,
      off: number,
      len: number,
      rec: (p: number, where: string) => R,
    ): { recSize: number; secs: BtfExtSection<R>[] } => {
      const secs: BtfExtSection<R>[] = [];
      if (len === 0) return { recSize: MIN_REC[what], secs };
      const start = hdrLen + off;
      const end = start + len;
      if (len < 4) throw new FormatError(`${name}/${what}`, 'area too short for the record size', start);
      const recSize = dv.getUint32(start, le);
      if (recSize < MIN_REC[what] || recSize % 4 !== 0 || recSize > len)
        throw new FormatError(`${name}/${what}`, `record size ${recSize} is invalid`, start);
      let p = start + 4;
      for (let si = 0; p < end; si++) {
        const sw = `${name}/${what}[${si}]`;
        if (end - p < 8) throw new FormatError(sw, 'truncated section header', p);
        const secOff = dv.getUint32(p, le);
        const num = dv.getUint32(p + 4, le);
        if (secOff >= strTotal)
          throw new FormatError(sw, `section name offset ${secOff} is past the strings`, p);
        if (num === 0) throw new FormatError(sw, 'section with no records', p + 4);
        if (num > (end - p - 8) / recSize)
          throw new FormatError(sw, `${num} records of ${recSize} bytes run past the area`, p + 4);
        p += 8;
        const records: R[] = [];
        for (let i = 0; i < num; i++, p += recSize) records.push(rec(p, `${sw}/records[${i}]`));
        secs.push({ sectionNameOff: secOff, sectionName: btf ? btf.str(secOff) : '', records });
      }
      return { recSize, secs };
    };
    const extra = (p: number, recSize: number, min: number) =>
      recSize > min ? bytes.slice(p + min, p + recSize) : undefined;
    const strCheck = (v: number, where: string, p: number, what: string) => {
      if (v >= strTotal) throw new FormatError(where, `${what} offset ${v} is past the strings`, p);
    };
    const typeCheck = (v: number, where: string, p: number) => {
      if (v >= typeCount)
        throw new FormatError(where, `type id ${v} is out of range (${typeCount} types)`, p);
    };

    const fi = readArea('func_info', areas[0]![1][0], areas[0]![1][1], (p, where) => {
      const r: FuncInfo = { insnOff: dv.getUint32(p, le), typeId: dv.getUint32(p + 4, le) };
      typeCheck(r.typeId, where, p + 4);
      return r;
    });
    ext.funcInfoRecSize = fi.recSize;
    ext.funcInfo = fi.secs;
    const li = readArea('line_info', areas[1]![1][0], areas[1]![1][1], (p, where) => {
      const lc = dv.getUint32(p + 12, le);
      const r: LineInfo = {
        insnOff: dv.getUint32(p, le),
        fileNameOff: dv.getUint32(p + 4, le),
        lineOff: dv.getUint32(p + 8, le),
        line: lc >>> 10,
        col: lc & 0x3ff,
      };
      strCheck(r.fileNameOff, where, p + 4, 'file name');
      strCheck(r.lineOff, where, p + 8, 'line');
      return r;
    });
    ext.lineInfoRecSize = li.recSize;
    ext.lineInfo = li.secs;
    if (ext.hasCoreReloHeader) {
      const cr = readArea('core_relo', areas[2]![1][0], areas[2]![1][1], (p, where) => {
        const r: CoreRelo = {
          insnOff: dv.getUint32(p, le),
          typeId: dv.getUint32(p + 4, le),
          accessStrOff: dv.getUint32(p + 8, le),
          kind: dv.getUint32(p + 12, le),
        };
        typeCheck(r.typeId, where, p + 4);
        strCheck(r.accessStrOff, where, p + 8, 'access string');
        return r;
      });
      ext.coreReloRecSize = cr.recSize;
      ext.coreRelo = cr.secs;
    }
    // Attach record tails after the fact (the readers above know only the fixed part).
    const attach = (
      secs: BtfExtSection<{ extra?: Uint8Array }>[],
      off: number,
      recSize: number,
      min: number,
    ) => {
      if (recSize === min) return;
      let p = hdrLen + off + 4;
      for (const s of secs) {
        p += 8;
        for (const r of s.records) {
          r.extra = extra(p, recSize, min);
          p += recSize;
        }
      }
    };
    attach(ext.funcInfo, areas[0]![1][0], ext.funcInfoRecSize, 8);
    attach(ext.lineInfo, areas[1]![1][0], ext.lineInfoRecSize, 16);
    if (ext.hasCoreReloHeader) attach(ext.coreRelo, areas[2]![1][0], ext.coreReloRecSize, 16);
    ext.layout = {
      func: areas[0]![1],
      line: areas[1]![1],
      core: ext.hasCoreReloHeader ? areas[2]![1] : [0, 0],
    };
    ext.lens = [areas[0]![1][1], areas[1]![1][1], ext.hasCoreReloHeader ? areas[2]![1][1] : 0];
    return ext;
  }

  /**
   * Serializes in {@link endian} order. Areas with records are laid out contiguously in the order
   * they were found (func_info, line_info, core_relo for a new one); empty areas keep the offset
   * they had, so parse then serialize reproduces the input exactly.
   */
  serialize(): Uint8Array {
    const le = this.endian === 'little';
    const hdrLen = (this.hasCoreReloHeader ? 32 : 24) + this.headerExtra.length;
    const areaBytes = (
      secs: BtfExtSection<{ extra?: Uint8Array }>[],
      recSize: number,
      min: number,
      write: (dv: DataView, p: number, r: never) => void,
    ): Uint8Array => {
      if (secs.length === 0) return new Uint8Array(0);
      let n = 4;
      for (const s of secs) n += 8 + s.records.length * recSize;
      const out = new Uint8Array(n);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, recSize, le);
      let p = 4;
      for (const s of secs) {
        dv.setUint32(p, s.sectionNameOff, le);
        dv.setUint32(p + 4, s.records.length, le);
        p += 8;
        for (const r of s.records) {
          write(dv, p, r as never);
          if (r.extra && recSize > min) out.set(r.extra.subarray(0, recSize - min), p + min);
          p += recSize;
        }
      }
      return out;
    };
    const f = areaBytes(this.funcInfo, this.funcInfoRecSize, 8, (dv, p, r: FuncInfo) => {
      dv.setUint32(p, r.insnOff, le);
      dv.setUint32(p + 4, r.typeId, le);
    });
    const l = areaBytes(this.lineInfo, this.lineInfoRecSize, 16, (dv, p, r: LineInfo) => {
      dv.setUint32(p, r.insnOff, le);
      dv.setUint32(p + 4, r.fileNameOff, le);
      dv.setUint32(p + 8, r.lineOff, le);
      dv.setUint32(p + 12, ((r.line << 10) | (r.col & 0x3ff)) >>> 0, le);
    });
    const c = this.hasCoreReloHeader
      ? areaBytes(this.coreRelo, this.coreReloRecSize, 16, (dv, p, r: CoreRelo) => {
          dv.setUint32(p, r.insnOff, le);
          dv.setUint32(p + 4, r.typeId, le);
          dv.setUint32(p + 8, r.accessStrOff, le);
          dv.setUint32(p + 12, r.kind, le);
        })
      : new Uint8Array(0);
    const parts: Array<{ data: Uint8Array; off: number; slot: number }> = [];
    const sameLens =
      this.lens && this.lens[0] === f.length && this.lens[1] === l.length && this.lens[2] === c.length;
    const lay = this.layout;
    const datas = [f, l, c];
    const found = [lay?.func[0] ?? 0, lay?.line[0] ?? 0, lay?.core[0] ?? 0];
    const order = [0, 1, 2].filter((i) => datas[i]!.length > 0);
    if (sameLens) order.sort((a, b) => found[a]! - found[b]!);
    let cursor = 0;
    const offs = sameLens ? found.slice() : [0, 0, 0];
    for (const i of order) {
      offs[i] = cursor;
      parts.push({ data: datas[i]!, off: cursor, slot: i });
      cursor += datas[i]!.length;
    }
    if (!sameLens) for (let i = 0; i < 3; i++) if (datas[i]!.length === 0) offs[i] = cursor;
    const out = new Uint8Array(hdrLen + cursor);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, BTF_MAGIC, le);
    out[2] = BTF_VERSION;
    out[3] = this.flags;
    dv.setUint32(4, hdrLen, le);
    for (let i = 0; i < (this.hasCoreReloHeader ? 3 : 2); i++) {
      dv.setUint32(8 + 8 * i, offs[i]!, le);
      dv.setUint32(12 + 8 * i, datas[i]!.length, le);
    }
    out.set(this.headerExtra, this.hasCoreReloHeader ? 32 : 24);
    for (const part of parts) out.set(part.data, hdrLen + part.off);
    return out;
  }
}

/** Parses `.BTF.ext`; see {@link BtfExt.parse}. */
export function parseBtfExt(bytes: Uint8Array, opts?: BtfExtParseOptions): BtfExt {
  return BtfExt.parse(bytes, opts);
}

/** A func_info record for display ({@link describeBtfExt}). */
export interface FuncInfoView {
  /** Instruction index in the section (the record's byte offset / 8). */
  insn: number;
  /** The FUNC type id. */
  typeId: number;
  /** The function's name. */
  func: string;
}

/** A line_info record for display. */
export interface LineInfoView {
  /** Instruction index in the section. */
  insn: number;
  /** Source file name. */
  file: string;
  /** Line number. */
  line: number;
  /** Column. */
  col: number;
  /** The source line text (as the compiler recorded it). */
  source: string;
}

/** A CO-RE relocation for display. */
export interface CoreReloView {
  /** Instruction index in the section. */
  insn: number;
  /** Relocation kind name (`FIELD_BYTE_OFFSET`, ...), or `kind N` for an unknown one. */
  kind: string;
  /** Local root type id. */
  typeId: number;
  /** The root type as C (`struct task_struct`). */
  type: string;
  /** The access string as recorded (`0:1:2`). */
  access: string;
  /** The access resolved against the local BTF (`struct task_struct.pid`, `enum e::E_ONE`). */
  spec: string;
}

/** One program section's records for display. */
export interface BtfExtSectionView<R> {
  /** ELF section name. */
  section: string;
  /** The records. */
  records: R[];
}

/** `.BTF.ext` resolved against its BTF: names instead of string offsets (see {@link formatBtfExt}). */
export interface BtfExtView {
  /** Byte order of the section. */
  endian: Endian;
  /** Record sizes as found. */
  recordSizes: { funcInfo: number; lineInfo: number; coreRelo: number };
  /** func_info per section. */
  funcInfo: BtfExtSectionView<FuncInfoView>[];
  /** line_info per section. */
  lineInfo: BtfExtSectionView<LineInfoView>[];
  /** CO-RE relocations per section. */
  coreRelo: BtfExtSectionView<CoreReloView>[];
}

/** Most access-string components resolved to names; longer specs stay numeric past this. */
const MAX_SPEC_DEPTH = 64;

function typeLabel(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const k = btf.kindOf(id);
  const name = btf.nameOf(id) || '(anon)';
  switch (k) {
    case 4:
      return `struct ${name}`;
    case 5:
      return `union ${name}`;
    case 6:
    case 19:
      return `enum ${name}`;
    default:
      return name === '(anon)' ? `${kindName(k)} [${id}]` : name;
  }
}

/**
 * Resolves a CO-RE access string against the local BTF: `0:1:2` on `struct s` is
 * `struct s.b.c` (members by index, `[i]` for arrays, `[n]` first for a non-zero root index);
 * enumerator relocations name the value (`enum e::E_ONE`). Anything that does not resolve is
 * shown as recorded, after what did.
 */
function resolveAccess(btf: Btf, typeId: number, access: string, kind: number): string {
  const root = typeLabel(btf, typeId);
  const parts = access.split(':');
  if (parts.some((p) => !/^\d+$/.test(p))) return `${root} ${access}`;
  const idx = parts.map(Number);
  if (kind === 10 || kind === 11) {
    const t = btf.type(btf.resolve(typeId));
    if ((t.kind === 'ENUM' || t.kind === 'ENUM64') && idx[0]! < t.values.length)
      return `${root}::${t.values[idx[0]!]!.name}`;
    return `${root} ${access}`;
  }
  if ((kind >= 6 && kind <= 9) || kind === 12) return root;
  let out = idx[0] === 0 ? root : `${root}[${idx[0]}]`;
  let cur = typeId;
  for (let i = 1; i < idx.length; i++) {
    if (i > MAX_SPEC_DEPTH) return `${out} ${parts.slice(i).join(':')}`;
    const r = btf.resolve(cur);
    const t = r === 0 ? undefined : btf.type(r);
    if (t && (t.kind === 'STRUCT' || t.kind === 'UNION') && idx[i]! < t.members.length) {
      const m = t.members[idx[i]!]!;
      out += m.name ? `.${m.name}` : `.<anon ${idx[i]}>`;
      cur = m.type;
    } else if (t && t.kind === 'ARRAY') {
      out += `[${idx[i]}]`;
      cur = t.type;
    } else {
      return `${out} ${parts.slice(i).join(':')}`;
    }
  }
  return out;
}

/**
 * `.BTF.ext` with string offsets and type ids resolved against the object's BTF, for display.
 * Lookups that fail (a record the BTF does not explain) show the raw value instead of throwing
 * anything but a FormatError for cyclic types.
 */
export function describeBtfExt(ext: BtfExt, btf: Btf): BtfExtView {
  const str = (off: number) => (off < btf.strings.totalLength ? btf.strings.get(off) : `<string ${off}>`);
  const safe = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof RangeError) return fallback;
      throw e;
    }
  };
  const sec = <R, V>(s: BtfExtSection<R>, f: (r: R) => V): BtfExtSectionView<V> => ({
    section: s.sectionName || str(s.sectionNameOff),
    records: s.records.map(f),
  });
  return {
    endian: ext.endian,
    recordSizes: {
      funcInfo: ext.funcInfoRecSize,
      lineInfo: ext.lineInfoRecSize,
      coreRelo: ext.coreReloRecSize,
    },
    funcInfo: ext.funcInfo.map((s) =>
      sec(s, (r) => ({
        insn: r.insnOff / 8,
        typeId: r.typeId,
        func: safe(() => btf.nameOf(r.typeId), `<type ${r.typeId}>`),
      })),
    ),
    lineInfo: ext.lineInfo.map((s) =>
      sec(s, (r) => ({
        insn: r.insnOff / 8,
        file: str(r.fileNameOff),
        line: r.line,
        col: r.col,
        source: str(r.lineOff),
      })),
    ),
    coreRelo: ext.coreRelo.map((s) =>
      sec(s, (r) => {
        const access = str(r.accessStrOff);
        return {
          insn: r.insnOff / 8,
          kind: BPF_CORE_RELO_NAMES[r.kind] ?? `kind ${r.kind}`,
          typeId: r.typeId,
          type: safe(() => typeLabel(btf, r.typeId), `<type ${r.typeId}>`),
          access,
          spec: safe(() => resolveAccess(btf, r.typeId, access, r.kind), access),
        };
      }),
    ),
  };
}

/**
 * A text listing of `.BTF.ext`: per program section, func_info (`insn 0: [12] FUNC 'name'`),
 * line_info (`insn 3: file.c:12:5` and the source line) and CO-RE relocations
 * (`insn 5: FIELD_BYTE_OFFSET [7] struct task_struct.pid (0:1)`).
 */
export function formatBtfExt(ext: BtfExt, btf: Btf): string {
  const v = describeBtfExt(ext, btf);
  const out: string[] = [
    `.BTF.ext: ${v.endian}-endian, record sizes: func_info ${v.recordSizes.funcInfo}, line_info ${v.recordSizes.lineInfo}, core_relo ${v.recordSizes.coreRelo}`,
  ];
  for (const s of v.funcInfo) {
    out.push(`func_info section '${s.section}' (${s.records.length} records):`);
    for (const r of s.records) out.push(`\tinsn ${r.insn}: [${r.typeId}] FUNC '${r.func}'`);
  }
  for (const s of v.lineInfo) {
    out.push(`line_info section '${s.section}' (${s.records.length} records):`);
    for (const r of s.records)
      out.push(`\tinsn ${r.insn}: ${r.file}:${r.line}:${r.col}${r.source ? `\t${r.source.trim()}` : ''}`);
  }
  for (const s of v.coreRelo) {
    out.push(`core_relo section '${s.section}' (${s.records.length} records):`);
    for (const r of s.records) out.push(`\tinsn ${r.insn}: ${r.kind} [${r.typeId}] ${r.spec} (${r.access})`);
  }
  return `${out.join('\n')}\n`;
}
