/**
 * Raw BTF editing for loading: the object's BTF as a list of type records (32-bit words) plus a
 * string table, so the loader can fix up DATASEC sizes and offsets, rewrite extern declarations
 * into what `BPF_BTF_LOAD` accepts, replace kinds the backend does not know, and append types,
 * without touching the parsed object. Type ids are kept (records are edited in place or
 * appended), so the object's func_info, line_info and map type ids stay valid.
 *
 * @module
 */

import { BTF_KIND, type Btf, extraWords } from '../btf/index.js';

const K = BTF_KIND;
const HOST_LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Editable copy of a BTF: records by id (index 0 is void and empty). */
export class RawBtf {
  /** Type records, by type id (record 0 unused). */
  readonly records: Uint32Array[] = [new Uint32Array(0)];
  /** The source's string table (not modified). */
  private readonly baseStrs: Uint8Array;
  /** Bytes of added strings, after {@link baseStrs}. */
  private readonly moreStrs: number[] = [];
  private readonly added = new Map<string, number>();
  private readonly enc = new TextEncoder();
  private readonly src: Btf;

  /**
   * Copies `btf`'s records (one copy of the whole type section; each record is a view into it)
   * and refers to its strings.
   */
  constructor(btf: Btf) {
    this.src = btf;
    this.baseStrs = btf.strings.raw();
    if (btf.startId !== 1) {
      // Split BTF: record by record, base types included.
      for (let id = 1; id < btf.typeCount; id++) this.records.push(btf.rawRecord(id));
      return;
    }
    const bytes = btf.serialize();
    const le = btf.endian === 'little';
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hdrLen = dv.getUint32(4, le);
    const typeStart = hdrLen + dv.getUint32(8, le);
    const n = dv.getUint32(12, le) / 4;
    const words = new Uint32Array(n);
    if (le === HOST_LE && (bytes.byteOffset + typeStart) % 4 === 0)
      words.set(new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, n));
    else for (let i = 0; i < n; i++) words[i] = dv.getUint32(typeStart + 4 * i, le);
    let p = 0;
    for (let id = 1; id < btf.typeCount; id++) {
      const info = words[p + 1]!;
      const len = 3 + extraWords((info >>> 24) & 0x1f, info & 0xffff);
      this.records.push(words.subarray(p, p + len));
      p += len;
    }
  }

  /** Kind of record `id`. */
  kind(id: number): number {
    return (this.records[id]![1]! >>> 24) & 0x1f;
  }

  /** vlen of record `id`. */
  vlen(id: number): number {
    return this.records[id]![1]! & 0xffff;
  }

  /** Name of record `id`. */
  name(id: number): string {
    return this.src.str(this.records[id]![0]!) || this.addedName(this.records[id]![0]!);
  }

  private addedName(off: number): string {
    for (const [s, o] of this.added) if (o === off) return s;
    return '';
  }

  /** Adds a string; returns its offset. */
  addString(s: string): number {
    const found = this.src.strings.find(s);
    if (found !== undefined) return found;
    const known = this.added.get(s);
    if (known !== undefined) return known;
    const off = this.baseStrs.length + this.moreStrs.length;
    for (const b of this.enc.encode(s)) this.moreStrs.push(b);
    this.moreStrs.push(0);
    this.added.set(s, off);
    return off;
  }

  /** Appends a record; returns its id. */
  add(words: readonly number[]): number {
    this.records.push(Uint32Array.from(words));
    return this.records.length - 1;
  }

  /** Replaces record `id`. */
  set(id: number, words: readonly number[]): void {
    this.records[id] = Uint32Array.from(words);
  }

  /** Record info word. */
  static info(kind: number, vlen: number, kflag = false): number {
    return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
  }

  /** Serializes to little-endian BTF bytes (what the kernel reads on a little-endian host). */
  serialize(): Uint8Array {
    let words = 0;
    for (const r of this.records) words += r.length;
    const typeLen = words * 4;
    const strLen = this.baseStrs.length + this.moreStrs.length;
    const out = new Uint8Array(24 + typeLen + strLen);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, 0xeb9f, true);
    out[2] = 1;
    dv.setUint32(4, 24, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true);
    dv.setUint32(20, strLen, true);
    let p = 24;
    if (HOST_LE) {
      const w = new Uint32Array(out.buffer, 24, words);
      let q = 0;
      for (const r of this.records) {
        w.set(r, q);
        q += r.length;
      }
      p += typeLen;
    } else {
      for (const r of this.records) {
        for (let i = 0; i < r.length; i++, p += 4) dv.setUint32(p, r[i]!, true);
      }
    }
    out.set(this.baseStrs, p);
    out.set(this.moreStrs, p + this.baseStrs.length);
    return out;
  }
}

/** BTF features a backend's `BPF_BTF_LOAD` accepts (see {@link probeBtfFeatures}). */
export interface BtfFeatures {
  /** BTF is accepted at all. */
  btf: boolean;
  /** FUNC and FUNC_PROTO. */
  func: boolean;
  /** FUNC with global linkage. */
  funcGlobal: boolean;
  /** VAR and DATASEC. */
  datasec: boolean;
  /** FLOAT. */
  float: boolean;
  /** DECL_TAG. */
  declTag: boolean;
  /** TYPE_TAG. */
  typeTag: boolean;
  /** ENUM64. */
  enum64: boolean;
}

/** Every feature present (what Linux 6.18 accepts). */
export const ALL_BTF_FEATURES: BtfFeatures = {
  btf: true,
  func: true,
  funcGlobal: true,
  datasec: true,
  float: true,
  declTag: true,
  typeTag: true,
  enum64: true,
};

