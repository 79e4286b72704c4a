/**
 * The BPF conformance suite's assembly syntax (as in `../shared/conformance/tests/*.data`), with
 * an assembler and a disassembler.
 *
 * ## Syntax
 *
 * One instruction or label per line; `#` starts a comment. Registers are `%r0`..`%r10`. Memory
 * operands are `[%rN]`, `[%rN+OFF]`, `[%rN-OFF]`. Immediates are decimal (signed 32-bit range) or
 * `0x` hex (up to `0xffffffff`, taken as a bit pattern); `lddw` takes 64-bit values. Jump
 * targets are `+N`/`-N` (slots, relative to the next instruction) or a label (`name:` on its own
 * line). As in the suite, the first `exit` instruction also defines the label `exit` unless the
 * program defines one.
 *
 * | form | encoding |
 * |---|---|
 * | `add %r1, 2` / `add32 %r1, %r2` (also `add64`) | ALU64 / ALU; likewise sub mul div sdiv mod smod or and xor lsh rsh arsh mov |
 * | `neg %r1`, `neg32 %r1` | NEG |
 * | `movsx832 %r1, %r2`, `movsx1632`, `movsx864`, `movsx1664`, `movsx3264` | MOV X with off 8/16/32 |
 * | `le16 %r1`, `be32 %r1`, `bswap64 %r1` (also `swap64`) | END to LE / to BE, ALU64 END |
 * | `ja +2`, `ja32 label` (also `gotol`), `jeq %r1, 5, +2`, `jsgt32 %r1, %r2, label` | JMP / JMP32 |
 * | `exit` | EXIT |
 * | `call 5` (also `call helper 5`), `call local label`, `call %r2` (callx, register in dst) | CALL |
 * | `ldxw %r0, [%r1+4]`, `ldxsb %r0, [%r1-2]`, `stw [%r10-4], 7`, `stxdw [%r10-8], %r1` | LDX / LDSX / ST / STX |
 * | `lddw %r0, 0x1122334455667788` | ld_imm64 |
 * | `lock add [%r10-8], %r1`, `lock fetch or32 [..], %r1`, `lock xchg`, `lock cmpxchg32` | STX ATOMIC |
 *
 * ## Extensions (forms the suite has no mnemonic for)
 *
 * | form | encoding |
 * |---|---|
 * | `lddw %r1, map[fd:3]` | ld_imm64 src 1 (MAP_FD) |
 * | `lddw %r1, map_value[fd:3]+8` | src 2 (MAP_VALUE), second imm = value offset |
 * | `lddw %r1, btf_id[1234]`, `btf_id[1234, fd:5]` | src 3 (BTF_ID), second imm = BTF object fd |
 * | `lddw %r1, func[+5]`, `func[label]` | src 4 (FUNC), imm = slot offset |
 * | `lddw %r1, map[idx:2]`, `map_value[idx:2]+8` | src 5 / 6 (MAP_IDX, MAP_IDX_VALUE) |
 * | `call kfunc[1234]`, `call kfunc[1234, idx:2]` (also the suite's `call runtime 1234`) | CALL src 2, off = fd_array index |
 * | `may_goto +3` / `may_goto label` | JMP JCOND |
 * | `ldabsb 4`, `ldabsh`, `ldabsw`; `ldindb %r1, 4`, `ldindh`, `ldindw` | LD ABS / IND |
 * | `ldacqb %r0, [%r1+2]` (`ldacqh`, `ldacqw`, `ldacqdw`) | STX ATOMIC load-acquire (imm 0x100) |
 * | `strelb [%r1+2], %r2` (`strelh`, `strelw`, `streldw`) | STX ATOMIC store-release (imm 0x110) |
 * | `addr_space_cast %r0, %r1, 0, 1` (dst and src address spaces) | ALU64 MOV X off 1, imm `dst<<16 \| src` |
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

const K = {
  Alu: 0,
  Neg: 1,
  Movsx: 2,
  End: 3,
  Jcc: 4,
  Ja: 5,
  Ja32: 6,
  MayGoto: 7,
  Exit: 8,
  Call: 9,
  Ldx: 10,
  St: 11,
  Stx: 12,
  Lddw: 13,
  Lock: 14,
  LdAbs: 15,
  LdInd: 16,
  LdAcq: 17,
  StRel: 18,
  AsCast: 19,
} as const;
type Kind = (typeof K)[keyof typeof K];

interface Spec {
  kind: Kind;
  code: number;
  off: number;
  imm: number;
}

const TABLE = new Map<string, Spec>();
const spec = (name: string, kind: Kind, code = 0, off = 0, imm = 0) =>
  TABLE.set(name, { kind, code, off, imm });

const ALU_NAMES: [string, number, number][] = [
  ['add', AluOp.ADD, 0],
  ['sub', AluOp.SUB, 0],
  ['mul', AluOp.MUL, 0],
  ['div', AluOp.DIV, 0],
  ['sdiv', AluOp.DIV, 1],
  ['or', AluOp.OR, 0],
  ['and', AluOp.AND, 0],
  ['lsh', AluOp.LSH, 0],
  ['rsh', AluOp.RSH, 0],
  ['mod', AluOp.MOD, 0],
  ['smod', AluOp.MOD, 1],
  ['xor', AluOp.XOR, 0],
  ['mov', AluOp.MOV, 0],
  ['arsh', AluOp.ARSH, 0],
];
for (const [n, op, off] of ALU_NAMES) {
  spec(n, K.Alu, Class.ALU64 | op, off);
  spec(`${n}64`, K.Alu, Class.ALU64 | op, off);
  spec(`${n}32`, K.Alu, Class.ALU | op, off);
}
spec('neg', K.Neg, Class.ALU64 | AluOp.NEG);
spec('neg64', K.Neg, Class.ALU64 | AluOp.NEG);
spec('neg32', K.Neg, Class.ALU | AluOp.NEG);
for (const [n, cls, off] of [
  ['movsx832', Class.ALU, 8],
  ['movsx1632', Class.ALU, 16],
  ['movsx864', Class.ALU64, 8],
  ['movsx1664', Class.ALU64, 16],
  ['movsx3264', Class.ALU64, 32],
] as const)
  spec(n, K.Movsx, cls | AluOp.MOV | Source.X, off);
for (const w of [16, 32, 64]) {
  spec(`le${w}`, K.End, Class.ALU | AluOp.END | Endian.TO_LE, 0, w);
  spec(`be${w}`, K.End, Class.ALU | AluOp.END | Endian.TO_BE, 0, w);
  spec(`bswap${w}`, K.End, Class.ALU64 | AluOp.END, 0, w);
  spec(`swap${w}`, K.End, Class.ALU64 | AluOp.END, 0, w);
}
const JCC_NAMES: [string, number][] = [
  ['jeq', JmpOp.JEQ],
  ['jgt', JmpOp.JGT],
  ['jge', JmpOp.JGE],
  ['jset', JmpOp.JSET],
  ['jne', JmpOp.JNE],
  ['jsgt', JmpOp.JSGT],
  ['jsge', JmpOp.JSGE],
  ['jlt', JmpOp.JLT],
  ['jle', JmpOp.JLE],
  ['jslt', JmpOp.JSLT],
  ['jsle', JmpOp.JSLE],
];
for (const [n, op] of JCC_NAMES) {
  spec(n, K.Jcc, Class.JMP | op);
  spec(`${n}32`, K.Jcc, Class.JMP32 | op);
}
spec('ja', K.Ja, Class.JMP | JmpOp.JA);
spec('ja32', K.Ja32, Class.JMP32 | JmpOp.JA);
spec('gotol', K.Ja32, Class.JMP32 | JmpOp.JA);
spec('may_goto', K.MayGoto, Class.JMP | JmpOp.JCOND);
spec('exit', K.Exit, Class.JMP | JmpOp.EXIT);
spec('call', K.Call, Class.JMP | JmpOp.CALL);
const SIZES: [string, number][] = [
  ['b', Size.B],
  ['h', Size.H],
  ['w', Size.W],
  ['dw', Size.DW],
];
for (const [s, sz] of SIZES) {
  spec(`ldx${s}`, K.Ldx, Class.LDX | Mode.MEM | sz);
  if (sz !== Size.DW) {
    spec(`ldxs${s}`, K.Ldx, Class.LDX | Mode.MEMSX | sz);
    spec(`ldabs${s}`, K.LdAbs, Class.LD | Mode.ABS | sz);
    spec(`ldind${s}`, K.LdInd, Class.LD | Mode.IND | sz);
  }
  spec(`st${s}`, K.St, Class.ST | Mode.MEM | sz);
  spec(`stx${s}`, K.Stx, Class.STX | Mode.MEM | sz);
  spec(`ldacq${s}`, K.LdAcq, Class.STX | Mode.ATOMIC | sz, 0, AtomicOp.LOAD_ACQ);
  spec(`strel${s}`, K.StRel, Class.STX | Mode.ATOMIC | sz, 0, AtomicOp.STORE_REL);
}
spec('lddw', K.Lddw, LD_IMM64);
spec('lock', K.Lock, Class.STX | Mode.ATOMIC);
spec('addr_space_cast', K.AsCast, Class.ALU64 | AluOp.MOV | Source.X, 1);

const LOCK_OPS = new Map<string, number>([
  ['add', AtomicOp.ADD],
  ['or', AtomicOp.OR],
  ['and', AtomicOp.AND],
  ['xor', AtomicOp.XOR],
  ['xchg', AtomicOp.XCHG],
  ['cmpxchg', AtomicOp.CMPXCHG],
]);

const C_COMMA = 44;
const C_LBRACKET = 91;
const C_RBRACKET = 93;
const C_COLON = 58;
const C_PLUS = 43;
const C_MINUS = 45;

/** Parses `%rN` or fails with "expected a register". */
function reg(sc: Scanner): number {
  const r = sc.reg('%r');
  if (r < 0) sc.expected('a register');
  return r;
}

