/**
 * The LLVM/kernel C-like BPF assembly syntax (what `llvm-objdump -d` prints and `llvm-mc
 * -triple bpfel` reads), with an assembler and a disassembler.
 *
 * ## Syntax
 *
 * One instruction or label (`name:`) per line; `#` and `//` start comments. 64-bit registers are
 * `r0`..`r10`, their 32-bit halves `w0`..`w10` (the ALU and JMP32 classes). Immediates are decimal
 * or `0x` hex; 32-bit immediates accept -2^31..2^32-1 (a bit pattern above 2^31-1, as llvm-mc).
 * Jump targets are `+N`/`-N` (slots after the next instruction) or a label.
 *
 * | form | encoding |
 * |---|---|
 * | `r0 = 1`, `w1 += 2`, `r1 -= r2`, `r1 s>>= 3` (also `*= /= \|= &= <<= >>= %= ^=`) | ALU64 / ALU |
 * | `r0 s/= r1`, `w0 s%= 3` | sdiv / smod (off 1) |
 * | `r1 = -r1`, `w1 = -w1` | NEG |
 * | `r0 = (s8)r1`, `w0 = (s16)w1`, `r0 = (s32)r1` | movsx (MOV X, off 8/16/32) |
 * | `r0 = be16 r0`, `r0 = le64 r0`, `r0 = bswap32 r0` | END to BE / to LE / ALU64 END |
 * | `r0 = addr_space_cast(r1, 0, 1)` | arena cast: MOV X off 1, imm = dst_as << 16 \| src_as |
 * | `goto +2`, `gotol label`, `may_goto +1` | JA, JMP32 JA (imm), JCOND |
 * | `if r1 > 5 goto +2`, `if w1 s<= w2 goto L` (`== != > >= < <= s> s>= s< s<= &`) | JMP / JMP32 |
 * | `call 1`, `call label` (pseudo-call), `callx r1`, `exit` | CALL / EXIT |
 * | `r0 = *(u32 *)(r1 + 4)`, `r0 = *(s16 *)(r1 - 2)`, `w0 = *(u8 *)(r1 + 0)` | LDX MEM / MEMSX |
 * | `*(u64 *)(r10 - 8) = r1`, `*(u32 *)(r10 - 4) = 7` | STX / ST |
 * | `lock *(u64 *)(r10 - 8) += r1` (`\|= &= ^=`), `lock *(u32 *)(r10 - 4) += w1` | atomic RMW |
 * | `r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)` (`_and _or _xor`; `w1`, `u32` for 32-bit) | atomic fetch |
 * | `r1 = xchg_64(r10 - 8, r1)`, `w1 = xchg32_32(r10 - 4, w1)` | atomic xchg |
 * | `r0 = cmpxchg_64(r10 - 8, r0, r1)`, `w0 = cmpxchg32_32(r10 - 4, w0, w1)` | atomic cmpxchg |
 * | `r0 = load_acquire((u64 *)(r1 + 0))`, `w0 = load_acquire((u8 *)(r1 + 0))` | load-acquire |
 * | `store_release((u64 *)(r1 + 0), r2)`, `store_release((u16 *)(r1 + 0), w2)` | store-release |
 * | `r0 = *(u8 *)skb[4]`, `r0 = *(u32 *)skb[r1]` | LD ABS / IND |
 * | `r1 = 0x1122334455667788 ll` | ld_imm64 |
 *
 * ## Extensions (no LLVM syntax exists)
 *
 * | form | encoding |
 * |---|---|
 * | `r1 = map[fd:3] ll`, `r1 = map_value[fd:3]+8 ll` | ld_imm64 src 1 / 2 |
 * | `r1 = btf_id[1234] ll`, `r1 = btf_id[1234, fd:5] ll` | ld_imm64 src 3 (second imm = BTF fd) |
 * | `r1 = func[+5] ll`, `r1 = func[label] ll` | ld_imm64 src 4 |
 * | `r1 = map[idx:2] ll`, `r1 = map_value[idx:2]+8 ll` | ld_imm64 src 5 / 6 |
 * | `call kfunc[1234]`, `call kfunc[1234, idx:2]` | CALL src 2, off = fd_array index |
 * | `call func[+5]`, `call func[label]` | pseudo-call by slot offset or label (the disassembler prints `call label` for targets inside the program) |
 * | `r0 = *(u16 *)skb[r1 + 4]` | LD IND with a nonzero imm |
 *
 * ## What llvm-mc 14 does not read
 *
 * llvm-mc 14 (the LLVM on a fresh machine) reads the cpu v1-v3 forms except these, which came
 * with later LLVM versions or exist only here: mod (`%=`) and jset (`if r1 & r2`), which its
 * parser does not tokenize although llvm-objdump 14 prints them; ST with an immediate
 * (`*(u32 *)(r10 - 4) = 7`); the atomic fetch/xchg/cmpxchg forms (printed by llvm-objdump 14,
 * not parsed); `callx`; movsx, sdiv/smod, ldsx, bswap, gotol, may_goto, load-acquire/
 * store-release, addr_space_cast; and every extension above. For every other form llvm-mc 14
 * gives the same bytes as {@link assembleLlvm} (test/isa/llvm.test.ts).
 *
 * @module
 */

