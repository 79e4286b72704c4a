/**
 * The BTF side of an object: its `.BTF` and `.BTF.ext` (parsed by `src/btf`) and the queries the
 * object model needs (map definition attributes, DATASECs, externs, per-function ext records),
 * all reporting malformed input as {@link FormatError}.
 *
 * @module
 */

import { BTF_KIND, type Btf, type BtfExt, type BtfExtSection, parseBtf, parseBtfExt } from '../btf/index.js';
import type { BtfDatasec, BtfType } from '../btf/types.js';
import { FormatError } from '../util/errors.js';
import type { ElfFile } from './reader.js';
import { SectionType } from './reader.js';

/** A func_info record rebased to a function (slot from the function's start). */
export interface ExtFuncInfo {
  /** Slot from the start of the function. */
  readonly slot: number;
  /** BTF id of the FUNC. */
  readonly typeId: number;
}

/** A line_info record rebased to a function. */
export interface ExtLineInfo {
  /** Slot from the start of the function. */
  readonly slot: number;
  /** Source file name. */
  readonly file: string;
  /** Source line text. */
  readonly lineText: string;
  /** Line number. */
  readonly line: number;
  /** Column. */
  readonly column: number;
}

/** A CO-RE relocation record rebased to a function. */
export interface ExtCoreRelo {
  /** Slot from the start of the function. */
  readonly slot: number;
  /** Root type id in the object's BTF. */
  readonly typeId: number;
  /** Access string (`0:1:0`). */
  readonly access: string;
  /** `enum bpf_core_relo_kind`. */
  readonly kind: number;
}

/** Kinds of extern a DATASEC can declare. */
export type ExternDeclKind = 'kconfig' | 'ksym' | 'kfunc';

function wrap<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof RangeError) throw new FormatError(where, e.message);
    throw e;
  }
}

/** The object's BTF and `.BTF.ext`, with the queries the object model uses. */
export class BtfInfo {
  /** The parsed `.BTF`. */
  readonly btf: Btf;
  /** The parsed `.BTF.ext`, when present. */
  readonly ext: BtfExt | undefined;
  private readonly datasecs = new Map<string, number>();
  private readonly externs = new Map<string, { kind: ExternDeclKind; id: number }>();
  private readonly sortedCache = new Map<string, Map<string, { insnOff: number }[]>>();

  /** @internal use {@link loadBtf}. */
  constructor(btf: Btf, ext: BtfExt | undefined) {
    this.btf = btf;
    this.ext = ext;
    const n = btf.typeCount;
    for (let id = 1; id < n; id++) {
      if (btf.kindOf(id) !== BTF_KIND.DATASEC) continue;
      const ds = btf.type(id) as BtfDatasec;
      if (!this.datasecs.has(ds.name)) this.datasecs.set(ds.name, id);
      const kind: ExternDeclKind | undefined =
        ds.name === '.kconfig' ? 'kconfig' : ds.name === '.ksyms' ? 'ksym' : undefined;
      if (kind === undefined) continue;
      ds.vars.forEach((v, i) => {
        const where = `.BTF/types[${id}] ${ds.name}/vars[${i}]`;
        const t = this.type(v.type, where);
        if (t.kind === 'FUNC') {
          if (kind !== 'ksym') throw new FormatError(where, `function ${t.name} in .kconfig`);
          if (!this.externs.has(t.name)) this.externs.set(t.name, { kind: 'kfunc', id: v.type });
        } else if (t.kind === 'VAR') {
          if (!this.externs.has(t.name)) this.externs.set(t.name, { kind, id: v.type });
        } else throw new FormatError(where, `${t.kind} in ${ds.name}, expected VAR or FUNC`);
      });
    }
  }

  /** Number of type ids (including void). */
  get typeCount(): number {
    return this.btf.typeCount;
  }

  /** Decodes type `id`, or throws a {@link FormatError} naming `where`. */
  type(id: number, where: string): BtfType {
    if (!Number.isInteger(id) || id <= 0 || id >= this.btf.typeCount) {
      throw new FormatError(where, `type id ${id} is not a type (valid 1..${this.btf.typeCount - 1})`);
    }
    return wrap(where, () => this.btf.type(id));
  }

  /** Decodes `id` after skipping typedefs and modifiers. */
  resolve(id: number, where: string): BtfType {
    this.type(id, where);
    const r = wrap(where, () => this.btf.resolve(id));
    if (r === 0) throw new FormatError(where, `type ${id} resolves to void`);
    return this.type(r, where);
  }

