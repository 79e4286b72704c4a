/**
 * A C header from BTF, like `bpftool btf dump file F format c`: every named struct, union, enum
 * and typedef, in an order a C compiler accepts (a type is defined before it is used by value;
 * types used only through pointers are forward-declared), with anonymous types inlined,
 * bitfields, explicit padding and `__attribute__((packed))` where the offsets need them,
 * function pointers, arrays of pointers, and duplicate names renamed `name___2`.
 *
 * For vmlinux the struct and union bodies equal bpftool 7.1's: the same `long: 64;`-style padding
 * (bounded here: a gap over 8 KiB, or any gap after a million padding lines, is one byte array).
 * Differences, each so that clang's layout matches the BTF: enums narrower than 4 bytes get
 * `__attribute__((packed))`; a union longer than its largest member gets an anonymous struct of
 * padding bitfields; a struct whose bitfield straddles its storage unit is packed. Like bpftool,
 * no `__attribute__((aligned(N)))` (BTF does not record alignment) and no DECL_TAG attributes.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import type { Btf } from './btf.js';
import { BTF_KIND } from './kinds.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfFuncProto, BtfInt, BtfType } from './types.js';

const K = BTF_KIND;

/** Options for {@link dumpC}. */
export interface CDumpOptions {
  /** Include guard macro (default `__VMLINUX_H__`); `null` for none. */
  guard?: string | null;
  /** Wrap the types in `#pragma clang attribute push(preserve_access_index)` as bpftool does (default true). */
  preserveAccessIndex?: boolean;
  /** Emit TYPE_TAGs as `__attribute__((btf_type_tag("x")))` (default true). */
  typeTags?: boolean;
  /** Maximum nesting of type references before reporting a FormatError (default 2000). */
  maxDepth?: number;
}

const DECLARED = 1;
/** Gaps longer than this (bits: 8 KiB) are padded with one byte array instead of `long: 64;` lines. */
const PAD_ARRAY_BITS = 8 * 8192;
/** Padding lines a dump writes before it pads every further gap with one byte array. */
const MAX_PAD_LINES = 1 << 20;
/** Unnamed bitfield types for padding, widest first, with their widths (BPF: long is 64 bits). */
const PAD_TYPES: ReadonlyArray<readonly [string, number]> = [
  ['long', 64],
  ['int', 32],
  ['short', 16],
  ['char', 8],
];
/** Most characters of C the dump builds before giving up (exponential anonymous nesting). */
const MAX_OUTPUT = 1 << 27;
const DEFINING = 2;
const DEFINED = 4;

/** A declarator that starts with a type qualifier. */
const QUALIFIER_START = /^(const|volatile|restrict)\b/;

/** Names the C compiler predefines: typedefs with these names are not emitted. */
const BUILTIN_TYPEDEFS = new Set(['__builtin_va_list']);

class CDumper {
  private readonly kinds: Uint8Array;
  private readonly cache: (BtfType | undefined)[];
  private readonly state: Uint8Array;
  private readonly visitingAnon: Uint8Array;
  private readonly tagNames: (string | undefined)[];
  private readonly identNames: (string | undefined)[];
  private readonly enumValueNames = new Map<number, string[]>();
  private readonly declaredTags = new Set<string>();
  private readonly out: string[] = [];
  private readonly maxDepth: number;
  private readonly typeTags: boolean;
  private readonly section: string;

  constructor(
    private readonly btf: Btf,
    opts: CDumpOptions,
  ) {
    const n = btf.typeCount;
    this.kinds = new Uint8Array(n);
    for (let id = 1; id < n; id++) this.kinds[id] = btf.kindOf(id);
    this.cache = new Array(n);
    this.state = new Uint8Array(n);
    this.visitingAnon = new Uint8Array(n);
    this.tagNames = new Array(n);
    this.identNames = new Array(n);
    this.maxDepth = opts.maxDepth ?? 2000;
    this.typeTags = opts.typeTags ?? true;
    this.section = btf.section;
    this.assignNames();
  }

  private t(id: number): BtfType {
    let t = this.cache[id];
    if (!t) {
      t = this.btf.type(id);
      this.cache[id] = t;
    }
    return t;
  }