/** Parses `[%rN]`, `[%rN+OFF]`, `[%rN-OFF]` into the register and offset (returned packed). */
function mem(sc: Scanner, out: MutableInsn, regField: 'dst' | 'src'): void {
  if (!sc.eat(C_LBRACKET)) sc.expected('a memory operand [%rN+OFF]');
  out[regField] = reg(sc);
  const c = sc.peek();
  if (c === C_PLUS || c === C_MINUS) {
    sc.pos++;
    out.off = sc.off16(c === C_PLUS ? 1 : -1, 'an offset');
  } else out.off = 0;
  if (!sc.eat(C_RBRACKET)) sc.expected("'+OFFSET', '-OFFSET' or ']'");
}

function comma(sc: Scanner): void {
  if (!sc.eat(C_COMMA)) sc.expected("','");
}

/**
 * Assembles the conformance suite's syntax (see the module docs) into instructions. Errors are
 * {@link FormatError}s at `file:line:column`.
 */
export function assembleConformance(text: string, options: AssembleOptions = {}): Insn[] {
  const sc: Scanner = new Scanner(text, options.file, options.lineBase);
  const insns: MutableInsn[] = [];
  const fixups: Fixup[] = [];
  const labels = new Map<string, number>();
  const ps: PseudoOperand = { src: 0, imm: 0, imm2: 0 };
  const i64 = { imm: 0, imm2: 0 };
  let slot = 0;
  let firstExit = -1;
  while (sc.nextLine()) {
    if (sc.atEnd()) continue;
    let start = sc.pos;
    let name = sc.ident();
    if (name === undefined) sc.expected('a mnemonic or a label');
    if (sc.peek() === C_COLON) {
      sc.pos++;
      if (labels.has(name)) throw sc.error(`label '${name}' is defined twice`, start);
      labels.set(name, slot);
      if (sc.atEnd()) continue;
      start = sc.pos;
      name = sc.ident();
      if (name === undefined) sc.expected('a mnemonic');
    }
    const k = insns.length;
    if (name === '.insn') {
      const raw: MutableInsn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
      rawInsnOperands(sc, raw);
      sc.expectEnd();
      slot += raw.code === LD_IMM64 ? 2 : 1;
      insns.push(raw);
      continue;
    }
    const s = TABLE.get(name);
    if (s === undefined) throw sc.error(`unknown mnemonic '${name}'`, start);
    const insn: MutableInsn =
      s.kind === K.Lddw
        ? { code: s.code, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 }
        : { code: s.code, dst: 0, src: 0, off: s.off, imm: s.imm };
    switch (s.kind) {
      case K.Alu: {
        insn.dst = reg(sc);
        comma(sc);
        const r = sc.reg('%r');
        if (r >= 0) {
          insn.code |= Source.X;
          insn.src = r;
        } else insn.imm = sc.imm32('a register or an immediate');
        break;
      }
      case K.Neg:
      case K.End:
        insn.dst = reg(sc);
        break;
      case K.Movsx:
        insn.dst = reg(sc);
        comma(sc);
        insn.src = reg(sc);
        break;
      case K.AsCast: {
        insn.dst = reg(sc);
        comma(sc);
        insn.src = reg(sc);
        comma(sc);
        const p = here(sc);
        const dstAs = sc.imm32('an address space');
        comma(sc);
        const srcAs = sc.imm32('an address space');
        if (dstAs < 0 || dstAs > 0xffff || srcAs < 0 || srcAs > 0xffff)
          throw sc.error('address spaces must be in 0..65535', p);
        insn.imm = (dstAs << 16) | srcAs;
        break;
      }
      case K.Jcc: {
        insn.dst = reg(sc);
        comma(sc);
        const r = sc.reg('%r');
        if (r >= 0) {
          insn.code |= Source.X;
          insn.src = r;
        } else insn.imm = sc.imm32('a register or an immediate');
        comma(sc);
        insn.off = sc.target(fixups, k, slot, 'off', false);
        break;
      }
      case K.Ja:
      case K.MayGoto:
        insn.off = sc.target(fixups, k, slot, 'off', false);
        break;
      case K.Ja32:
        insn.imm = sc.target(fixups, k, slot, 'imm', true);
        break;
      case K.Exit:
        if (firstExit < 0) firstExit = slot;
        break;
      case K.Call: {
        const r = sc.reg('%r');
        if (r >= 0) {
          insn.code |= Source.X;
          insn.dst = r;
          break;
        }
        if (sc.eatWord('local')) {
          insn.src = CallKind.PSEUDO_CALL;
          insn.imm = sc.target(fixups, k, slot, 'imm', true);
        } else if (sc.eatWord('kfunc')) {
          insn.src = CallKind.KFUNC;
          [insn.imm, insn.off] = sc.kfuncBody();
        } else if (sc.eatWord('runtime')) {
          insn.src = CallKind.KFUNC;
          insn.imm = sc.imm32('a kfunc BTF id');
        } else {
          if (sc.eatWord('helper')) {
            const r2 = sc.reg('%r');
            if (r2 >= 0) {
              insn.code |= Source.X;
              insn.dst = r2;
              break;
            }
          }
          insn.imm = sc.imm32('a helper id, local LABEL, kfunc[ID] or a register');
        }
        break;
      }
      case K.Ldx:
        insn.dst = reg(sc);
        comma(sc);
        mem(sc, insn, 'src');
        break;
      case K.LdAcq:
        insn.src = reg(sc);
        comma(sc);
        mem(sc, insn, 'dst');
        // load-acquire: dst = *(src + off); encoded with the loaded-into register in dst.
        [insn.dst, insn.src] = [insn.src, insn.dst];
        break;
      case K.St:
        mem(sc, insn, 'dst');
        comma(sc);
        insn.imm = sc.imm32('an immediate');
        break;
      case K.Stx:
      case K.StRel:
        mem(sc, insn, 'dst');
        comma(sc);
        insn.src = reg(sc);
        break;
      case K.LdAbs:
        insn.imm = sc.imm32('an offset');
        break;
      case K.LdInd:
        insn.src = reg(sc);
        comma(sc);
        insn.imm = sc.imm32('an offset');
        break;
      case K.Lddw:
        insn.dst = reg(sc);
        comma(sc);
        if (sc.pseudo(ps)) {
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
              col: sc.pos - sc.lineStart,
            });
        } else {
          sc.imm64(i64, 'a 64-bit immediate or a pseudo operand (map[fd:N], ...)');
          insn.imm = i64.imm;
          insn.imm2 = i64.imm2;
        }
        break;
      case K.Lock: {
        if (sc.atEnd()) throw sc.error('expected an atomic operation after lock (add, or, xchg, ...)');
        const fetch = sc.eatWord('fetch');
        const p = here(sc);
        let op = sc.ident();
        if (op === undefined) sc.expected('an atomic operation');
        let w32 = false;
        if (op.endsWith('32')) {
          w32 = true;
          op = op.slice(0, -2);
        }
        const a = LOCK_OPS.get(op);
        if (a === undefined) throw sc.error(`unknown atomic operation '${sc.text.slice(p, sc.pos)}'`, p);
        if (fetch && (a === AtomicOp.XCHG || a === AtomicOp.CMPXCHG))
          throw sc.error(`'fetch' is implied by ${op}`, p);
        insn.code |= w32 ? Size.W : Size.DW;
        insn.imm = fetch ? a | AtomicOp.FETCH : a;
        mem(sc, insn, 'dst');
        comma(sc);
        insn.src = reg(sc);
        break;
      }
    }
    sc.expectEnd();
    if (insn.code === LD_IMM64) {
      insn.imm2 ??= 0;
      slot += 2;
    } else slot += 1;
    insns.push(insn);
  }
  if (!labels.has('exit') && firstExit >= 0) labels.set('exit', firstExit);
  resolveFixups(insns, fixups, labels);
  return insns;
}