  /** Size in bytes of type `id`. */
  size(id: number, where: string): number {
    this.type(id, where);
    return wrap(where, () => this.btf.sizeOf(id));
  }

  /** The type a `__type(name, T)` member points to (`T *name`). */
  pointee(id: number, where: string): number {
    const p = this.resolve(id, where);
    if (p.kind !== 'PTR') throw new FormatError(where, `is a ${p.kind}, expected a pointer (__type)`);
    if (p.type === 0) throw new FormatError(where, 'points to void');
    return p.type;
  }

  /**
   * The value of a `__uint(name, N)` member (`int (*name)[N]`), or with `allowEnum` of a
   * `__ulong(name, N)` member (an enum with one enumerator N).
   */
  uintAttr(id: number, where: string, allowEnum = false): number | bigint {
    const t = this.resolve(id, where);
    if (t.kind === 'PTR') {
      const a = this.resolve(t.type, where);
      if (a.kind !== 'ARRAY')
        throw new FormatError(where, `points to a ${a.kind}, expected an array (__uint)`);
      return a.nelems;
    }
    if (allowEnum && (t.kind === 'ENUM' || t.kind === 'ENUM64') && t.values.length === 1) {
      return BigInt(t.values[0]!.value);
    }
    throw new FormatError(where, `is a ${t.kind}, expected a pointer to an array (__uint)`);
  }

  /** The DATASEC called `name`, or `undefined`. */
  datasec(name: string): BtfDatasec | undefined {
    const id = this.datasecs.get(name);
    return id === undefined ? undefined : (this.btf.type(id) as BtfDatasec);
  }

  /** Id of the DATASEC called `name`, or `undefined`. */
  datasecId(name: string): number | undefined {
    return this.datasecs.get(name);
  }

  /** How an extern called `name` is declared (.kconfig VAR, .ksyms VAR or FUNC), or `undefined`. */
  externKind(name: string): ExternDeclKind | undefined {
    return this.externs.get(name)?.kind;
  }

  /** The BTF of an extern: its VAR/FUNC id, declared type id and (for variables) size. */
  externType(name: string): { id: number; type: number; size: number | undefined } | undefined {
    const e = this.externs.get(name);
    if (e === undefined) return undefined;
    const t = this.btf.type(e.id);
    if (t.kind !== 'VAR' && t.kind !== 'FUNC') return undefined;
    const where = `.BTF/types[${e.id}] ${name}`;
    if (t.type !== 0) this.type(t.type, where);
    // `extern const void sym __ksym` declares a typeless ksym: no size.
    const typed = t.kind === 'VAR' && t.type !== 0 && wrap(where, () => this.btf.resolve(t.type)) !== 0;
    const size = typed ? wrap(where, () => this.btf.sizeOf(t.type)) : undefined;
    return { id: e.id, type: t.type, size };
  }

  /** Id of the FUNC called `name`, or `undefined`. */
  funcId(name: string): number | undefined {
    return this.btf.findId(name, BTF_KIND.FUNC);
  }

  /**
   * The `.BTF.ext` records of section `section` whose instruction offsets fall in slots
   * `[start, end)`, rebased to `start`.
   */
  funcExt(
    section: string,
    start: number,
    end: number,
  ): { funcInfo: ExtFuncInfo[]; lineInfo: ExtLineInfo[]; coreRelos: ExtCoreRelo[] } {
    const ext = this.ext;
    const funcInfo: ExtFuncInfo[] = [];
    const lineInfo: ExtLineInfo[] = [];
    const coreRelos: ExtCoreRelo[] = [];
    if (ext === undefined) return { funcInfo, lineInfo, coreRelos };
    const lo = start * 8;
    const hi = end * 8;
    const slot = (off: number): number => (off - lo) / 8;
    const fi = this.sorted(ext.funcInfo, 'f').get(section);
    for (let i = fi === undefined ? 0 : firstAtOrAfter(fi, lo); fi !== undefined && i < fi.length; i++) {
      const r = fi[i]!;
      if (r.insnOff >= hi) break;
      funcInfo.push({ slot: slot(r.insnOff), typeId: r.typeId });
    }
    const li = this.sorted(ext.lineInfo, 'l').get(section);
    for (let i = li === undefined ? 0 : firstAtOrAfter(li, lo); li !== undefined && i < li.length; i++) {
      const r = li[i]!;
      if (r.insnOff >= hi) break;
      lineInfo.push({
        slot: slot(r.insnOff),
        file: this.btf.str(r.fileNameOff),
        lineText: this.btf.str(r.lineOff),
        line: r.line,
        column: r.col,
      });
    }
    const ci = this.sorted(ext.coreRelo, 'c').get(section);
    for (let i = ci === undefined ? 0 : firstAtOrAfter(ci, lo); ci !== undefined && i < ci.length; i++) {
      const r = ci[i]!;
      if (r.insnOff >= hi) break;
      coreRelos.push({
        slot: slot(r.insnOff),
        typeId: r.typeId,
        access: this.btf.str(r.accessStrOff),
        kind: r.kind,
      });
    }
    return { funcInfo, lineInfo, coreRelos };
  }

