/**
 * The machine's `BPF_BTF_LOAD` check: the rules Linux 6.18 applies to user BTF before it accepts
 * it, with the kernel's errno and verifier log. Three passes, as in Linux: the header and section
 * layout; the string section; each type's own record ("meta": names, kind flags, vlen, sizes,
 * member and DATASEC entry offsets); then references are resolved type by type (ids in range,
 * no loops, every struct member, array element, VAR and DATASEC entry has a size and fits),
 * and FUNC_PROTO and FUNC are checked (valid return type, typed parameters named).
 *
 * The log is what Linux writes at log level 1: the header fields, one line per type (with its
 * members, enumerators and DATASEC entries), and the failing type's line with the reason last.
 *
 * @module
 */

import { BTF_KIND } from '../../btf/kinds.js';
import { Errno } from '../../sys/errors.js';

const K = BTF_KIND;
/** Kinds Linux 6.18 knows, by number (index 0 is never valid). */
const KIND_STR = [
  'UNKNOWN',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
];
const KIND_MAX = 19;
/** Bits of `info` Linux accepts: vlen (16), kind (5), kind_flag. */
const INFO_MASK = 0x9f00ffff;
const MAX_TYPE = 0xfffff;
const MAX_NAME_OFFSET = 0xffffff;
const MAX_SIZE = 16 * 1024 * 1024;
const MAX_RESOLVE_DEPTH = 32;
/** KSYM_NAME_LEN: the longest identifier Linux checks. */
const KSYM_NAME_LEN = 512;
const PTR_SIZE = 8;

/** The verdict of {@link checkBtf}. */
export type BtfCheckResult =
  | { ok: true; log: string }
  | {
      ok: false;
      errno: number;
      /** The log Linux writes at level 1 (lines ending in `\n`). */
      log: string;
    };

/** Thrown inside the checker: an errno (the log lines are already written). */
class Refused {
  constructor(readonly errno: number) {}
}

/** One type record as read from the type section. */
interface Rec {
  /** Word index of the record in the type section. */
  at: number;
  nameOff: number;
  info: number;
  kind: number;
  vlen: number;
  kflag: boolean;
  /** `size` or `type` (the union). */
  st: number;
}

/**
 * Checks user BTF as Linux 6.18's `BPF_BTF_LOAD` does.
 *
 * @param b - the raw BTF (header, type section, string section)
 * @returns ok, or the errno and the log Linux would write at log level 1
 */
export function checkBtf(b: Uint8Array): BtfCheckResult {
  const c = new Checker(b);
  try {
    c.run();
    return { ok: true, log: c.log.join('') };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, errno: e.errno, log: c.log.join('') };
    throw e;
  }
}

class Checker {
  readonly log: string[] = [];
  private readonly dv: DataView;
  private hdrLen = 0;
  private typeOff = 0;
  private typeLen = 0;
  private strOff = 0;
  private strLen = 0;
  /** Byte offset of the string section in the blob. */
  private strBase = 0;
  /** The type section as words. */
  private w = new Uint32Array(0);
  /** Records by id (index 0: void, undefined). */
  private readonly t: (Rec | undefined)[] = [undefined];
  /** Resolve state: 0 not visited, 1 on the stack, 2 resolved. */
  private state = new Uint8Array(0);
  /** For modifiers, PTR and VAR: the id they resolve to. */
  private resolvedId = new Uint32Array(0);
  /** For arrays: their total size. */
  private resolvedSize = new Float64Array(0);
  /** The id the log prefixes lines with. */
  private logId = 0;
  private phase: 'meta' | 'types' = 'meta';
  private mode: 'tbd' | 'ptr' | 'struct' = 'tbd';
  private depth = 0;
  private readonly dec = new TextDecoder();