import type { Insn } from '../insn.js';
import { slotIndex } from '../insn.js';
import { AluOp, AtomicOp, CallKind, Class, Endian, JmpOp, LD_IMM64, Mode, Size, Source } from '../opcodes.js';
import {
  type AssembleOptions,
  type DisassembleOptions,
  hasSyntax,
  labelTargets,
  layout,
  type MutableInsn,
  resolveFixups,
} from './common.js';
import { jumpTarget } from './conformance.js';
import {
  type Fixup,
  formatImm64,
  formatKfunc,
  formatPseudo,
  formatRaw,
  here,
  type PseudoOperand,
  rawInsnOperands,
  Scanner,
  signed,
} from './scanner.js';

const C_LPAREN = 40;
const C_RPAREN = 41;
const C_STAR = 42;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_COLON = 58;
const C_LBRACKET = 91;
const C_RBRACKET = 93;
const C_0 = 48;
const C_9 = 57;

const ALU_OPS = new Map<string, [number, number]>([
  ['+=', [AluOp.ADD, 0]],
  ['-=', [AluOp.SUB, 0]],
  ['*=', [AluOp.MUL, 0]],
  ['/=', [AluOp.DIV, 0]],
  ['s/=', [AluOp.DIV, 1]],
  ['|=', [AluOp.OR, 0]],
  ['&=', [AluOp.AND, 0]],
  ['<<=', [AluOp.LSH, 0]],
  ['>>=', [AluOp.RSH, 0]],
  ['%=', [AluOp.MOD, 0]],
  ['s%=', [AluOp.MOD, 1]],
  ['^=', [AluOp.XOR, 0]],
  ['=', [AluOp.MOV, 0]],
  ['s>>=', [AluOp.ARSH, 0]],
]);
const ALU_TEXT: string[] = [];
for (const [t, [op, off]] of ALU_OPS) if (off === 0) ALU_TEXT[op >> 4] = t;

const JMP_OPS = new Map<string, number>([
  ['==', JmpOp.JEQ],
  ['>', JmpOp.JGT],
  ['>=', JmpOp.JGE],
  ['&', JmpOp.JSET],
  ['!=', JmpOp.JNE],
  ['s>', JmpOp.JSGT],
  ['s>=', JmpOp.JSGE],
  ['<', JmpOp.JLT],
  ['<=', JmpOp.JLE],
  ['s<', JmpOp.JSLT],
  ['s<=', JmpOp.JSLE],
]);
const JMP_TEXT: string[] = [];
for (const [t, op] of JMP_OPS) JMP_TEXT[op >> 4] = t;

const LOCK_OPS = new Map<string, number>([
  ['+=', AtomicOp.ADD],
  ['|=', AtomicOp.OR],
  ['&=', AtomicOp.AND],
  ['^=', AtomicOp.XOR],
]);
const FETCH_OPS = new Map<string, number>([
  ['atomic_fetch_add', AtomicOp.ADD | AtomicOp.FETCH],
  ['atomic_fetch_or', AtomicOp.OR | AtomicOp.FETCH],
  ['atomic_fetch_and', AtomicOp.AND | AtomicOp.FETCH],
  ['atomic_fetch_xor', AtomicOp.XOR | AtomicOp.FETCH],
]);
const FETCH_TEXT = new Map<number, string>();
for (const [t, v] of FETCH_OPS) FETCH_TEXT.set(v, t);
const LOCK_TEXT = new Map<number, string>();
for (const [t, v] of LOCK_OPS) LOCK_TEXT.set(v, t);