  private where(id: number): string {
    return `${this.section}/types[${id}]`;
  }

  /** Gives every named tag, typedef and enumerator a unique C name (`x___2` for the second `x`). */
  private assignNames(): void {
    const tags = new Map<string, number>();
    const idents = new Map<string, number>();
    const uniq = (m: Map<string, number>, name: string): string => {
      const c = m.get(name) ?? 0;
      m.set(name, c + 1);
      return c === 0 ? name : `${name}___${c + 1}`;
    };
    const n = this.btf.typeCount;
    const firstComposite = new Map<string, number>();
    const fwds: number[] = [];
    for (let id = 1; id < n; id++) {
      const k = this.kinds[id]!;
      if (k === K.ENUM || k === K.ENUM64) {
        const t = this.t(id) as BtfEnum | BtfEnum64;
        this.enumValueNames.set(
          id,
          t.values.map((v) => uniq(idents, v.name)),
        );
      }
      if (k === K.STRUCT || k === K.UNION || k === K.ENUM || k === K.ENUM64) {
        const name = this.btf.nameOf(id);
        if (name === '') continue;
        this.tagNames[id] = uniq(tags, name);
        if ((k === K.STRUCT || k === K.UNION) && !firstComposite.has(`${k}:${name}`))
          firstComposite.set(`${k}:${name}`, id);
      } else if (k === K.FWD) {
        fwds.push(id);
      } else if (k === K.TYPEDEF) {
        const name = this.btf.nameOf(id);
        this.identNames[id] = BUILTIN_TYPEDEFS.has(name) ? name : uniq(idents, name);
      }
    }
    for (const id of fwds) {
      const t = this.t(id);
      if (t.kind !== 'FWD') continue;
      const match = firstComposite.get(`${t.fwdKind === 'union' ? K.UNION : K.STRUCT}:${t.name}`);
      this.tagNames[id] = match !== undefined ? this.tagNames[match] : uniq(tags, t.name);
    }
  }

  private keyword(id: number): string {
    const k = this.kinds[id]!;
    if (k === K.UNION) return 'union';
    if (k === K.ENUM || k === K.ENUM64) return 'enum';
    if (k === K.FWD) return (this.t(id) as { fwdKind: string }).fwdKind;
    return 'struct';
  }

  /** Makes sure everything `id` needs is emitted; `complete`: used by value, so must be defined. */
  private need(id: number, complete: boolean, depth: number): void {
    if (depth > this.maxDepth) throw new FormatError(this.where(id), 'types nested too deep for a C dump');
    const k = this.kinds[id]!;
    switch (k) {
      case 0:
      case K.INT:
      case K.FLOAT:
        return;
      case K.PTR:
        this.need((this.t(id) as { type: number }).type, false, depth + 1);
        return;
      case K.ARRAY:
        this.need((this.t(id) as { type: number }).type, true, depth + 1);
        return;
      case K.CONST:
      case K.VOLATILE:
      case K.RESTRICT:
      case K.TYPE_TAG:
        this.need((this.t(id) as { type: number }).type, complete, depth + 1);
        return;
      case K.TYPEDEF:
        this.defineTypedef(id, depth);
        if (complete) this.need((this.t(id) as { type: number }).type, true, depth + 1);
        return;
      case K.STRUCT:
      case K.UNION: {
        if (this.tagNames[id] === undefined) {
          // anonymous: inlined where used, so its members must be ready
          if (this.visitingAnon[id]) {
            if (complete) throw new FormatError(this.where(id), 'anonymous type contains itself');
            return;
          }
          this.visitingAnon[id] = 1;
          for (const m of (this.t(id) as BtfComposite).members) this.need(m.type, true, depth + 1);
          this.visitingAnon[id] = 0;
          return;
        }
        if (complete) {
          const s = this.state[id]!;
          if (s & DEFINED) return;
          if (s & DEFINING) throw new FormatError(this.where(id), 'type contains itself by value');
          this.defineComposite(id, depth);
        } else {
          this.declare(id);
        }
        return;
      }
      case K.ENUM:
      case K.ENUM64:
        if (this.tagNames[id] !== undefined && !(this.state[id]! & DEFINED)) {
          this.state[id] = DEFINED;
          this.emit(`${this.enumBody(id, 0)};`);
        }
        return;
      case K.FWD:
        this.declare(id);
        return;
      case K.FUNC_PROTO: {
        const fp = this.t(id) as BtfFuncProto;
        this.need(fp.returnType, false, depth + 1);
        for (const p of fp.params) this.need(p.type, false, depth + 1);
        return;
      }
      default:
        // FUNC, VAR, DATASEC, DECL_TAG are not C types: nothing to emit
        return;
    }
  }