const ALU_BY_OP: string[] = [];
for (const [n, op, off] of ALU_NAMES) if (off === 0) ALU_BY_OP[op >> 4] = n;
const JCC_BY_OP: string[] = [];
for (const [n, op] of JCC_NAMES) JCC_BY_OP[op >> 4] = n;
const SIZE_SUFFIX = ['w', 'h', 'b', 'dw'];
const LOCK_BY_IMM = new Map<number, string>([
  [AtomicOp.ADD, 'add'],
  [AtomicOp.OR, 'or'],
  [AtomicOp.AND, 'and'],
  [AtomicOp.XOR, 'xor'],
  [AtomicOp.ADD | AtomicOp.FETCH, 'fetch add'],
  [AtomicOp.OR | AtomicOp.FETCH, 'fetch or'],
  [AtomicOp.AND | AtomicOp.FETCH, 'fetch and'],
  [AtomicOp.XOR | AtomicOp.FETCH, 'fetch xor'],
  [AtomicOp.XCHG, 'xchg'],
  [AtomicOp.CMPXCHG, 'cmpxchg'],
]);

function memText(r: number, off: number): string {
  return off === 0 ? `[%r${r}+0]` : off < 0 ? `[%r${r}${off}]` : `[%r${r}+${off}]`;
}