  constructor(private readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  run(): void {
    if (this.b.length > MAX_SIZE) throw new Refused(Errno.E2BIG);
    this.header();
    this.strings();
    this.typeSection();
  }

  private out(line: string): void {
    this.log.push(line);
  }

  private fail(errno: number, line: string): never {
    this.out(`${line}\n`);
    throw new Refused(errno);
  }

  /** A refusal Linux logs without a newline (its plain btf_verifier_log messages). */
  private failRaw(errno: number, text: string): never {
    this.out(text);
    throw new Refused(errno);
  }

  // --- header and sections --------------------------------------------------------------------

  private header(): void {
    const b = this.b;
    const size = b.length;
    if (size < 8) this.failRaw(Errno.EINVAL, 'hdr_len not found');
    const u32 = (o: number) => this.dv.getUint32(o, true);
    const hdrLen = u32(4);
    if (size < hdrLen) this.failRaw(Errno.EINVAL, 'btf_header not found');
    for (let i = 24; i < hdrLen; i++) if (b[i] !== 0) this.failRaw(Errno.E2BIG, 'Unsupported btf_header');
    // Fields past hdr_len read as zero (Linux copies min(hdr_len, 24) bytes).
    const f = (o: number) => (o + 4 <= hdrLen && o + 4 <= size ? u32(o) : 0);
    const magic = hdrLen >= 2 ? this.dv.getUint16(0, true) : 0;
    const version = hdrLen >= 3 ? b[2]! : 0;
    const flags = hdrLen >= 4 ? b[3]! : 0;
    this.hdrLen = hdrLen;
    this.typeOff = f(8);
    this.typeLen = f(12);
    this.strOff = f(16);
    this.strLen = f(20);
    this.out(
      `magic: 0x${magic.toString(16)}\nversion: ${version}\nflags: 0x${flags.toString(16)}\nhdr_len: ${hdrLen}\n` +
        `type_off: ${this.typeOff}\ntype_len: ${this.typeLen}\nstr_off: ${this.strOff}\nstr_len: ${this.strLen}\n` +
        `btf_total_size: ${size}\n`,
    );
    if (magic !== 0xeb9f) this.failRaw(Errno.EINVAL, 'Invalid magic');
    if (version !== 1) this.failRaw(Errno.ENOTSUPP, 'Unsupported version');
    if (flags !== 0) this.failRaw(Errno.ENOTSUPP, 'Unsupported flags');
    if (size === hdrLen) this.failRaw(Errno.EINVAL, 'No data');
    // The two sections, sorted by offset, must tile the data after the header exactly.
    const secs = [
      [this.typeOff, this.typeLen],
      [this.strOff, this.strLen],
    ].sort((x, y) => (x[0]! - y[0]!) | 0 || (x[1]! - y[1]!) | 0); // Linux compares (int)(a - b)
    const expected = size - hdrLen;
    let total = 0;
    for (const [off, len] of secs) {
      if (expected < off!) this.failRaw(Errno.EINVAL, 'Invalid section offset');
      if (total < off!) this.failRaw(Errno.EINVAL, 'Unsupported section found');
      if (total > off!) this.failRaw(Errno.EINVAL, 'Section overlap found');
      if (expected - total < len!) this.failRaw(Errno.EINVAL, 'Total section length too long');
      total += len!;
    }
    if (expected !== total) this.failRaw(Errno.EINVAL, 'Unsupported section found');
  }

  private strings(): void {
    this.strBase = this.hdrLen + this.strOff;
    const end = this.strBase + this.strLen;
    if (end !== this.b.length) this.failRaw(Errno.EINVAL, 'String section is not at the end');
    if (
      this.strLen === 0 ||
      this.strLen - 1 > MAX_NAME_OFFSET ||
      this.b[this.strBase] !== 0 ||
      this.b[end - 1] !== 0
    )
      this.failRaw(Errno.EINVAL, 'Invalid string section');
  }

  // --- names ----------------------------------------------------------------------------------

  private offsetValid(off: number): boolean {
    return off <= MAX_NAME_OFFSET && off < this.strLen;
  }

  /** The string at `off` for the log: `(anon)` for 0. */
  private name(off: number): string {
    if (off === 0) return '(anon)';
    if (off >= this.strLen) return '(invalid-name-offset)';
    return this.str(off);
  }

  private str(off: number): string {
    const s = this.strBase + off;
    let e = s;
    while (this.b[e] !== 0) e++;
    return this.dec.decode(this.b.subarray(s, e));
  }

  /**
   * Linux 6.18's name rules: an identifier starts with a letter, `_` or `.` and goes on with those
   * or digits; a DATASEC name (`section`) is any run of printable characters. Letters and printable
   * characters are those of Linux's Latin-1 ctype table. Both are shorter than KSYM_NAME_LEN.
   */
  private nameValid(off: number, section = false): boolean {
    const b = this.b;
    let p = this.strBase + off;
    const ok = (c: number, first: boolean) =>
      section ? isPrint(c) : isAlpha(c) || c === 0x5f || c === 0x2e || (!first && c >= 0x30 && c <= 0x39);
    if (!ok(b[p]!, true)) return false;
    const limit = p + KSYM_NAME_LEN;
    p++;
    while (b[p] !== 0 && p < limit) {
      if (!ok(b[p]!, false)) return false;
      p++;
    }
    return b[p] === 0;
  }

  // --- log lines ------------------------------------------------------------------------------

  private word(r: Rec, i: number): number {
    return this.w[r.at + 3 + i]!;
  }

  private details(r: Rec): string {
    switch (r.kind) {
      case K.INT: {
        const d = this.word(r, 0);
        const enc = (d >>> 24) & 0x0f;
        const es =
          enc === 0 ? '(none)' : enc === 1 ? 'SIGNED' : enc === 2 ? 'CHAR' : enc === 4 ? 'BOOL' : 'UNKN';
        return `size=${r.st} bits_offset=${(d >>> 16) & 0xff} nr_bits=${d & 0xff} encoding=${es}`;
      }
      case K.PTR:
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
      case K.FUNC:
        return `type_id=${r.st}`;
      case K.ARRAY:
        return `type_id=${this.word(r, 0)} index_type_id=${this.word(r, 1)} nr_elems=${this.word(r, 2)}`;
      case K.STRUCT:
      case K.UNION:
      case K.ENUM:
      case K.ENUM64:
      case K.DATASEC:
        return `size=${r.st} vlen=${r.vlen}`;
      case K.FWD:
        return r.kflag ? 'union' : 'struct';
      case K.FUNC_PROTO: {
        const n = r.vlen;
        const arg = (i: number) => `${this.word(r, 2 * i + 1)} ${this.name(this.word(r, 2 * i))}`;
        let s = `return=${r.st} args=(`;
        if (n === 0) s += 'void';
        else if (n === 1 && this.word(r, 1) === 0) s += 'vararg';
        else {
          s += arg(0);
          for (let i = 1; i < n - 1; i++) s += `, ${arg(i)}`;
          if (n > 1) s += this.word(r, 2 * (n - 1) + 1) !== 0 ? `, ${arg(n - 1)}` : ', vararg';
        }
        return `${s})`;
      }
      case K.VAR:
        return `type_id=${r.st} linkage=${this.word(r, 0)}`;
      case K.FLOAT:
        return `size=${r.st}`;
      case K.DECL_TAG:
        return `type=${r.st} component_idx=${this.word(r, 0) | 0}`;
      default:
        return '';
    }
  }

  /** `[id] KIND name details[ reason]` for the type being logged. */
  private typeLine(r: Rec, reason?: string): string {
    const d = this.details(r);
    return `[${this.logId}] ${KIND_STR[r.kind]} ${this.name(r.nameOff)}${d === '' ? '' : ` ${d}`}${reason ? ` ${reason}` : ''}`;
  }

  private logType(r: Rec, reason?: string): void {
    this.out(`${this.typeLine(r, reason)}\n`);
  }

  private failType(r: Rec, reason: string, errno: number = Errno.EINVAL): never {
    return this.fail(errno, this.typeLine(r, reason));
  }

  /** `[id] KIND name reason` (no details: the record may be short). */
  private failBasic(r: Rec, reason: string): never {
    return this.fail(Errno.EINVAL, `[${this.logId}] ${KIND_STR[r.kind]} ${this.name(r.nameOff)} ${reason}`);
  }

  /** A member's log line; `typeId` replaces its type when Linux logs the type a modifier resolves to. */
  private memberLine(r: Rec, i: number, reason?: string, typeId?: number): string {
    const name = this.name(this.word(r, 3 * i));
    const type = typeId ?? this.word(r, 3 * i + 1);
    const off = this.word(r, 3 * i + 2);
    const s = r.kflag
      ? `\t${name} type_id=${type} bitfield_size=${off >>> 24} bits_offset=${off & 0xffffff}`
      : `\t${name} type_id=${type} bits_offset=${off}`;
    return reason ? `${s} ${reason}` : s;
  }

  private failMember(r: Rec, i: number, reason: string, typeId?: number): never {
    if (this.phase !== 'meta') this.logType(r);
    return this.fail(Errno.EINVAL, this.memberLine(r, i, reason, typeId));
  }

  private vsiLine(r: Rec, i: number, reason?: string): string {
    const s = `\t type_id=${this.word(r, 3 * i)} offset=${this.word(r, 3 * i + 1)} size=${this.word(r, 3 * i + 2)}`;
    return reason ? `${s} ${reason}` : s;
  }

  private failVsi(r: Rec, i: number, reason: string): never {
    if (this.phase !== 'meta') this.logType(r);
    return this.fail(Errno.EINVAL, this.vsiLine(r, i, reason));
  }

  // --- pass 1: each record on its own ---------------------------------------------------------

  private typeSection(): void {
    if (this.typeOff & 3) this.failRaw(Errno.EINVAL, 'Unaligned type_off');
    if (this.typeLen === 0) this.failRaw(Errno.EINVAL, 'No type found');
    const start = this.hdrLen + this.typeOff;
    const nw = Math.floor(this.typeLen / 4);
    this.w = new Uint32Array(nw);
    for (let i = 0; i < nw; i++) this.w[i] = this.dv.getUint32(start + 4 * i, true);
    // Byte-exact walk: meta_left counts bytes, so a trailing partial word is "meta_left".
    let cur = 0;
    const end = this.typeLen;
    this.logId = 1;
    while (cur < end) {
      cur += this.meta(cur, end - cur);
      this.logId++;
    }
    this.resolveAll();
  }

  /** Checks the record at byte `cur` (`left` bytes remain); returns its size in bytes. */
  private meta(cur: number, left: number): number {
    if (left < 12) this.failRaw(Errno.EINVAL, `[${this.logId}] meta_left:${left} meta_needed:12`);
    const at = cur / 4;
    const info = this.w[at + 1]!;
    const r: Rec = {
      at,
      nameOff: this.w[at]!,
      info,
      kind: (info >>> 24) & 0x1f,
      vlen: info & 0xffff,
      kflag: info >>> 31 === 1,
      st: this.w[at + 2]!,
    };
    left -= 12;
    if (info & ~INFO_MASK)
      this.failRaw(Errno.EINVAL, `[${this.logId}] Invalid btf_info:${info.toString(16)}`);
    if (r.kind > KIND_MAX || r.kind === 0)
      this.failRaw(Errno.EINVAL, `[${this.logId}] Invalid kind:${r.kind}`);
    if (!this.offsetValid(r.nameOff))
      this.failRaw(Errno.EINVAL, `[${this.logId}] Invalid name_offset:${r.nameOff}`);
    const extra = this.kindMeta(r, left);
    this.t.push(r);
    return 12 + extra;
  }

  private needs(r: Rec, left: number, needed: number): void {
    if (left < needed) this.failBasic(r, `meta_left:${left} meta_needed:${needed}`);
  }

  private noVlen(r: Rec): void {
    if (r.vlen !== 0) this.failType(r, 'vlen != 0');
  }

  private noKflag(r: Rec): void {
    if (r.kflag) this.failType(r, 'Invalid btf_info kind_flag');
  }

  private kindMeta(r: Rec, left: number): number {
    switch (r.kind) {
      case K.INT: {
        this.needs(r, left, 4);
        this.noVlen(r);
        this.noKflag(r);
        const d = this.word(r, 0);
        if (d & ~0x0fffffff) this.failBasic(r, `Invalid int_data:${d.toString(16)}`);
        const bits = (d & 0xff) + ((d >>> 16) & 0xff);
        if (bits > 128) this.failType(r, 'nr_bits exceeds 128');
        if (Math.ceil(bits / 8) > r.st) this.failType(r, 'nr_bits exceeds type_size');
        const enc = (d >>> 24) & 0x0f;
        if (enc !== 0 && enc !== 1 && enc !== 2 && enc !== 4)
          this.failType(r, 'Unsupported encoding', Errno.ENOTSUPP);
        this.logType(r);
        return 4;
      }
      case K.PTR:
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
        this.noVlen(r);
        if (r.kflag && r.kind !== K.TYPE_TAG) this.failType(r, 'Invalid btf_info kind_flag');
        if (r.st > MAX_TYPE) this.failType(r, 'Invalid type_id');
        if (r.kind === K.TYPEDEF) {
          if (r.nameOff === 0 || !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
        } else if (r.kind === K.TYPE_TAG) {
          if (r.nameOff === 0 || this.b[this.strBase + r.nameOff] === 0) this.failType(r, 'Invalid name');
        } else if (r.nameOff !== 0) this.failType(r, 'Invalid name');
        this.logType(r);
        return 0;
      case K.ARRAY: {
        this.needs(r, left, 12);
        if (r.nameOff !== 0) this.failType(r, 'Invalid name');
        this.noVlen(r);
        this.noKflag(r);
        if (r.st !== 0) this.failType(r, 'size != 0');
        const elem = this.word(r, 0);
        const index = this.word(r, 1);
        if (elem === 0 || elem > MAX_TYPE) this.failType(r, 'Invalid elem');
        if (index === 0 || index > MAX_TYPE) this.failType(r, 'Invalid index');
        this.logType(r);
        return 12;
      }
      case K.STRUCT:
      case K.UNION:
        return this.structMeta(r, left);
      case K.ENUM:
      case K.ENUM64:
        return this.enumMeta(r, left);
      case K.FWD:
        this.noVlen(r);
        if (r.st !== 0) this.failType(r, 'type != 0');
        if (r.nameOff === 0 || !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
        this.logType(r);
        return 0;
      case K.FUNC:
        if (r.nameOff === 0 || !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
        if (r.vlen > 1) this.failType(r, 'Invalid func linkage');
        this.noKflag(r);
        this.logType(r);
        return 0;
      case K.FUNC_PROTO: {
        const need = r.vlen * 8;
        this.needs(r, left, need);
        if (r.nameOff !== 0) this.failType(r, 'Invalid name');
        this.noKflag(r);
        this.logType(r);
        return need;
      }
      case K.VAR: {
        this.needs(r, left, 4);
        this.noVlen(r);
        this.noKflag(r);
        if (r.nameOff === 0 || !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
        if (r.st === 0 || r.st > MAX_TYPE) this.failType(r, 'Invalid type_id');
        const linkage = this.word(r, 0);
        if (linkage !== 0 && linkage !== 1) this.failType(r, 'Linkage not supported');
        this.logType(r);
        return 4;
      }
      case K.DATASEC:
        return this.datasecMeta(r, left);
      case K.FLOAT:
        this.noVlen(r);
        this.noKflag(r);
        if (![2, 4, 8, 12, 16].includes(r.st)) this.failType(r, 'Invalid type_size');
        this.logType(r);
        return 0;
      case K.DECL_TAG: {
        this.needs(r, left, 4);
        if (r.nameOff === 0 || this.b[this.strBase + r.nameOff] === 0) this.failType(r, 'Invalid value');
        this.noVlen(r);
        if (r.st > MAX_TYPE) this.failType(r, 'Invalid type_id');
        if ((this.word(r, 0) | 0) < -1) this.failType(r, 'Invalid component_idx');
        this.logType(r);
        return 4;
      }
      default:
        return 0;
    }
  }

  private structMeta(r: Rec, left: number): number {
    const need = r.vlen * 12;
    this.needs(r, left, need);
    if (r.nameOff !== 0 && !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
    this.logType(r);
    let last = 0;
    for (let i = 0; i < r.vlen; i++) {
      const nameOff = this.word(r, 3 * i);
      const type = this.word(r, 3 * i + 1);
      const raw = this.word(r, 3 * i + 2);
      if (!this.offsetValid(nameOff)) this.failMember(r, i, `Invalid member name_offset:${nameOff}`);
      if (nameOff !== 0 && !this.nameValid(nameOff)) this.failMember(r, i, 'Invalid name');
      if (type === 0 || type > MAX_TYPE) this.failMember(r, i, 'Invalid type_id');
      const off = r.kflag ? raw & 0xffffff : raw;
      if (r.kind === K.UNION && off !== 0) this.failMember(r, i, 'Invalid member bits_offset');
      if (last > off) this.failMember(r, i, 'Invalid member bits_offset');
      if (Math.ceil(off / 8) > r.st) this.failMember(r, i, 'Member bits_offset exceeds its struct size');
      this.out(`${this.memberLine(r, i)}\n`);
      last = off;
    }
    return need;
  }

  private enumMeta(r: Rec, left: number): number {
    const is64 = r.kind === K.ENUM64;
    const per = is64 ? 12 : 8;
    const need = r.vlen * per;
    this.needs(r, left, need);
    if (r.st > 8 || r.st === 0 || (r.st & (r.st - 1)) !== 0) this.failType(r, 'Unexpected size');
    if (r.nameOff !== 0 && !this.nameValid(r.nameOff)) this.failType(r, 'Invalid name');
    this.logType(r);
    for (let i = 0; i < r.vlen; i++) {
      const nameOff = this.word(r, (per / 4) * i);
      if (!this.offsetValid(nameOff)) this.failRaw(Errno.EINVAL, `\tInvalid name_offset:${nameOff}`);
      if (nameOff === 0 || !this.nameValid(nameOff)) this.failType(r, 'Invalid name');
      const lo = this.word(r, (per / 4) * i + 1);
      let v: string;
      if (is64) {
        const u = (BigInt(this.word(r, 3 * i + 2)) << 32n) | BigInt(lo);
        v = (r.kflag ? BigInt.asIntN(64, u) : u).toString();
      } else v = String(r.kflag ? lo | 0 : lo);
      this.out(`\t${this.name(nameOff)} val=${v}\n`);
    }
    return need;
  }

  private datasecMeta(r: Rec, left: number): number {
    const need = r.vlen * 12;
    this.needs(r, left, need);
    // Linux 6.18 accepts an empty DATASEC.
    if (r.st === 0) this.failType(r, 'size == 0');
    this.noKflag(r);
    if (r.nameOff === 0 || !this.nameValid(r.nameOff, true)) this.failType(r, 'Invalid name');
    this.logType(r);
    let lastEnd = 0;
    let sum = 0;
    for (let i = 0; i < r.vlen; i++) {
      const type = this.word(r, 3 * i);
      const off = this.word(r, 3 * i + 1);
      const size = this.word(r, 3 * i + 2);
      if (type === 0 || type > MAX_TYPE) this.failVsi(r, i, 'Invalid type_id');
      if (off < lastEnd || off >= r.st) this.failVsi(r, i, 'Invalid offset');
      if (size === 0 || size > r.st) this.failVsi(r, i, 'Invalid size');
      lastEnd = off + size;
      if (lastEnd > r.st) this.failVsi(r, i, 'Invalid offset+size');
      this.out(`${this.vsiLine(r, i)}\n`);
      sum += size;
    }
    if (r.st < sum) this.failType(r, 'Invalid btf_info size');
    return need;
  }

  // --- pass 2: references -----------------------------------------------------------------------

  private byId(id: number): Rec | undefined {
    return id < this.t.length ? this.t[id] : undefined;
  }

  private isModifier(r: Rec | undefined): boolean {
    const k = r?.kind;
    return k === K.TYPEDEF || k === K.VOLATILE || k === K.CONST || k === K.RESTRICT || k === K.TYPE_TAG;
  }

  private isStruct(r: Rec | undefined): boolean {
    return r?.kind === K.STRUCT || r?.kind === K.UNION;
  }

  private needsResolve(r: Rec | undefined): boolean {
    if (r === undefined) return false;
    const k = r.kind;
    return (
      this.isModifier(r) ||
      k === K.PTR ||
      this.isStruct(r) ||
      k === K.ARRAY ||
      k === K.VAR ||
      k === K.DATASEC ||
      k === K.DECL_TAG
    );
  }

  /** void, FWD, FUNC, FUNC_PROTO and DECL_TAG have no size. */
  private noSize(r: Rec | undefined): boolean {
    if (r === undefined) return true;
    const k = r.kind;
    return k === K.FWD || k === K.FUNC || k === K.FUNC_PROTO || k === K.DECL_TAG;
  }

  private sourceOnly(r: Rec | undefined): boolean {
    return r?.kind === K.VAR || r?.kind === K.DATASEC;
  }

  private hasSize(r: Rec): boolean {
    const k = r.kind;
    return (
      k === K.INT ||
      k === K.STRUCT ||
      k === K.UNION ||
      k === K.ENUM ||
      k === K.ENUM64 ||
      k === K.DATASEC ||
      k === K.FLOAT
    );
  }

  /** Linux's btf_type_id_size: the sized type `id` stands for, or undefined (void, FWD, ...). */
  private idSize(id: number): { id: number; size: number } | undefined {
    const r = this.byId(id);
    if (r === undefined || id === 0 || this.noSize(r)) return undefined;
    if (this.hasSize(r)) return { id, size: r.st };
    if (r.kind === K.ARRAY) return { id, size: this.resolvedSize[id]! };
    if (r.kind === K.PTR) return { id, size: PTR_SIZE };
    if (!this.isModifier(r) && r.kind !== K.VAR) return undefined;
    const rid = this.resolvedId[id]!;
    const rr = this.byId(rid);
    if (rr === undefined || rid === 0 || this.noSize(rr)) return undefined;
    if (this.hasSize(rr)) return { id: rid, size: rr.st };
    if (rr.kind === K.ARRAY) return { id: rid, size: this.resolvedSize[rid]! };
    if (rr.kind === K.PTR) return { id: rid, size: PTR_SIZE };
    return undefined;
  }

  /** A regular int: whole bytes (1, 2, 4, 8, 16), no bit offset. */
  private intRegular(r: Rec): boolean {
    const d = this.word(r, 0);
    const bits = d & 0xff;
    const bytes = Math.ceil(bits / 8);
    return (bits & 7) === 0 && ((d >>> 16) & 0xff) === 0 && [1, 2, 4, 8, 16].includes(bytes);
  }

  /** In the current mode, `r` ends a reference chain (it is not followed). */
  private isSink(r: Rec | undefined): boolean {
    switch (this.mode) {
      case 'tbd':
        return !this.needsResolve(r);
      case 'ptr':
        return !this.isModifier(r) && r?.kind !== K.PTR;
      default:
        return !this.isModifier(r) && r?.kind !== K.ARRAY && !this.isStruct(r);
    }
  }

  private resolved(id: number): boolean {
    return id === 0 || this.state[id] === 2;
  }

  private resolveAll(): void {
    const n = this.t.length;
    this.state = new Uint8Array(n);
    this.resolvedId = new Uint32Array(n);
    this.resolvedSize = new Float64Array(n);
    this.phase = 'types';
    for (let id = 1; id < n; id++) {
      const r = this.t[id]!;
      this.logId = id;
      if (this.needsResolve(r) && !this.resolved(id)) this.resolveTop(r, id);
      if (r.kind === K.FUNC_PROTO) this.funcProtoCheck(r);
      if (r.kind === K.FUNC) this.funcCheck(r);
    }
  }

  /** Resolves `id` and what it needs (one btf_resolve). */
  private resolveTop(r: Rec, id: number): void {
    const saved = this.logId;
    this.mode = 'tbd';
    this.depth = 0;
    try {
      this.push(r, id);
    } catch (e) {
      if (e instanceof Loop) {
        this.logId = id;
        if (e.errno === Errno.E2BIG)
          this.failType(r, `Exceeded max resolving depth:${MAX_RESOLVE_DEPTH}`, Errno.E2BIG);
        this.failType(r, 'Loop detected', Errno.EEXIST);
      }
      throw e;
    }
    this.logId = saved;
  }

  /** Pushes `id` on the resolve stack and resolves it (its log lines carry its id). */
  private push(r: Rec, id: number): void {
    if (this.depth >= MAX_RESOLVE_DEPTH) throw new Loop(Errno.E2BIG);
    if (this.state[id] === 1) throw new Loop(Errno.EEXIST);
    if (this.mode === 'tbd') {
      if (r.kind === K.PTR) this.mode = 'ptr';
      else if (this.isStruct(r) || r.kind === K.ARRAY) this.mode = 'struct';
    }
    this.state[id] = 1;
    this.depth++;
    const outer = this.logId;
    this.logId = id;
    this.resolveOne(r, id);
    this.logId = outer;
    this.depth--;
    this.state[id] = 2;
  }

  /** Follows `next` when the mode does not stop there and it is not resolved yet. */
  private follow(next: Rec | undefined, nextId: number): void {
    if (next !== undefined && !this.isSink(next) && !this.resolved(nextId)) this.push(next, nextId);
  }

  private resolveOne(r: Rec, id: number): void {
    switch (r.kind) {
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
      case K.PTR:
      case K.VAR: {
        const nextId = r.st;
        const next = nextId === 0 ? VOID : this.byId(nextId);
        if (next === undefined || this.sourceOnly(next)) this.failType(r, 'Invalid type_id');
        this.follow(next === VOID ? undefined : next, nextId);
        if ((r.kind === K.PTR || r.kind === K.VAR) && this.isModifier(next)) {
          const rid = this.resolvedId[nextId]!;
          const rr = this.byId(rid);
          if (rr?.kind === K.PTR && !this.isSink(rr) && !this.resolved(rid)) this.push(rr, rid);
        }
        const sized = this.idSize(nextId);
        if (sized === undefined) {
          if (r.kind === K.VAR) this.failType(r, 'Invalid type_id');
          let target: Rec | undefined = next;
          let tid = nextId;
          if (this.isModifier(next) && this.resolved(nextId)) {
            tid = this.resolvedId[nextId]!;
            target = tid === 0 ? VOID : this.byId(tid);
          }
          if (target !== VOID && target?.kind !== K.FWD && target?.kind !== K.FUNC_PROTO)
            this.failType(r, 'Invalid type_id');
          this.resolvedId[id] = tid;
        } else this.resolvedId[id] = sized.id;
        return;
      }
      case K.ARRAY:
        this.resolveArray(r, id);
        return;
      case K.STRUCT:
      case K.UNION:
        this.resolveStruct(r);
        return;
      case K.DATASEC:
        this.resolveDatasec(r);
        return;
      case K.DECL_TAG:
        this.resolveDeclTag(r);
        return;
      default:
        return;
    }
  }

  private resolveArray(r: Rec, id: number): void {
    const elemId = this.word(r, 0);
    const indexId = this.word(r, 1);
    const index = this.byId(indexId);
    if (indexId === 0 || this.noSize(index) || this.sourceOnly(index)) this.failType(r, 'Invalid index');
    this.follow(index, indexId);
    const is = this.idSize(indexId);
    const ir = is === undefined ? undefined : this.byId(is.id);
    if (ir === undefined || ir.kind !== K.INT || !this.intRegular(ir)) this.failType(r, 'Invalid index');
    const elem = this.byId(elemId);
    if (elemId === 0 || this.noSize(elem) || this.sourceOnly(elem)) this.failType(r, 'Invalid elem');
    this.follow(elem, elemId);
    const es = this.idSize(elemId);
    if (es === undefined) this.failType(r, 'Invalid elem');
    const er = this.byId(es.id)!;
    if (er.kind === K.INT && !this.intRegular(er)) this.failType(r, 'Invalid array of int');
    const n = this.word(r, 2);
    if (n !== 0 && es.size > Math.floor(0xffffffff / n)) this.failType(r, 'Array size overflows U32_MAX');
    this.resolvedId[id] = es.id;
    this.resolvedSize[id] = es.size * n;
  }

  private resolveStruct(r: Rec): void {
    for (let i = 0; i < r.vlen; i++) {
      const mid = this.word(r, 3 * i + 1);
      const m = this.byId(mid);
      if (mid === 0 || this.noSize(m) || this.sourceOnly(m)) this.failMember(r, i, 'Invalid member');
      this.follow(m, mid);
      this.checkMember(r, i, m!, mid);
    }
  }

  /** The member checks of Linux (`check_member`/`check_kflag_member` of the member's kind). */
  private checkMember(s: Rec, i: number, m: Rec, mid: number): void {
    const raw = this.word(s, 3 * i + 2);
    let type = m;
    let tid = mid;
    if (this.isModifier(m)) {
      const sized = this.idSize(mid);
      if (sized === undefined) this.failMember(s, i, 'Invalid member');
      tid = sized.id;
      type = this.byId(tid)!;
    }
    const size = s.st;
    const bitsOff = s.kflag ? raw & 0xffffff : raw;
    const bitfield = s.kflag ? raw >>> 24 : 0;
    const aligned = () => {
      if (bitsOff & 7) this.failMember(s, i, 'Member is not byte aligned', tid);
    };
    const generic = () => {
      if (bitfield !== 0) this.failMember(s, i, 'Invalid member bitfield_size', tid);
    };
    const fits = (n: number) => {
      if (size - Math.floor(bitsOff / 8) < n) this.failMember(s, i, 'Member exceeds struct_size', tid);
    };
    switch (type.kind) {
      case K.INT: {
        const d = this.word(type, 0);
        const intBits = d & 0xff;
        if (!s.kflag) {
          if (0xffffffff - raw < ((d >>> 16) & 0xff))
            this.failMember(s, i, 'bits_offset exceeds U32_MAX', tid);
          const off = raw + ((d >>> 16) & 0xff);
          const copy = intBits + (off & 7);
          if (copy > 128) this.failMember(s, i, 'nr_copy_bits exceeds 128', tid);
          const bytes = Math.floor(off / 8);
          if (size < bytes || size - bytes < Math.ceil(copy / 8))
            this.failMember(s, i, 'Member exceeds struct_size', tid);
          return;
        }
        if (!this.intRegular(type)) this.failMember(s, i, 'Invalid member base type', tid);
        let nr = bitfield;
        if (nr === 0) {
          if (bitsOff & 7) this.failMember(s, i, 'Invalid member offset', tid);
          nr = intBits;
        } else if (nr > intBits) this.failMember(s, i, 'Invalid member bitfield_size', tid);
        const bytes = Math.floor(bitsOff / 8);
        const copy = nr + (bitsOff & 7);
        if (copy > 128) this.failMember(s, i, 'nr_copy_bits exceeds 128', tid);
        if (size < bytes || size - bytes < Math.ceil(copy / 8))
          this.failMember(s, i, 'Member exceeds struct_size', tid);
        return;
      }
      case K.ENUM:
      case K.ENUM64: {
        if (!s.kflag) {
          aligned();
          fits(type.st);
          return;
        }
        const intBits = type.st * 8;
        let nr = bitfield;
        if (nr === 0) {
          aligned();
          nr = intBits;
        } else if (nr > intBits) this.failMember(s, i, 'Invalid member bitfield_size', tid);
        if (size < Math.ceil((bitsOff + nr) / 8)) this.failMember(s, i, 'Member exceeds struct_size', tid);
        return;
      }
      case K.PTR:
        generic();
        aligned();
        fits(PTR_SIZE);
        return;
      case K.ARRAY:
        generic();
        aligned();
        fits(this.idSize(mid)?.size ?? 0);
        return;
      case K.STRUCT:
      case K.UNION:
        generic();
        aligned();
        fits(type.st);
        return;
      case K.FLOAT: {
        generic();
        const align = Math.min(type.st, PTR_SIZE) * 8;
        if (bitsOff % align !== 0) this.failMember(s, i, 'Member is not properly aligned', tid);
        if (Math.floor(bitsOff / 8) + type.st > size)
          this.failMember(s, i, 'Member exceeds struct_size', tid);
        return;
      }
      default:
        this.failMember(s, i, 'Invalid member', tid);
    }
  }

  private resolveDatasec(r: Rec): void {
    for (let i = 0; i < r.vlen; i++) {
      const vid = this.word(r, 3 * i);
      const v = this.byId(vid);
      if (v === undefined || v.kind !== K.VAR) this.failVsi(r, i, 'Not a VAR kind member');
      if (!this.resolved(vid)) this.push(v, vid);
      const sized = this.idSize(v.st);
      if (sized === undefined) this.failVsi(r, i, 'Invalid type');
      if (this.word(r, 3 * i + 2) < sized.size) this.failVsi(r, i, 'Invalid size');
    }
  }

  private resolveDeclTag(r: Rec): void {
    const target = this.byId(r.st);
    const k = target?.kind;
    if (
      r.st === 0 ||
      target === undefined ||
      (k !== K.FUNC && k !== K.STRUCT && k !== K.UNION && k !== K.VAR && k !== K.TYPEDEF)
    )
      this.failType(r, 'Invalid type_id');
    this.follow(target, r.st);
    const idx = this.word(r, 0) | 0;
    if (idx === -1) return;
    if (k !== K.STRUCT && k !== K.UNION && k !== K.FUNC) this.failType(r, 'Invalid component_idx');
    let vlen = target.vlen;
    if (k === K.FUNC) vlen = this.byId(target.st)?.vlen ?? 0;
    if (idx >= vlen) this.failType(r, 'Invalid component_idx');
  }

  private funcProtoCheck(r: Rec): void {
    if (r.st !== 0) {
      const ret = this.byId(r.st);
      if (ret === undefined || this.sourceOnly(ret)) this.failType(r, 'Invalid return type');
      if (this.needsResolve(ret) && !this.resolved(r.st)) this.resolveTop(ret, r.st);
      const sized = this.idSize(r.st);
      if (sized === undefined) {
        // `void` behind modifiers is a valid return type in 6.x; anything else without a size is not.
        const rid = this.isModifier(ret) ? this.resolvedId[r.st]! : r.st;
        if (rid !== 0) this.failType(r, 'Invalid return type');
      }
    }
    let n = r.vlen;
    if (n === 0) return;
    if (this.word(r, 2 * (n - 1) + 1) === 0) {
      if (this.word(r, 2 * (n - 1)) !== 0) this.failType(r, `Invalid arg#${n}`);
      n--;
    }
    for (let i = 0; i < n; i++) {
      const aid = this.word(r, 2 * i + 1);
      const nameOff = this.word(r, 2 * i);
      const arg = aid === 0 ? undefined : this.byId(aid);
      if (arg === undefined || this.sourceOnly(arg)) this.failType(r, `Invalid arg#${i + 1}`);
      if (nameOff !== 0 && (!this.offsetValid(nameOff) || !this.nameValid(nameOff)))
        this.failType(r, `Invalid arg#${i + 1}`);
      if (this.needsResolve(arg) && !this.resolved(aid)) this.resolveTop(arg, aid);
      if (this.idSize(aid) === undefined) this.failType(r, `Invalid arg#${i + 1}`);
    }
  }

  private funcCheck(r: Rec): void {
    const proto = r.st === 0 ? undefined : this.byId(r.st);
    if (proto === undefined || proto.kind !== K.FUNC_PROTO) this.failType(r, 'Invalid type_id');
    for (let i = 0; i < proto.vlen; i++) {
      if (this.word(proto, 2 * i) === 0 && this.word(proto, 2 * i + 1) !== 0)
        this.failType(r, `Invalid arg#${i + 1}`);
    }
  }
}

/** A resolve loop or a chain deeper than Linux follows (reported on the type resolution began at). */
class Loop {
  constructor(readonly errno: number) {}
}

/** The void type (id 0) as a record, so "points to void" differs from "points nowhere". */
const VOID: Rec = { at: -1, nameOff: 0, info: 0, kind: 0, vlen: 0, kflag: false, st: 0 };

/** Linux's isalpha (Latin-1 ctype: ASCII letters and 0xc0-0xff but 0xd7 and 0xf7). */
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

/** Linux's isprint (Latin-1 ctype: 0x20-0x7e and 0xa0-0xff). */
function isPrint(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || c >= 0xa0;
}