  private declare(id: number): void {
    const key = `${this.keyword(id)} ${this.tagNames[id]}`;
    if (this.declaredTags.has(key)) return;
    this.declaredTags.add(key);
    this.emit(`${key};`);
  }

  private defineTypedef(id: number, depth: number): void {
    const s = this.state[id]!;
    if (s & DEFINED) return;
    if (s & DEFINING) throw new FormatError(this.where(id), 'typedef refers to itself');
    this.state[id] = DEFINING;
    const target = (this.t(id) as { type: number }).type;
    this.need(target, false, depth + 1);
    this.state[id] = DEFINED;
    const name = this.identNames[id]!;
    if (BUILTIN_TYPEDEFS.has(name)) return;
    this.emit(`typedef ${this.decl(target, name, 0, '', '', 0)};`);
  }

  private defineComposite(id: number, depth: number): void {
    this.state[id] |= DEFINING;
    for (const m of (this.t(id) as BtfComposite).members) this.need(m.type, true, depth + 1);
    this.state[id] = DEFINED | DECLARED;
    this.declaredTags.add(`${this.keyword(id)} ${this.tagNames[id]}`);
    this.emit(`${this.compositeBody(id, 0)};`);
  }

  private emit(s: string): void {
    this.out.push(s);
  }

  private budget = 0;

  /** Counts characters built; reports BTF whose inlined anonymous types blow up the output. */
  private spend(n: number, id: number): void {
    this.budget += n;
    if (this.budget > MAX_OUTPUT)
      throw new FormatError(
        this.where(id),
        `C dump larger than ${MAX_OUTPUT} characters (anonymous types nested too much)`,
      );
  }

  /** The C declaration of a value of type `id` named `s` (`s` may be empty). */
  private decl(id: number, s: string, indent: number, pre: string, post: string, depth: number): string {
    if (depth > this.maxDepth) throw new FormatError(this.where(id), 'type chain too deep for a C dump');
    const k = this.kinds[id]!;
    const named = (base: string) => {
      const head = `${pre}${base}${post}`;
      return s === '' ? head : `${head} ${s}`;
    };
    switch (k) {
      case 0:
        return named('void');
      case K.INT:
      case K.FLOAT:
        return named(this.t(id).name);
      case K.TYPEDEF:
        return named(this.identNames[id]!);
      case K.STRUCT:
      case K.UNION:
        return named(
          this.tagNames[id] !== undefined
            ? `${this.keyword(id)} ${this.tagNames[id]}`
            : this.compositeBody(id, indent, depth + 1),
        );
      case K.ENUM:
      case K.ENUM64:
        return named(
          this.tagNames[id] !== undefined ? `enum ${this.tagNames[id]}` : this.enumBody(id, indent),
        );
      case K.FWD:
        return named(`${this.keyword(id)} ${this.tagNames[id]}`);
      case K.CONST:
      case K.VOLATILE:
      case K.RESTRICT: {
        const q = k === K.CONST ? 'const' : k === K.VOLATILE ? 'volatile' : 'restrict';
        const target = (this.t(id) as { type: number }).type;
        if (this.kinds[this.skipTags(target)] === K.PTR) {
          if (s === q || s.startsWith(`${q} `)) return this.decl(target, s, indent, pre, post, depth + 1);
          return this.decl(target, s === '' ? q : `${q} ${s}`, indent, pre, post, depth + 1);
        }
        if (pre.split(' ').includes(q)) return this.decl(target, s, indent, pre, post, depth + 1);
        return this.decl(target, s, indent, `${pre}${q} `, post, depth + 1);
      }
      case K.TYPE_TAG: {
        const tt = this.t(id) as { type: number; name: string; attribute: boolean };
        if (!this.typeTags) return this.decl(tt.type, s, indent, pre, post, depth + 1);
        const attr = tt.attribute
          ? `__attribute__((${tt.name}))`
          : `__attribute__((btf_type_tag(${JSON.stringify(tt.name)})))`;
        if (this.kinds[this.skipTags(tt.type)] === K.PTR)
          return this.decl(tt.type, s === '' ? attr : `${attr} ${s}`, indent, pre, post, depth + 1);
        return this.decl(tt.type, s, indent, pre, `${post} ${attr}`, depth + 1);
      }
      case K.PTR: {
        const target = (this.t(id) as { type: number }).type;
        // bpftool's spacing: `* const p`, `* (*fn)(...)` for a function returning a pointer
        const sep = s.startsWith('(') || QUALIFIER_START.test(s) ? ' ' : '';
        let inner = `*${pre}${sep}${s}`;
        const tk = this.kinds[this.skipMods(target)];
        if (tk === K.ARRAY || tk === K.FUNC_PROTO) inner = `(${inner})`;
        return this.decl(target, inner, indent, '', post, depth + 1);
      }
      case K.ARRAY: {
        const a = this.t(id) as { type: number; nelems: number };
        return this.decl(a.type, `${s}[${a.nelems}]`, indent, pre, post, depth + 1);
      }
      case K.FUNC_PROTO: {
        const fp = this.t(id) as BtfFuncProto;
        const params: string[] = [];
        fp.params.forEach((p, i) => {
          if (i === fp.params.length - 1 && p.type === 0 && p.name === '') params.push('...');
          else params.push(this.decl(p.type, '', indent, '', '', depth + 1));
        });
        if (params.length === 0) params.push('void');
        return this.decl(fp.returnType, `${s}(${params.join(', ')})`, indent, '', '', depth + 1);
      }
      default:
        throw new FormatError(this.where(id), `a ${this.t(id).kind} cannot be used as a C type`);
    }
  }