/**
 * Rewrites kinds `f` says are missing, the way loaders sanitize BTF for older kernels, keeping
 * type ids: VAR → INT (1 byte), DATASEC → empty STRUCT of the same size, FLOAT → empty STRUCT,
 * DECL_TAG → INT, TYPE_TAG → CONST, ENUM64 → empty UNION of the same size, global FUNC → static,
 * FUNC/FUNC_PROTO → INT/ENUM (when FUNC is missing altogether).
 */
export function sanitize(raw: RawBtf, f: BtfFeatures): void {
  const int8 = (name: number) => [name, RawBtf.info(K.INT, 0), 1, 8];
  for (let id = 1; id < raw.records.length; id++) {
    const r = raw.records[id]!;
    const kind = raw.kind(id);
    if (!f.datasec && kind === K.VAR) raw.set(id, int8(r[0]!));
    else if (!f.datasec && kind === K.DATASEC) raw.set(id, [r[0]!, RawBtf.info(K.STRUCT, 0), r[2]!]);
    else if (!f.float && kind === K.FLOAT) raw.set(id, [r[0]!, RawBtf.info(K.STRUCT, 0), r[2]!]);
    else if (!f.declTag && kind === K.DECL_TAG) raw.set(id, int8(r[0]!));
    else if (!f.typeTag && kind === K.TYPE_TAG) raw.set(id, [0, RawBtf.info(K.CONST, 0), r[2]!]);
    else if (!f.enum64 && kind === K.ENUM64) raw.set(id, [r[0]!, RawBtf.info(K.UNION, 0), r[2]!]);
    else if (!f.func && kind === K.FUNC) raw.set(id, int8(r[0]!));
    else if (!f.func && kind === K.FUNC_PROTO) raw.set(id, [0, RawBtf.info(K.ENUM, 0), 4]);
    else if (!f.funcGlobal && kind === K.FUNC && raw.vlen(id) === 1)
      raw.set(id, [r[0]!, RawBtf.info(K.FUNC, 0), r[2]!]);
  }
}

/** Words of the `i`-th DATASEC entry of record `r`: [type, offset, size] at 3 + 3i. */
export function secinfoAt(i: number): number {
  return 3 + 3 * i;
}

/** Number of extra words a record of `kind` with `vlen` has (re-exported for the loader). */
export function recordExtra(kind: number, vlen: number): number {
  return extraWords(kind, vlen);
}

/** Name given to an unnamed typed parameter `i` (0-based) of a function prototype. */
export function paramName(i: number): string {
  return `__tsbpf_arg${i + 1}`;
}

/**
 * Makes the BTF of an object with extern declarations acceptable to `BPF_BTF_LOAD`, keeping type
 * ids, as libbpf does before loading (Linux 6.18 refuses each of these):
 * - unnamed typed parameters of the prototype of a FUNC (extern kfunc declarations) get a name
 *   ({@link paramName}); the kernel says "Invalid arg#N";
 * - a VAR whose type is void, through modifiers and typedefs (a typeless `__ksym`, `const void`),
 *   gets the type `int()` returns; the kernel says "Invalid type_id";
 * - DATASEC entries are put in offset order (`.kconfig` is laid out in extern order, not in the
 *   order of its DATASEC); the kernel says "Invalid offset".
 * Records that need none of this are left as they are, byte for byte. `int` is called only when a
 * VAR needs it, and returns the id of a 4-byte signed INT.
 */
export function fixForKernel(raw: RawBtf, int: () => number): void {
  const K = BTF_KIND;
  const n = raw.records.length;
  const protoFixed = new Set<number>();
  for (let id = 1; id < n; id++) {
    const kind = raw.kind(id);
    const r = raw.records[id]!;
    if (kind === K.FUNC) {
      const proto = r[2]!;
      if (protoFixed.has(proto) || proto >= n || raw.kind(proto) !== K.FUNC_PROTO) continue;
      protoFixed.add(proto);
      const p = raw.records[proto]!;
      const vlen = raw.vlen(proto);
      for (let i = 0; i < vlen; i++)
        if (p[3 + 2 * i] === 0 && p[4 + 2 * i] !== 0) p[3 + 2 * i] = raw.addString(paramName(i));
    } else if (kind === K.VAR) {
      if (resolvesToVoid(raw, r[2]!)) r[2] = int();
    } else if (kind === K.DATASEC) {
      const vlen = raw.vlen(id);
      let sorted = true;
      for (let i = 1; i < vlen && sorted; i++) if (r[4 + 3 * i]! < r[4 + 3 * (i - 1)]!) sorted = false;
      if (sorted) continue;
      const vs: number[][] = [];
      for (let i = 0; i < vlen; i++) vs.push([r[3 + 3 * i]!, r[4 + 3 * i]!, r[5 + 3 * i]!]);
      vs.sort((a, b) => a[1]! - b[1]!); // stable: entries at the same offset keep their order
      vs.forEach((v, i) => {
        r.set(v, secinfoAt(i));
      });
    }
  }
}

/** Whether `type` is void once CONST, VOLATILE, RESTRICT, TYPE_TAG and TYPEDEF are skipped. */
function resolvesToVoid(raw: RawBtf, type: number): boolean {
  const K = BTF_KIND;
  for (let hops = 0; hops < raw.records.length; hops++) {
    if (type === 0) return true;
    if (type >= raw.records.length) return false;
    const k = raw.kind(type);
    if (k !== K.CONST && k !== K.VOLATILE && k !== K.RESTRICT && k !== K.TYPE_TAG && k !== K.TYPEDEF)
      return false;
    type = raw.records[type]![2]!;
  }
  return false; // a modifier cycle: left for the kernel to refuse
}