const END_OPS = new Map<string, [number, number]>();
for (const w of [16, 32, 64]) {
  END_OPS.set(`be${w}`, [Class.ALU | AluOp.END | Endian.TO_BE, w]);
  END_OPS.set(`le${w}`, [Class.ALU | AluOp.END | Endian.TO_LE, w]);
  END_OPS.set(`bswap${w}`, [Class.ALU64 | AluOp.END, w]);
}

/** Sizes by `(code >> 3) & 3`. */
const SIZE_BITS = [32, 16, 8, 64];
const SIZE_OF_BITS = new Map<number, number>([
  [8, Size.B],
  [16, Size.H],
  [32, Size.W],
  [64, Size.DW],
]);

/** Reads an operator token made of `+-*\/|&<>%^=!` with an optional leading `s`. */
function operator(sc: Scanner): string {
  sc.skipSpaces();
  const { text, end } = sc;
  const s = here(sc);
  let p = s;
  if (p < end && text.charCodeAt(p) === 115 /* s */) p++;
  const q = p;
  while (p < end) {
    const c = text.charCodeAt(p);
    // + - * / | & < > % ^ = !
    if (
      c === 43 ||
      c === 45 ||
      c === 42 ||
      c === 47 ||
      c === 124 ||
      c === 38 ||
      c === 60 ||
      c === 62 ||
      c === 37 ||
      c === 94 ||
      c === 61 ||
      c === 33
    )
      p++;
    else break;
  }
  if (p === q) return '';
  sc.pos = p;
  return text.slice(s, p);
}

/** Reads `rN` (wide) or `wN`; returns the number and sets `w32` on the holder. */
function anyReg(sc: Scanner, width: { w32: boolean }): number {
  let r = sc.reg('r');
  if (r >= 0) {
    width.w32 = false;
    return r;
  }
  r = sc.reg('w');
  if (r >= 0) {
    width.w32 = true;
    return r;
  }
  return -1;
}

/** Reads a register of the given width or fails. */
function regOf(
  sc: Scanner,
  w32: boolean,
  what = w32 ? 'a 32-bit register (w0..w10)' : 'a register (r0..r10)',
): number {
  const r = sc.reg(w32 ? 'w' : 'r');
  if (r < 0) sc.expected(what);
  return r;
}

/** Reads `(uN *)` or `(sN *)`; returns the size bits and sets `signed`. */
function sizeCast(sc: Scanner, h: { signed: boolean }, allowSigned: boolean): number {
  sc.expect(C_LPAREN, "'(u8 *)', '(u16 *)', '(u32 *)' or '(u64 *)'");
  sc.skipSpaces();
  const p = here(sc);
  const t = sc.ident();
  let bits = 0;
  if (t !== undefined && t.length >= 2 && (t[0] === 'u' || (allowSigned && t[0] === 's'))) {
    bits = Number(t.slice(1));
    h.signed = t[0] === 's';
  }
  const sz = SIZE_OF_BITS.get(bits);
  if (sz === undefined || (h.signed && bits === 64)) {
    throw sc.error(
      `expected a size type (u8, u16, u32, u64${allowSigned ? ', s8, s16, s32' : ''}), found '${sc.tokenAt(p)}'`,
      p,
    );
  }
  sc.expect(C_STAR);
  sc.expect(C_RPAREN);
  return sz;
}

/** Reads `rN + OFF` / `rN - OFF` / `rN` (inside parentheses already opened or not). */
function baseOff(sc: Scanner, out: MutableInsn, field: 'dst' | 'src'): void {
  out[field] = regOf(sc, false, 'a base register (r0..r10)');
  const c = sc.peek();
  if (c === C_PLUS || c === C_MINUS) {
    sc.pos++;
    out.off = sc.off16(c === C_PLUS ? 1 : -1);
  } else out.off = 0;
}