  private skipTags(id: number): number {
    for (let i = 0; i <= this.maxDepth; i++) {
      if (this.kinds[id] !== K.TYPE_TAG) return id;
      id = (this.t(id) as { type: number }).type;
    }
    throw new FormatError(this.where(id), 'reference cycle');
  }

  private skipMods(id: number): number {
    for (let i = 0; i <= this.maxDepth; i++) {
      const k = this.kinds[id];
      if (k !== K.TYPE_TAG && k !== K.CONST && k !== K.VOLATILE && k !== K.RESTRICT) return id;
      id = (this.t(id) as { type: number }).type;
    }
    throw new FormatError(this.where(id), 'reference cycle');
  }

  private enumBody(id: number, indent: number): string {
    const t = this.t(id) as BtfEnum | BtfEnum64;
    const tabs = '\t'.repeat(indent);
    const names = this.enumValueNames.get(id)!;
    const head = this.tagNames[id] !== undefined ? `enum ${this.tagNames[id]} ` : 'enum ';
    if (t.values.length === 0) return `${head}{}`;
    const lines = t.values.map((v, i) => {
      let val: string;
      if (t.kind === 'ENUM64') {
        // like bpftool: every value of a signed ENUM64 with LL, of an unsigned one with ULL
        const x = v.value as bigint;
        val = x < 0n || t.signed ? `${x}LL` : `${x}ULL`;
        if (x === -0x8000000000000000n) val = '(-9223372036854775807LL - 1)';
      } else val = `${v.value}`;
      return `${tabs}\t${names[i]} = ${val},`;
    });
    const packed = t.size < 4 ? ' __attribute__((packed))' : '';
    return `${head}{\n${lines.join('\n')}\n${tabs}}${packed}`;
  }

  /** Width of a bitfield member: kind_flag size, or an INT narrower than its storage (old encoding). */
  private bitfieldOf(t: BtfComposite, type: number, bfs: number): number {
    if (t.kindFlag) return bfs;
    const r = this.btf.resolve(type);
    if (r !== 0 && this.kinds[r] === K.INT) {
      const it = this.t(r) as BtfInt;
      if (it.bits !== it.size * 8) return it.bits;
    }
    return 0;
  }