function noSyntax(insn: Insn): never {
  throw new RangeError(
    `no conformance syntax for opcode 0x${insn.code.toString(16)} (src ${insn.src}, off ${insn.off}, imm ${insn.imm})`,
  );
}

/**
 * Prints one instruction in the conformance syntax. `target` gives the label text for a jump or
 * call target when labels are in use. Throws a `RangeError` for an instruction with no
 * representation (an invalid encoding; check with `encodingError` first).
 */
export function formatConformance(insn: Insn, target?: string): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 7;
  const x = (code & Source.X) !== 0;

  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = code & 0xf0;
      const sfx = cls === Class.ALU ? '32' : '';
      if (op === AluOp.NEG) return `neg${sfx} %r${dst}`;
      if (op === AluOp.END) {
        if (cls === Class.ALU64) return `bswap${imm} %r${dst}`;
        return `${x ? 'be' : 'le'}${imm} %r${dst}`;
      }
      if (op === AluOp.MOV && x && off !== 0) {
        if (cls === Class.ALU64 && off === 1)
          return `addr_space_cast %r${dst}, %r${src}, ${imm >>> 16}, ${imm & 0xffff}`;
        return `movsx${off}${cls === Class.ALU ? 32 : 64} %r${dst}, %r${src}`;
      }
      let n = ALU_BY_OP[op >> 4];
      if (n === undefined) return noSyntax(insn);
      if (off === 1 && (op === AluOp.DIV || op === AluOp.MOD)) n = `s${n}`;
      return `${n}${sfx} %r${dst}, ${x ? `%r${src}` : `${imm}`}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = code & 0xf0;
      if (op === JmpOp.JA) {
        if (cls === Class.JMP32) return `ja32 ${target ?? signed(imm)}`;
        return `ja ${target ?? signed(off)}`;
      }
      if (op === JmpOp.EXIT) return 'exit';
      if (op === JmpOp.CALL) {
        if (x) return `call %r${dst}`;
        if (src === CallKind.PSEUDO_CALL) return `call local ${target ?? signed(imm)}`;
        if (src === CallKind.KFUNC) return `call ${formatKfunc(imm, off)}`;
        return `call ${imm}`;
      }
      if (op === JmpOp.JCOND) return `may_goto ${target ?? signed(off)}`;
      const n = JCC_BY_OP[op >> 4];
      if (n === undefined) return noSyntax(insn);
      return `${n}${cls === Class.JMP32 ? '32' : ''} %r${dst}, ${x ? `%r${src}` : `${imm}`}, ${target ?? signed(off)}`;
    }
    case Class.LD: {
      const mode = code & 0xe0;
      const sz = SIZE_SUFFIX[(code >> 3) & 3]!;
      if (code === LD_IMM64) {
        if (src === 0) return `lddw %r${dst}, ${formatImm64(imm, insn.imm2 ?? 0)}`;
        return `lddw %r${dst}, ${formatPseudo(src, imm, insn.imm2 ?? 0, target)}`;
      }
      if (mode === Mode.ABS) return `ldabs${sz} ${imm}`;
      if (mode === Mode.IND) return `ldind${sz} %r${src}, ${imm}`;
      return noSyntax(insn);
    }
    case Class.LDX: {
      const sz = SIZE_SUFFIX[(code >> 3) & 3]!;
      return `ldx${(code & 0xe0) === Mode.MEMSX ? 's' : ''}${sz} %r${dst}, ${memText(src, off)}`;
    }
    case Class.ST:
      return `st${SIZE_SUFFIX[(code >> 3) & 3]} ${memText(dst, off)}, ${imm}`;
    default: {
      const sz = SIZE_SUFFIX[(code >> 3) & 3]!;
      if ((code & 0xe0) === Mode.ATOMIC) {
        if (imm === AtomicOp.LOAD_ACQ) return `ldacq${sz} %r${dst}, ${memText(src, off)}`;
        if (imm === AtomicOp.STORE_REL) return `strel${sz} ${memText(dst, off)}, %r${src}`;
        const n = LOCK_BY_IMM.get(imm);
        if (n === undefined) return noSyntax(insn);
        return `lock ${n}${sz === 'w' ? '32' : ''} ${memText(dst, off)}, %r${src}`;
      }
      return `stx${sz} ${memText(dst, off)}, %r${src}`;
    }
  }
}

/** Disassembles instructions into the conformance syntax; {@link assembleConformance} reads it back. */
export function disassembleConformance(insns: readonly Insn[], options: DisassembleOptions = {}): string {
  const starts = slotIndex(insns);
  const labels = labelTargets(insns, starts, options.labels === true, options.labels === true);
  const texts = new Array<string>(insns.length);
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k]!;
    const t = jumpTarget(i, starts[k]!, labels);
    texts[k] = hasSyntax(i) ? formatConformance(i, t) : formatRaw(i);
  }
  return layout(insns, starts, texts, labels, options, '#');
}

/** The label of the target of `insn` (at `slot`) if it has one in `labels`. */
export function jumpTarget(insn: Insn, slot: number, labels: Map<number, string>): string | undefined {
  if (labels.size === 0) return undefined;
  const cls = insn.code & 7;
  if (cls === Class.JMP || cls === Class.JMP32) {
    const op = insn.code & 0xf0;
    if (op === JmpOp.EXIT) return undefined;
    if (op === JmpOp.CALL)
      return insn.src === CallKind.PSEUDO_CALL && (insn.code & 8) === 0
        ? labels.get(slot + 1 + insn.imm)
        : undefined;
    if (op === JmpOp.JA && cls === Class.JMP32) return labels.get(slot + 1 + insn.imm);
    return labels.get(slot + 1 + insn.off);
  }
  if (insn.code === LD_IMM64 && insn.src === 4) return labels.get(slot + 1 + insn.imm);
  return undefined;
}