/** Reads `(rN + OFF)`. */
function memParen(sc: Scanner, out: MutableInsn, field: 'dst' | 'src'): void {
  sc.expect(C_LPAREN);
  baseOff(sc, out, field);
  sc.expect(C_RPAREN, "'+ OFFSET', '- OFFSET' or ')'");
}

function isNumStart(c: number): boolean {
  return c === C_MINUS || c === C_PLUS || (c >= C_0 && c <= C_9);
}

/**
 * Assembles the LLVM syntax (see the module docs) into instructions. Errors are
 * {@link FormatError}s at `file:line:column`.
 */
export function assembleLlvm(text: string, options: AssembleOptions = {}): Insn[] {
  const sc: Scanner = new Scanner(text, options.file, options.lineBase);
  const insns: MutableInsn[] = [];
  const fixups: Fixup[] = [];
  const labels = new Map<string, number>();
  const ps: PseudoOperand = { src: 0, imm: 0, imm2: 0 };
  const i64 = { imm: 0, imm2: 0 };
  const width = { w32: false };
  const sign = { signed: false };
  let slot = 0;
  while (sc.nextLine()) {
    if (sc.atEnd()) continue;
    const k = insns.length;
    const insn: MutableInsn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
    let start = sc.pos;
    if (sc.peek() !== C_STAR) {
      let word = sc.ident();
      if (word === undefined) sc.expected('an instruction or a label');
      if (sc.peek() === C_COLON) {
        sc.pos++;
        if (labels.has(word)) throw sc.error(`label '${word}' is defined twice`, start);
        labels.set(word, slot);
        if (sc.atEnd()) continue;
        start = sc.pos;
        if (sc.peek() === C_STAR) word = '*';
        else {
          word = sc.ident();
          if (word === undefined) sc.expected('an instruction');
        }
      }
      if (word !== '*') {
        statement(sc, word, start, insn, k, slot, fixups, ps, i64, width, sign);
        sc.expectEnd();
        slot += insn.code === LD_IMM64 ? 2 : 1;
        if (insn.code === LD_IMM64) insn.imm2 ??= 0;
        insns.push(insn);
        continue;
      }
    }
    // *(uN *)(rD + off) = rS | wS | imm
    sc.expect(C_STAR);
    const sz = sizeCast(sc, sign, false);
    memParen(sc, insn, 'dst');
    sc.expect(61 /* = */, "'='");
    const r = anyReg(sc, width);
    if (r >= 0) {
      insn.code = Class.STX | Mode.MEM | sz;
      insn.src = r;
    } else {
      insn.code = Class.ST | Mode.MEM | sz;
      insn.imm = sc.imm32('a register or an immediate', true);
    }
    sc.expectEnd();
    slot += 1;
    insns.push(insn);
  }
  resolveFixups(insns, fixups, labels);
  return insns;
}