  private compositeBody(id: number, indent: number, depth = 0): string {
    if (depth > this.maxDepth) throw new FormatError(this.where(id), 'types nested too deep for a C dump');
    const t = this.t(id) as BtfComposite;
    const tabs = '\t'.repeat(indent);
    const kw = t.kind === 'UNION' ? 'union' : 'struct';
    const head = this.tagNames[id] !== undefined ? `${kw} ${this.tagNames[id]} ` : `${kw} `;
    if (this.visitingAnon[id] === 2) throw new FormatError(this.where(id), 'anonymous type contains itself');
    const anon = this.tagNames[id] === undefined;
    if (anon) this.visitingAnon[id] = 2;
    const isStruct = t.kind === 'STRUCT';
    // layout: natural alignment of each member, and whether the offsets need `packed`
    const info = t.members.map((m) => {
      const bits = this.bitfieldOf(t, m.type, m.bitfieldSize);
      const align = this.btf.alignOf(m.type);
      return { m, bits, align };
    });
    let align = 1;
    let packed = false;
    let maxEnd = 0;
    for (const { m, bits, align: a } of info) {
      if (a > align) align = a;
      const unit = a * 8;
      if (bits > 0) {
        if (Math.floor(m.bitOffset / unit) !== Math.floor((m.bitOffset + bits - 1) / unit)) packed = true;
      } else if (m.bitOffset % unit !== 0) packed = true;
      const end = m.bitOffset + (bits > 0 ? bits : this.memberBits(m.type));
      if (end > maxEnd) maxEnd = end;
    }
    if (t.size % align !== 0) packed = true;
    const lines: string[] = [];
    const inner = `${tabs}\t`;
    let cur = 0;
    let prevBitfield = false;
    for (const { m, bits, align: a } of info) {
      if (isStruct) this.pad(lines, inner, cur, m.bitOffset, packed ? 1 : a, prevBitfield && bits > 0);
      const d = this.decl(m.type, m.name, indent + 1, '', '', depth + 1);
      lines.push(`${inner}${d}${bits > 0 ? `: ${bits}` : ''};`);
      if (isStruct) {
        cur = m.bitOffset + (bits > 0 ? bits : this.memberBits(m.type));
        prevBitfield = bits > 0;
      }
    }
    if (isStruct) {
      this.pad(lines, inner, cur, t.size * 8, packed ? 1 : align, false);
    } else if (t.size * 8 > Math.ceil(maxEnd / (align * 8)) * align * 8) {
      // a union larger than its largest member (bpftool leaves it short): an anonymous struct of
      // unnamed bitfields as long as the union; it adds size, not alignment
      const padLines: string[] = [];
      this.pad(padLines, `${inner}\t`, 0, t.size * 8, 1, false);
      lines.push(`${inner}struct {`, ...padLines, `${inner}};`);
    }
    if (anon) this.visitingAnon[id] = 0;
    const attr = packed ? ' __attribute__((packed))' : '';
    if (lines.length === 0) return `${head}{}${attr}`;
    for (const l of lines) this.spend(l.length + 1, id);
    return `${head}{\n${lines.join('\n')}\n${tabs}}${attr}`;
  }

  /** Padding lines written so far; past {@link MAX_PAD_LINES} gaps become byte arrays. */
  private padLines = 0;

