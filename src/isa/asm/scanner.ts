/**
 * A character-level scanner shared by both assemblers: no regular expressions, no per-character
 * allocation. It walks one line at a time, reports errors as {@link FormatError} with
 * `file:line:column`, and parses the operand pieces both syntaxes have in common (integers,
 * identifiers, ld_imm64 pseudo operands, kfunc operands).
 *
 * @module
 */

import { FormatError } from '../../util/errors.js';

const C_TAB = 9;
const C_SPACE = 32;
const C_CR = 13;
const C_PLUS = 43;
const C_MINUS = 45;
const C_0 = 48;
const C_9 = 57;
const C_COLON = 58;
const C_LBRACKET = 91;
const C_RBRACKET = 93;
const C_COMMA = 44;

/** True for `[A-Za-z_.$]`. */
export function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 46 || c === 36;
}

/** True for `[A-Za-z0-9_.$]`. */
export function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= C_0 && c <= C_9);
}

function hexVal(c: number): number {
  if (c >= C_0 && c <= C_9) return c - C_0;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** A symbolic jump or call target waiting for its label (resolved after the last line). */
export interface Fixup {
  /** Index of the instruction in the output. */
  index: number;
  /** Slot of the instruction. */
  slot: number;
  /** Which field receives the relative offset. */
  field: 'off' | 'imm';
  /** The label. */
  label: string;
  /** The scanner, for the error position (built only on error). */
  sc: Scanner;
  /** Line (of the scanner) where the label was used. */
  line: number;
  /** 0-based column where the label was used. */
  col: number;
}

/** The ld_imm64 pseudo operand kinds of both syntaxes (see the module docs of each syntax). */
export interface PseudoOperand {
  /** `src_reg` of the ld_imm64. */
  src: number;
  /** First-slot imm. */
  imm: number;
  /** Second-slot imm. */
  imm2: number;
  /** For `func[label]`: the label whose slot the imm is relative to. */
  label?: string;
}

/**
 * Scans one source text line by line. Positions are 1-based line and column numbers.
 */
export class Scanner {
  /** The whole source text. */
  readonly text: string;
  /** File name used in error positions. */
  readonly file: string;
  /** Current position (index into {@link text}). */
  pos = 0;
  /** End of the current line (exclusive, before any `\r`). */
  end = 0;
  /** Start index of the current line. */
  lineStart = 0;
  /** 1-based number of the current line. */
  line = 0;
  /** Start of the next line. */
  private next = 0;
  /** Line number offset added to positions (for embedded sections such as `-- asm`). */
  private readonly lineBase: number;

  // Result of the last scanInt call (kept in fields to avoid an allocation per number).
  /** Sign of the last integer. */
  neg = false;
  /** Whether the last integer was written in hex. */
  hex = false;
  /** Magnitude of the last integer when it fits in 2^53, else -1. */
  mag = 0;
  /** Magnitude of the last integer as a bigint when it does not fit in a double exactly. */
  bigMag = 0n;
  /** High 32 bits of the last hex integer (exact when {@link over64} is false). */
  hi32 = 0;
  /** Low 32 bits of the last hex integer. */
  lo32 = 0;
  /** Whether the last hex integer has more than 16 digits. */
  over64 = false;

  /**
   * @param text - the source
   * @param file - the name shown in error positions
   * @param lineBase - added to line numbers (the line of the text's first line minus one)
   */
  constructor(text: string, file = '<input>', lineBase = 0) {
    this.text = text;
    this.file = file;
    this.lineBase = lineBase;
  }

  /** Moves to the next line; returns false at the end of the text. */
  nextLine(): boolean {
    if (this.next > this.text.length) return false;
    this.lineStart = this.next;
    let nl = this.text.indexOf('\n', this.next);
    if (nl < 0) nl = this.text.length;
    this.next = nl + 1;
    this.end = nl > this.lineStart && this.text.charCodeAt(nl - 1) === C_CR ? nl - 1 : nl;
    this.pos = this.lineStart;
    this.line++;
    return true;
  }

  /** `file:line:col` of line `line` (a value of {@link line}) and 0-based column `col`. */
  whereAt(line: number, col: number): string {
    return `${this.file}:${line + this.lineBase}:${col + 1}`;
  }

  /** `file:line:col` of a position on the current line. */
  where(pos = this.pos): string {
    return `${this.file}:${this.line + this.lineBase}:${pos - this.lineStart + 1}`;
  }

  /** A {@link FormatError} at `pos` with `reason`. */
  error(reason: string, pos = this.pos): FormatError {
    return new FormatError(this.where(pos), reason);
  }

  /** The token at `pos` for error messages: up to the next space, comma or bracket. */
  tokenAt(pos = this.pos): string {
    let e = pos;
    const { text, end } = this;
    while (e < end) {
      const c = text.charCodeAt(e);
      if (c === C_SPACE || c === C_TAB || c === C_COMMA || c === C_LBRACKET || c === C_RBRACKET) break;
      if (c === 40 || c === 41) break;
      e++;
    }
    return e === pos ? text.slice(pos, pos + 1) : text.slice(pos, e);
  }

  /** Throws "expected WHAT, found 'TOKEN'" (or "found end of line") at the current position. */
  expected(what: string): never {
    this.skipSpaces();
    if (this.atEnd()) throw this.error(`expected ${what}, found end of line`);
    throw this.error(`expected ${what}, found '${this.tokenAt()}'`);
  }

  /** Skips spaces and tabs. */
  skipSpaces(): void {
    const { text, end } = this;
    let p = this.pos;
    while (p < end) {
      const c = text.charCodeAt(p);
      if (c !== C_SPACE && c !== C_TAB) break;
      p++;
    }
    this.pos = p;
  }

  /** True at the end of the line or at the start of a comment. */
  atEnd(): boolean {
    this.skipSpaces();
    if (this.pos >= this.end) return true;
    const c = this.text.charCodeAt(this.pos);
    if (c === 35) return true; // '#'
    if (c === 47 && this.text.charCodeAt(this.pos + 1) === 47) return true; // '//'
    return false;
  }

  /** Fails unless only a comment or nothing is left on the line. */
  expectEnd(): void {
    if (!this.atEnd()) this.expected('end of line');
  }

  /** Current character code after skipping spaces (NaN at the end of the line). */
  peek(): number {
    this.skipSpaces();
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : Number.NaN;
  }

  /** Consumes character `c` if it is next (after spaces). */
  eat(c: number): boolean {
    if (this.peek() === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Consumes `c` or fails with "expected 'c'". */
  expect(c: number, what = `'${String.fromCharCode(c)}'`): void {
    if (!this.eat(c)) this.expected(what);
  }

  /** Consumes the literal `s` if it is next (after spaces). Identifier-like words must end there. */
  eatWord(s: string): boolean {
    this.skipSpaces();
    const p = this.pos;
    if (p + s.length > this.end || !this.text.startsWith(s, p)) return false;
    if (isIdentChar(s.charCodeAt(s.length - 1)) && p + s.length < this.end) {
      if (isIdentChar(this.text.charCodeAt(p + s.length))) return false;
    }
    this.pos = p + s.length;
    return true;
  }

  /** Reads an identifier (`[A-Za-z_.$][A-Za-z0-9_.$]*`), or returns `undefined`. */
  ident(): string | undefined {
    this.skipSpaces();
    const { text, end } = this;
    const s = this.pos;
    if (s >= end || !isIdentStart(text.charCodeAt(s))) return undefined;
    let p = s + 1;
    while (p < end && isIdentChar(text.charCodeAt(p))) p++;
    this.pos = p;
    return text.slice(s, p);
  }

  /**
   * Reads a register `PREFIX N` (N = 0..10), e.g. `%r3` or `w7`, at the current position.
   * Returns the number, or -1 without moving when the next token does not start with `prefix`.
   * A token that starts with the prefix but is not a valid register fails with "expected a
   * register".
   */
  reg(prefix: string): number {
    this.skipSpaces();
    const { text, end } = this;
    const s = this.pos;
    if (!text.startsWith(prefix, s)) return -1;
    let p = s + prefix.length;
    let n = -1;
    let digits = 0;
    while (p < end) {
      const c = text.charCodeAt(p);
      if (c < C_0 || c > C_9) break;
      n = (n < 0 ? 0 : n * 10) + (c - C_0);
      digits++;
      p++;
    }
    if (digits === 0) return -1;
    if ((p < end && isIdentChar(text.charCodeAt(p))) || digits > 2 || n > 10) {
      throw this.error(`expected a register, found '${this.tokenAt(s)}'`, s);
    }
    this.pos = p;
    return n;
  }

  /**
   * Scans an integer: optional sign, then `0x` hex digits or decimal digits. Sets {@link neg},
   * {@link hex}, {@link mag} / {@link bigMag}. Returns false without moving if no digit follows.
   */
  scanInt(allowSign = true): boolean {
    this.skipSpaces();
    const { text, end } = this;
    let p = this.pos;
    let neg = false;
    if (allowSign && p < end) {
      const c = text.charCodeAt(p);
      if (c === C_MINUS || c === C_PLUS) {
        neg = c === C_MINUS;
        p++;
        while (p < end && (text.charCodeAt(p) === C_SPACE || text.charCodeAt(p) === C_TAB)) p++;
      }
    }
    if (p >= end) return false;
    let c = text.charCodeAt(p);
    if (c < C_0 || c > C_9) return false;
    const start = p;
    let hex = false;
    let mag = 0;
    let digits = 0;
    if (c === C_0 && (text.charCodeAt(p + 1) | 0x20) === 120) {
      hex = true;
      p += 2;
      let hi = 0;
      let lo = 0;
      while (p < end) {
        const v = hexVal(text.charCodeAt(p));
        if (v < 0) break;
        mag = mag * 16 + v;
        hi = ((hi << 4) | (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | v) >>> 0;
        digits++;
        p++;
      }
      this.hi32 = hi;
      this.lo32 = lo;
      this.over64 = digits > 16;
      if (digits === 0)
        throw this.error(`expected hex digits after '0x', found '${this.tokenAt(start)}'`, start);
    } else {
      while (p < end) {
        c = text.charCodeAt(p);
        if (c < C_0 || c > C_9) break;
        mag = mag * 10 + (c - C_0);
        digits++;
        p++;
      }
    }
    if (p < end && isIdentChar(text.charCodeAt(p))) {
      throw this.error(`expected a number, found '${this.tokenAt(start)}'`, start);
    }
    this.neg = neg;
    this.hex = hex;
    if (mag > Number.MAX_SAFE_INTEGER) {
      this.mag = -1;
      // Hex up to 16 digits is exact in hi32/lo32; only longer numbers need a bigint.
      if (!hex || digits > 16) this.bigMag = BigInt(text.slice(start, p));
    } else this.mag = mag;
    this.pos = p;
    return true;
  }

  /**
   * Reads a 32-bit immediate. Decimal must be in [-2^31, 2^31-1] unless `wideDecimal` (then up to
   * 2^32-1 as a bit pattern, the way llvm-mc reads `r1 = 4294967295`); hex in [-2^31, 2^32-1].
   * Returns the signed 32-bit value.
   */
  imm32(what = 'an immediate', wideDecimal = false): number {
    this.skipSpaces();
    const s = this.pos;
    if (!this.scanInt()) this.expected(what);
    const m = this.mag;
    const max = this.hex || wideDecimal ? 0xffffffff : 0x7fffffff;
    if (m < 0 || (this.neg ? m > 0x80000000 : m > max)) {
      throw this.error(`immediate '${this.text.slice(s, this.pos)}' is out of the 32-bit range`, s);
    }
    return (this.neg ? -m : m) | 0;
  }

  /** Reads a signed 16-bit offset (already past its sign handling when `sign` is given). */
  off16(sign?: number, what = 'an offset'): number {
    this.skipSpaces();
    const s = this.pos;
    if (!this.scanInt(sign === undefined)) this.expected(what);
    let neg = this.neg;
    if (sign !== undefined) neg = sign < 0;
    const m = this.mag;
    if (m < 0 || (neg ? m > 0x8000 : m > 0x7fff)) {
      throw this.error(`offset '${this.text.slice(s, this.pos)}' is out of the 16-bit range`, s);
    }
    return neg ? -m : m;
  }

  /** Reads a 64-bit immediate (decimal in [-2^63, 2^64-1], hex up to 2^64-1) as {imm, imm2}. */
  imm64(out: { imm: number; imm2: number }, what = 'a 64-bit immediate'): void {
    this.skipSpaces();
    const s = this.pos;
    if (!this.scanInt()) this.expected(what);
    if (this.mag >= 0) {
      const m = this.mag;
      // Exact below 2^53: split without bigint.
      const lo = m % 0x100000000;
      const hi = (m - lo) / 0x100000000;
      if (this.neg) {
        // Two's complement of (hi, lo).
        const nlo = (0x100000000 - lo) % 0x100000000;
        const nhi = (0x100000000 - hi - (lo === 0 ? 0 : 1)) % 0x100000000;
        out.imm = nlo | 0;
        out.imm2 = nhi | 0;
      } else {
        out.imm = lo | 0;
        out.imm2 = hi | 0;
      }
      return;
    }
    if (this.hex && !this.over64) {
      // Exact 64-bit hex: negate in two halves when there is a minus sign.
      let lo = this.lo32;
      let hi = this.hi32;
      if (this.neg) {
        if (hi > 0x80000000 || (hi === 0x80000000 && lo !== 0)) {
          throw this.error(`immediate '${this.text.slice(s, this.pos)}' is out of the 64-bit range`, s);
        }
        lo = (0x100000000 - lo) % 0x100000000;
        hi = (0x100000000 - hi - (lo === 0 ? 0 : 1)) % 0x100000000;
      }
      out.imm = lo | 0;
      out.imm2 = hi | 0;
      return;
    }
    const m = this.bigMag;
    if (this.neg ? m > 1n << 63n : m > (1n << 64n) - 1n) {
      throw this.error(`immediate '${this.text.slice(s, this.pos)}' is out of the 64-bit range`, s);
    }
    const v = BigInt.asUintN(64, this.neg ? -m : m);
    out.imm = Number(BigInt.asIntN(32, v & 0xffffffffn));
    out.imm2 = Number(BigInt.asIntN(32, v >> 32n));
  }

  /**
   * Reads a jump target: `+N`/`-N`/`N` (a slot offset) or a label. For a label, records a fixup
   * and returns 0. `wide` selects a 32-bit offset (gotol, calls) instead of 16 bits.
   */
  target(fixups: Fixup[], index: number, slot: number, field: 'off' | 'imm', wide: boolean): number {
    this.skipSpaces();
    const s = this.pos;
    const c = this.peek();
    if (c === C_PLUS || c === C_MINUS || (c >= C_0 && c <= C_9)) {
      if (!wide) return this.off16(undefined, 'a jump offset');
      return this.imm32('a jump offset');
    }
    const label = this.ident();
    if (label === undefined) this.expected('a jump target (+N, -N or a label)');
    fixups.push({ index, slot, field, label, sc: this, line: this.line, col: s - this.lineStart });
    return 0;
  }

  /**
   * Reads an ld_imm64 pseudo operand, the same in both syntaxes:
   * `map[fd:N]` (src 1), `map_value[fd:N]+OFF` (src 2), `btf_id[ID]` / `btf_id[ID, fd:N]` (src 3),
   * `func[+N]` / `func[label]` (src 4), `map[idx:N]` (src 5), `map_value[idx:N]+OFF` (src 6).
   * Returns false without moving when the next word is none of these.
   */
  pseudo(out: PseudoOperand): boolean {
    this.skipSpaces();
    const save = this.pos;
    const c0 = this.pos < this.end ? this.text.charCodeAt(this.pos) : 0;
    if (c0 !== 109 && c0 !== 98 && c0 !== 102) return false; // m, b, f
    out.label = undefined;
    if (this.eatWord('map_value')) {
      this.expect(C_LBRACKET);
      const idx = this.keyword('fd', 'idx');
      this.expect(C_COLON);
      out.imm = this.imm32('a map fd or index');
      this.expect(C_RBRACKET);
      out.src = idx === 'fd' ? 2 : 6;
      const c = this.peek();
      if (c !== C_PLUS && c !== C_MINUS) this.expected("'+OFFSET' (value offset)");
      out.imm2 = this.imm32('a value offset');
      return true;
    }
    if (this.eatWord('map')) {
      this.expect(C_LBRACKET);
      const idx = this.keyword('fd', 'idx');
      this.expect(C_COLON);
      out.imm = this.imm32('a map fd or index');
      this.expect(C_RBRACKET);
      out.src = idx === 'fd' ? 1 : 5;
      out.imm2 = 0;
      return true;
    }
    if (this.eatWord('btf_id')) {
      this.expect(C_LBRACKET);
      out.imm = this.imm32('a BTF id');
      out.imm2 = 0;
      if (this.eat(C_COMMA)) {
        this.keyword('fd');
        this.expect(C_COLON);
        out.imm2 = this.imm32('a BTF object fd');
      }
      this.expect(C_RBRACKET);
      out.src = 3;
      return true;
    }
    if (this.eatWord('func')) {
      this.expect(C_LBRACKET);
      const c = this.peek();
      if (c === C_PLUS || c === C_MINUS || (c >= C_0 && c <= C_9)) out.imm = this.imm32('a slot offset');
      else {
        const l = this.ident();
        if (l === undefined) this.expected('a slot offset or a label');
        out.label = l;
        out.imm = 0;
      }
      this.expect(C_RBRACKET);
      out.src = 4;
      out.imm2 = 0;
      return true;
    }
    this.pos = save;
    return false;
  }

  /** Reads `kfunc[ID]` or `kfunc[ID, idx:N]` after the word `kfunc`; returns [imm, off]. */
  kfuncBody(): [number, number] {
    this.expect(C_LBRACKET);
    const id = this.imm32('a kfunc BTF id');
    let off = 0;
    if (this.eat(C_COMMA)) {
      this.keyword('idx');
      this.expect(C_COLON);
      off = this.off16(undefined, 'an fd_array index');
    }
    this.expect(C_RBRACKET);
    return [id, off];
  }

  /** Reads one of `words` or fails naming them. */
  keyword(...words: string[]): string {
    for (const w of words) if (this.eatWord(w)) return w;
    return this.expected(words.map((w) => `'${w}'`).join(' or '));
  }
}

/** Formats a pseudo ld_imm64 operand (src 1..6) in the form {@link Scanner.pseudo} reads. */
export function formatPseudo(src: number, imm: number, imm2: number, funcTarget?: string): string {
  switch (src) {
    case 1:
      return `map[fd:${imm}]`;
    case 2:
      return `map_value[fd:${imm}]${signed(imm2)}`;
    case 3:
      return imm2 === 0 ? `btf_id[${imm}]` : `btf_id[${imm}, fd:${imm2}]`;
    case 4:
      return `func[${funcTarget ?? signed(imm)}]`;
    case 5:
      return `map[idx:${imm}]`;
    default:
      return `map_value[idx:${imm}]${signed(imm2)}`;
  }
}

/** Formats a kfunc call operand. */
export function formatKfunc(imm: number, off: number): string {
  return off === 0 ? `kfunc[${imm}]` : `kfunc[${imm}, idx:${off}]`;
}

/** Signed offset with an explicit sign, `+2` / `-3`. */
export function signed(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

/** Unsigned 64-bit value of an ld_imm64 as text: decimal below 10, else `0x` hex. */
export function formatImm64(imm: number, imm2: number): string {
  const hi = imm2 >>> 0;
  const lo = imm >>> 0;
  if (hi === 0 && lo < 10) return `${lo}`;
  if (hi === 0) return `0x${lo.toString(16)}`;
  return `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}

/** Reads the operands of `.insn CODE, DST, SRC, OFF, IMM[, IMM2]` (any field values in range). */
export function rawInsnOperands(
  sc: Scanner,
  out: { code: number; dst: number; src: number; off: number; imm: number; imm2?: number },
): void {
  const field = (what: string, min: number, max: number): number => {
    sc.skipSpaces();
    const p = sc.pos;
    if (!sc.scanInt()) sc.expected(what);
    const v = sc.mag < 0 ? Number.POSITIVE_INFINITY : sc.neg ? -sc.mag : sc.mag;
    if (v < min || v > max)
      throw sc.error(`${what} '${sc.text.slice(p, sc.pos)}' is out of range ${min}..${max}`, p);
    return v;
  };
  const comma = () => {
    if (!sc.eat(44)) sc.expected("','");
  };
  out.code = field('an opcode', 0, 0xff);
  comma();
  out.dst = field('a dst field', 0, 15);
  comma();
  out.src = field('a src field', 0, 15);
  comma();
  out.off = field('an offset', -0x8000, 0x7fff);
  comma();
  out.imm = sc.imm32('an immediate');
  if (out.code === 0x18) {
    out.imm2 = 0;
    if (sc.eat(44)) out.imm2 = sc.imm32('a second immediate');
  }
}

/** `.insn CODE, DST, SRC, OFF, IMM[, IMM2]`: the raw form of an instruction with no syntax. */
export function formatRaw(insn: {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  imm2?: number;
}): string {
  const base = `.insn 0x${insn.code.toString(16).padStart(2, '0')}, ${insn.dst}, ${insn.src}, ${insn.off}, ${insn.imm}`;
  return insn.code === 0x18 ? `${base}, ${insn.imm2 ?? 0}` : base;
}

/** Skips spaces and returns the position of the next token. */
export function here(sc: Scanner): number {
  sc.skipSpaces();
  return sc.pos;
}