function statement(
  sc: Scanner,
  word: string,
  start: number,
  insn: MutableInsn,
  k: number,
  slot: number,
  fixups: Fixup[],
  ps: PseudoOperand,
  i64: { imm: number; imm2: number },
  width: { w32: boolean },
  sign: { signed: boolean },
): void {
  switch (word) {
    case '.insn':
      rawInsnOperands(sc, insn);
      return;
    case 'exit':
      insn.code = Class.JMP | JmpOp.EXIT;
      return;
    case 'goto':
      insn.code = Class.JMP | JmpOp.JA;
      insn.off = sc.target(fixups, k, slot, 'off', false);
      return;
    case 'gotol':
      insn.code = Class.JMP32 | JmpOp.JA;
      insn.imm = sc.target(fixups, k, slot, 'imm', true);
      return;
    case 'may_goto':
      insn.code = Class.JMP | JmpOp.JCOND;
      insn.off = sc.target(fixups, k, slot, 'off', false);
      return;
    case 'callx':
      insn.code = Class.JMP | JmpOp.CALL | Source.X;
      insn.dst = regOf(sc, false);
      return;
    case 'call': {
      insn.code = Class.JMP | JmpOp.CALL;
      const c = sc.peek();
      if (isNumStart(c)) {
        insn.imm = sc.imm32('a helper id', true);
        return;
      }
      if (sc.eatWord('kfunc')) {
        insn.src = CallKind.KFUNC;
        [insn.imm, insn.off] = sc.kfuncBody();
        return;
      }
      insn.src = CallKind.PSEUDO_CALL;
      if (sc.eatWord('func')) {
        sc.expect(C_LBRACKET);
        insn.imm = sc.target(fixups, k, slot, 'imm', true);
        sc.expect(C_RBRACKET);
        return;
      }
      insn.imm = sc.target(fixups, k, slot, 'imm', true);
      return;
    }
    case 'if': {
      const dst = anyReg(sc, width);
      if (dst < 0) sc.expected('a register');
      const w32 = width.w32;
      insn.dst = dst;
      const p = here(sc);
      const op = JMP_OPS.get(operator(sc));
      if (op === undefined)
        throw sc.error(
          `expected a comparison (== != > >= < <= s> s>= s< s<= &), found '${sc.tokenAt(p)}'`,
          p,
        );
      insn.code = (w32 ? Class.JMP32 : Class.JMP) | op;
      const r = sc.reg(w32 ? 'w' : 'r');
      if (r >= 0) {
        insn.code |= Source.X;
        insn.src = r;
      } else {
        if (!isNumStart(sc.peek()))
          sc.expected(w32 ? 'a w register or an immediate' : 'an r register or an immediate');
        insn.imm = sc.imm32('an immediate', true);
      }
      if (!sc.eatWord('goto')) sc.expected("'goto'");
      insn.off = sc.target(fixups, k, slot, 'off', false);
      return;
    }
    case 'lock': {
      sc.expect(C_STAR, "'*(u32 *)' or '*(u64 *)'");
      const p = here(sc);
      const sz = sizeCast(sc, sign, false);
      if (sz !== Size.W && sz !== Size.DW) throw sc.error('atomic operations exist only for u32 and u64', p);
      memParen(sc, insn, 'dst');
      const q = here(sc);
      const op = LOCK_OPS.get(operator(sc));
      if (op === undefined) throw sc.error(`expected '+=', '|=', '&=' or '^=', found '${sc.tokenAt(q)}'`, q);
      const r = anyReg(sc, width);
      if (r < 0) sc.expected('a register');
      insn.code = Class.STX | Mode.ATOMIC | sz;
      insn.src = r;
      insn.imm = op;
      return;
    }
    case 'store_release': {
      sc.expect(C_LPAREN);
      const sz = sizeCast(sc, sign, false);
      memParen(sc, insn, 'dst');
      sc.expect(C_COMMA);
      const r = anyReg(sc, width);
      if (r < 0) sc.expected('a register');
      sc.expect(C_RPAREN);
      insn.code = Class.STX | Mode.ATOMIC | sz;
      insn.src = r;
      insn.imm = AtomicOp.STORE_REL;
      return;
    }
  }
  // Register statements.
  sc.pos = start;
  const dst = anyReg(sc, width);
  if (dst < 0) throw sc.error(`unknown instruction '${word}'`, start);
  const w32 = width.w32;
  const cls = w32 ? Class.ALU : Class.ALU64;
  insn.dst = dst;
  const p = here(sc);
  const opText = operator(sc);
  const alu = ALU_OPS.get(opText);
  if (alu === undefined)
    throw sc.error(`expected an assignment operator (=, +=, s>>=, ...), found '${sc.tokenAt(p)}'`, p);
  const [op, off] = alu;
  if (op !== AluOp.MOV) {
    insn.code = cls | op;
    insn.off = off;
    const r = sc.reg(w32 ? 'w' : 'r');
    if (r >= 0) {
      insn.code |= Source.X;
      insn.src = r;
    } else {
      if (!isNumStart(sc.peek()))
        sc.expected(w32 ? 'a w register or an immediate' : 'an r register or an immediate');
      insn.imm = sc.imm32('an immediate', true);
    }
    return;
  }
  // '=' forms.
  const c = sc.peek();
  if (c === C_MINUS) {
    const save = sc.pos;
    sc.pos++;
    const r = sc.reg(w32 ? 'w' : 'r');
    if (r >= 0) {
      if (r !== dst) throw sc.error('negation must use the same register on both sides', save);
      insn.code = cls | AluOp.NEG;
      return;
    }
    sc.pos = save;
  }
  if (isNumStart(c)) {
    const save = sc.pos;
    sc.imm64(i64);
    if (sc.eatWord('ll')) {
      if (w32) throw sc.error("a 64-bit immediate load ('ll') needs an r register", start);
      insn.code = LD_IMM64;
      insn.imm = i64.imm;
      insn.imm2 = i64.imm2;
      return;
    }
    sc.pos = save;
    insn.code = cls | AluOp.MOV;
    insn.imm = sc.imm32('an immediate', true);
    return;
  }
  if (c === C_LPAREN) {
    // (s8)rS
    sc.pos++;
    const q = here(sc);
    const t = sc.ident();
    const bits = t === 's8' ? 8 : t === 's16' ? 16 : t === 's32' && !w32 ? 32 : 0;
    if (bits === 0)
      throw sc.error(`expected (s8), (s16)${w32 ? '' : ' or (s32)'}, found '${sc.tokenAt(q)}'`, q);
    sc.expect(C_RPAREN);
    insn.code = cls | AluOp.MOV | Source.X;
    insn.off = bits;
    insn.src = regOf(sc, w32);
    return;
  }
  if (c === C_STAR) {
    sc.pos++;
    sign.signed = false;
    const sz = sizeCast(sc, sign, true);
    if (sc.eatWord('skb')) {
      if (w32 || dst !== 0) throw sc.error('packet loads (skb[...]) load into r0', start);
      sc.expect(C_LBRACKET);
      const r = sc.reg('r');
      if (r >= 0) {
        insn.code = Class.LD | Mode.IND | sz;
        insn.src = r;
        const d = sc.peek();
        if (d === C_PLUS || d === C_MINUS) insn.imm = sc.imm32('an offset');
      } else {
        insn.code = Class.LD | Mode.ABS | sz;
        insn.imm = sc.imm32('an offset or a register');
      }
      sc.expect(C_RBRACKET);
      return;
    }
    insn.code = Class.LDX | (sign.signed ? Mode.MEMSX : Mode.MEM) | sz;
    memParen(sc, insn, 'src');
    return;
  }
  if (sc.pseudo(ps)) {
    if (w32) throw sc.error('a pseudo ld_imm64 needs an r register', start);
    if (!sc.eatWord('ll')) sc.expected("'ll'");
    insn.code = LD_IMM64;
    insn.src = ps.src;
    insn.imm = ps.imm;
    insn.imm2 = ps.imm2;
    if (ps.label !== undefined)
      fixups.push({
        index: k,
        slot,
        field: 'imm',
        label: ps.label,
        sc,
        line: sc.line,
        col: start - sc.lineStart,
      });
    return;
  }
  const q = here(sc);
  const r = anyReg(sc, width);
  if (r >= 0) {
    if (width.w32 !== w32)
      throw sc.error(`expected a ${w32 ? 'w' : 'r'} register, found '${sc.tokenAt(q)}'`, q);
    insn.code = cls | AluOp.MOV | Source.X;
    insn.src = r;
    return;
  }
  const fn = sc.ident();
  if (fn === undefined) sc.expected('a register, an immediate or an expression');
  const end = END_OPS.get(fn);
  if (end !== undefined) {
    if (w32) throw sc.error(`${fn} works on r registers`, q);
    insn.code = end[0];
    insn.imm = end[1];
    const s = here(sc);
    if (regOf(sc, false) !== dst) throw sc.error(`${fn} must use the same register on both sides`, s);
    return;
  }
  const fetch = FETCH_OPS.get(fn);
  if (fetch !== undefined) {
    sc.expect(C_LPAREN);
    const sz = sizeCast(sc, sign, false);
    if (sz !== (w32 ? Size.W : Size.DW))
      throw sc.error(w32 ? 'expected (u32 *) with a w register' : 'expected (u64 *) with an r register', q);
    memParen(sc, insn, 'dst');
    sc.expect(C_COMMA);
    const s = here(sc);
    if (regOf(sc, w32) !== dst)
      throw sc.error(`${fn} returns into its source register (${w32 ? 'w' : 'r'}${dst})`, s);
    sc.expect(C_RPAREN);
    insn.code = Class.STX | Mode.ATOMIC | sz;
    insn.src = dst;
    insn.imm = fetch;
    return;
  }
  if (fn === 'xchg_64' || fn === 'xchg32_32' || fn === 'cmpxchg_64' || fn === 'cmpxchg32_32') {
    const is32 = fn.endsWith('32_32');
    if (is32 !== w32) throw sc.error(`${fn} needs a ${is32 ? 'w' : 'r'} register on the left`, start);
    const cmp = fn.startsWith('cmp');
    if (cmp && dst !== 0) throw sc.error(`${fn} returns into ${w32 ? 'w0' : 'r0'}`, start);
    sc.expect(C_LPAREN);
    baseOff(sc, insn, 'dst');
    sc.expect(C_COMMA);
    if (cmp) {
      const s = here(sc);
      if (regOf(sc, w32) !== 0) throw sc.error(`${fn} compares with ${w32 ? 'w0' : 'r0'}`, s);
      sc.expect(C_COMMA);
    }
    const s = here(sc);
    const src = regOf(sc, w32);
    if (!cmp && src !== dst) throw sc.error(`${fn} returns into its source register`, s);
    sc.expect(C_RPAREN);
    insn.code = Class.STX | Mode.ATOMIC | (w32 ? Size.W : Size.DW);
    insn.src = src;
    insn.imm = cmp ? AtomicOp.CMPXCHG : AtomicOp.XCHG;
    return;
  }
  if (fn === 'load_acquire') {
    sc.expect(C_LPAREN);
    const sz = sizeCast(sc, sign, false);
    memParen(sc, insn, 'src');
    sc.expect(C_RPAREN);
    insn.code = Class.STX | Mode.ATOMIC | sz;
    insn.imm = AtomicOp.LOAD_ACQ;
    return;
  }
  if (fn === 'addr_space_cast') {
    if (w32) throw sc.error('addr_space_cast works on r registers', start);
    sc.expect(C_LPAREN);
    insn.src = regOf(sc, false);
    sc.expect(C_COMMA);
    const s = here(sc);
    const a = sc.imm32('an address space');
    sc.expect(C_COMMA);
    const b = sc.imm32('an address space');
    if (a < 0 || a > 0xffff || b < 0 || b > 0xffff) throw sc.error('address spaces must be in 0..65535', s);
    sc.expect(C_RPAREN);
    insn.code = Class.ALU64 | AluOp.MOV | Source.X;
    insn.off = 1;
    insn.imm = (a << 16) | b;
    return;
  }
  throw sc.error(`expected a register, an immediate or an expression, found '${fn}'`, q);
}