  /**
   * Fills the gap from bit `cur` to bit `next` before a member of alignment `nextAlign` (bytes)
   * with unnamed bitfields, the way bpftool does: first up to the boundary of the largest of
   * long/int/short/char that fits in the gap (with a `type: 0;` marker, or `type: N;` after a
   * bitfield, where the compiler would not get there by itself), then whole `long: 64;`-style
   * units, then one smallest type for the rest. A gap longer than {@link PAD_ARRAY_BITS}, or past
   * the dump's budget of padding lines, is one byte array instead, so the output stays bounded.
   */
  private pad(
    lines: string[],
    tabs: string,
    cur: number,
    next: number,
    nextAlign: number,
    inBitfield: boolean,
  ): void {
    if (cur >= next) return;
    if (next - cur > PAD_ARRAY_BITS || this.padLines > MAX_PAD_LINES) {
      if (cur % 8 !== 0) {
        lines.push(`${tabs}char: ${8 - (cur % 8)};`);
        cur += 8 - (cur % 8);
      }
      const n = Math.floor((next - cur) / 8);
      if (n > 0) lines.push(`${tabs}unsigned char __pad_${cur / 8}[${n}];`);
      cur += n * 8;
      if (cur < next) lines.push(`${tabs}char: ${next - cur};`);
      this.padLines += 3;
      return;
    }
    let type = 'char';
    let unit = 8;
    let aligned = 0;
    for (const [t, b] of PAD_TYPES) {
      type = t;
      unit = b;
      aligned = Math.ceil(cur / b) * b;
      if (aligned <= next) break;
    }
    if (aligned > cur && aligned <= next) {
      const alignBits = nextAlign * 8;
      if (
        inBitfield ||
        (aligned === next && Math.ceil(cur / alignBits) * alignBits !== aligned) ||
        (aligned !== next && next - aligned <= aligned - cur)
      ) {
        lines.push(`${tabs}${type}: ${inBitfield ? aligned - cur : 0};`);
        this.padLines++;
      }
      cur = aligned;
    }
    while (cur < next) {
      const bits = Math.min(next - cur, unit);
      let t = type;
      if (bits < unit) for (const [pt, pb] of PAD_TYPES) if (pb >= bits) t = pt;
      lines.push(`${tabs}${t}: ${bits};`);
      this.padLines++;
      cur += bits;
    }
  }

  private memberBits(type: number): number {
    return this.btf.sizeOf(type) * 8;
  }

  /** Anonymous enums nobody refers to: emitted on their own so their constants exist. */
  private unreferencedAnonEnums(): Uint8Array {
    const n = this.btf.typeCount;
    const referenced = new Uint8Array(n);
    for (let id = 1; id < n; id++) {
      const k = this.kinds[id]!;
      switch (k) {
        case K.STRUCT:
        case K.UNION:
          for (const m of (this.t(id) as BtfComposite).members) referenced[m.type] = 1;
          break;
        case K.FUNC_PROTO: {
          const fp = this.t(id) as BtfFuncProto;
          referenced[fp.returnType] = 1;
          for (const p of fp.params) referenced[p.type] = 1;
          break;
        }
        case K.PTR:
        case K.TYPEDEF:
        case K.CONST:
        case K.VOLATILE:
        case K.RESTRICT:
        case K.TYPE_TAG:
        case K.VAR:
        case K.FUNC:
          referenced[this.btf.sizeOrType(id)] = 1;
          break;
        case K.ARRAY:
          referenced[(this.t(id) as { type: number }).type] = 1;
          break;
      }
    }
    return referenced;
  }

  run(opts: CDumpOptions): string {
    const n = this.btf.typeCount;
    const referenced = this.unreferencedAnonEnums();
    for (let id = 1; id < n; id++) {
      const k = this.kinds[id]!;
      switch (k) {
        case K.STRUCT:
        case K.UNION:
          if (this.tagNames[id] !== undefined) this.need(id, true, 0);
          break;
        case K.ENUM:
        case K.ENUM64:
          if (this.tagNames[id] !== undefined) this.need(id, true, 0);
          else if (!referenced[id]) this.emit(`${this.enumBody(id, 0)};`);
          break;
        case K.TYPEDEF:
          this.need(id, false, 0);
          break;
        case K.FWD:
          this.need(id, false, 0);
          break;
      }
    }
    const guard = opts.guard === undefined ? '__VMLINUX_H__' : opts.guard;
    const pai = opts.preserveAccessIndex ?? true;
    const parts: string[] = [];
    if (guard) parts.push(`#ifndef ${guard}\n#define ${guard}\n\n`);
    if (pai)
      parts.push(
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n',
      );
    for (const s of this.out) parts.push(`${s}\n\n`);
    if (pai) parts.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    if (guard) parts.push(`#endif /* ${guard} */\n`);
    return parts.join('');
  }
}

/**
 * Dumps the types of `btf` (and its base, for split BTF) as a C header that compiles with clang.
 *
 * @throws FormatError for BTF that no C can express: a type containing itself by value, a
 *   typedef loop, reference chains deeper than `maxDepth`.
 */
export function dumpC(btf: Btf, opts: CDumpOptions = {}): string {
  return new CDumper(btf, opts).run(opts);
}