  /** Records of each section, sorted by instruction offset (stable), cached per area. */
  private sorted<R extends { insnOff: number }>(
    secs: readonly BtfExtSection<R>[],
    area: string,
  ): Map<string, R[]> {
    let m = this.sortedCache.get(area) as Map<string, R[]> | undefined;
    if (m === undefined) {
      m = new Map();
      for (const s of secs) {
        let list = m.get(s.sectionName);
        if (list === undefined) m.set(s.sectionName, (list = []));
        for (const r of s.records) list.push(r);
      }
      // Usually already in order (compilers emit them so): the stable sort is then the identity.
      for (const list of m.values()) {
        let ordered = true;
        for (let i = 1; i < list.length && ordered; i++) ordered = list[i - 1]!.insnOff <= list[i]!.insnOff;
        if (!ordered) list.sort((a, b) => a.insnOff - b.insnOff);
      }
      this.sortedCache.set(area, m as Map<string, { insnOff: number }[]>);
    }
    return m;
  }

  /** Checks that every `.BTF.ext` record lies on an instruction of a code section of `elf`. */
  checkExt(elf: ElfFile, slotIsInsn: (section: string, byteOff: number) => boolean | undefined): void {
    const ext = this.ext;
    if (ext === undefined) return;
    const areas = [
      ['func_info', ext.funcInfo],
      ['line_info', ext.lineInfo],
      ['core_relo', ext.coreRelo],
    ] as const;
    for (const [area, secs] of areas) {
      secs.forEach((s, i) => {
        const where = `.BTF.ext/${area}[${i}] ${s.sectionName}`;
        const sec = elf.section(s.sectionName);
        if (sec === undefined || sec.type !== SectionType.PROGBITS) {
          throw new FormatError(where, `names section '${s.sectionName}', which is not a code section`);
        }
        s.records.forEach((r, k) => {
          const ok = slotIsInsn(s.sectionName, r.insnOff);
          if (ok !== true) {
            throw new FormatError(
              `${where}/records[${k}]`,
              `insn_off ${r.insnOff} is not an instruction of ${s.sectionName}`,
            );
          }
        });
      });
    }
  }
}

/**
 * Parses the `.BTF` and `.BTF.ext` sections of an object, or returns `undefined` when it has no
 * `.BTF`. A `.BTF.ext` without `.BTF` is a {@link FormatError}.
 */
export function loadBtf(elf: ElfFile): BtfInfo | undefined {
  const raw = elf.sectionData('.BTF');
  const extRaw = elf.sectionData('.BTF.ext');
  if (raw === undefined) {
    if (extRaw !== undefined)
      throw new FormatError('.BTF.ext', 'present without .BTF', elf.section('.BTF.ext')!.offset);
    return undefined;
  }
  const rebase = (e: unknown, sec: string): never => {
    if (e instanceof FormatError) {
      const base = elf.section(sec)!.offset;
      throw new FormatError(e.where, e.reason, e.offset === undefined ? base : base + e.offset);
    }
    if (e instanceof RangeError) throw new FormatError(sec, e.message, elf.section(sec)!.offset);
    throw e;
  };
  let btf: Btf;
  try {
    btf = parseBtf(raw, { section: '.BTF' });
  } catch (e) {
    return rebase(e, '.BTF');
  }
  let ext: BtfExt | undefined;
  if (extRaw !== undefined) {
    try {
      ext = parseBtfExt(extRaw, { btf, section: '.BTF.ext' });
    } catch (e) {
      return rebase(e, '.BTF.ext');
    }
  }
  try {
    return new BtfInfo(btf, ext);
  } catch (e) {
    return rebase(e, '.BTF');
  }
}

/** Index of the first record of `list` (sorted by insnOff) at or after byte offset `lo`. */
function firstAtOrAfter(list: readonly { insnOff: number }[], lo: number): number {
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (list[mid]!.insnOff < lo) a = mid + 1;
    else b = mid;
  }
  return a;
}