function memText(r: number, off: number): string {
  return off < 0 ? `(r${r} - ${-off})` : `(r${r} + ${off})`;
}

function noSyntax(insn: Insn): never {
  throw new RangeError(
    `no LLVM syntax for opcode 0x${insn.code.toString(16)} (src ${insn.src}, off ${insn.off}, imm ${insn.imm})`,
  );
}

/**
 * Prints one instruction in the LLVM syntax. `target` gives the label for a jump or call target
 * when labels are in use. Throws a `RangeError` for an instruction with no representation.
 */
export function formatLlvm(insn: Insn, target?: string): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 7;
  const x = (code & Source.X) !== 0;

  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const R = cls === Class.ALU ? 'w' : 'r';
      const op = code & 0xf0;
      if (op === AluOp.NEG) return `${R}${dst} = -${R}${dst}`;
      if (op === AluOp.END) {
        if (cls === Class.ALU64) return `r${dst} = bswap${imm} r${dst}`;
        return `r${dst} = ${x ? 'be' : 'le'}${imm} r${dst}`;
      }
      if (op === AluOp.MOV && x && off !== 0) {
        if (cls === Class.ALU64 && off === 1)
          return `r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
        return `${R}${dst} = (s${off})${R}${src}`;
      }
      let t = ALU_TEXT[op >> 4];
      if (t === undefined) return noSyntax(insn);
      if (off === 1) t = `s${t}`;
      return `${R}${dst} ${t} ${x ? `${R}${src}` : `${imm}`}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = code & 0xf0;
      if (op === JmpOp.JA)
        return cls === Class.JMP32 ? `gotol ${target ?? signed(imm)}` : `goto ${target ?? signed(off)}`;
      if (op === JmpOp.EXIT) return 'exit';
      if (op === JmpOp.CALL) {
        if (x) return `callx r${dst}`;
        if (src === CallKind.PSEUDO_CALL)
          return target !== undefined ? `call ${target}` : `call func[${signed(imm)}]`;
        if (src === CallKind.KFUNC) return `call ${formatKfunc(imm, off)}`;
        return `call ${imm}`;
      }
      if (op === JmpOp.JCOND) return `may_goto ${target ?? signed(off)}`;
      const t = JMP_TEXT[op >> 4];
      if (t === undefined) return noSyntax(insn);
      const R = cls === Class.JMP32 ? 'w' : 'r';
      return `if ${R}${dst} ${t} ${x ? `${R}${src}` : `${imm}`} goto ${target ?? signed(off)}`;
    }
    case Class.LD: {
      const mode = code & 0xe0;
      const bits = SIZE_BITS[(code >> 3) & 3]!;
      if (code === LD_IMM64) {
        if (src === 0) return `r${dst} = ${formatImm64(imm, insn.imm2 ?? 0)} ll`;
        return `r${dst} = ${formatPseudo(src, imm, insn.imm2 ?? 0, target)} ll`;
      }
      if (mode === Mode.ABS) return `r0 = *(u${bits} *)skb[${imm}]`;
      if (mode === Mode.IND)
        return `r0 = *(u${bits} *)skb[r${src}${imm === 0 ? '' : imm < 0 ? ` - ${-imm}` : ` + ${imm}`}]`;
      return noSyntax(insn);
    }
    case Class.LDX: {
      const bits = SIZE_BITS[(code >> 3) & 3]!;
      return `r${dst} = *(${(code & 0xe0) === Mode.MEMSX ? 's' : 'u'}${bits} *)${memText(src, off)}`;
    }
    case Class.ST:
      return `*(u${SIZE_BITS[(code >> 3) & 3]} *)${memText(dst, off)} = ${imm}`;
    default: {
      const bits = SIZE_BITS[(code >> 3) & 3]!;
      if ((code & 0xe0) === Mode.ATOMIC) {
        const R = bits === 64 ? 'r' : 'w';
        if (imm === AtomicOp.LOAD_ACQ) return `${R}${dst} = load_acquire((u${bits} *)${memText(src, off)})`;
        if (imm === AtomicOp.STORE_REL) return `store_release((u${bits} *)${memText(dst, off)}, ${R}${src})`;
        const lock = LOCK_TEXT.get(imm);
        if (lock !== undefined) return `lock *(u${bits} *)${memText(dst, off)} ${lock} ${R}${src}`;
        const f = FETCH_TEXT.get(imm);
        if (f !== undefined) return `${R}${src} = ${f}((u${bits} *)${memText(dst, off)}, ${R}${src})`;
        const m = off < 0 ? `r${dst} - ${-off}` : `r${dst} + ${off}`;
        if (imm === AtomicOp.XCHG)
          return bits === 64 ? `r${src} = xchg_64(${m}, r${src})` : `w${src} = xchg32_32(${m}, w${src})`;
        if (imm === AtomicOp.CMPXCHG)
          return bits === 64 ? `r0 = cmpxchg_64(${m}, r0, r${src})` : `w0 = cmpxchg32_32(${m}, w0, w${src})`;
        return noSyntax(insn);
      }
      return `*(u${bits} *)${memText(dst, off)} = r${src}`;
    }
  }
}

/**
 * Disassembles instructions into the LLVM syntax. {@link assembleLlvm} reads the text back to
 * the same instructions, and so does llvm-mc for every form it knows (see the module docs).
 * Calls to subprograms inside the program are printed with generated labels (`L<slot>`), since
 * llvm-mc has no relative form for them.
 */
export function disassembleLlvm(insns: readonly Insn[], options: DisassembleOptions = {}): string {
  const starts = slotIndex(insns);
  const labels = labelTargets(insns, starts, options.labels === true, true);
  const texts = new Array<string>(insns.length);
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k]!;
    texts[k] = hasSyntax(i) ? formatLlvm(i, jumpTarget(i, starts[k]!, labels)) : formatRaw(i);
  }
  return layout(insns, starts, texts, labels, options, '#');
}
