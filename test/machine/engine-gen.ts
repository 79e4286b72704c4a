/**
 * Generated programs for the differential tests of the machine's interpreter, and an independent
 * reference evaluator (plain BigInt, written from the ISA's definition, sharing no code with the
 * engine).
 *
 * Programs are safe by construction (and pass the kernel's verifier): every register r0-r9 and
 * the 64 bytes of stack below r10 are written first; ALU ops never touch r10; divisions by an
 * immediate never divide by zero; shift immediates are in range; memory accesses are aligned
 * stack slots; conditional jumps go forward inside their block; loops count r9 down from a
 * constant (r9 is written only by the loop control). The epilogue folds r0-r8 into r0 and then
 * folds r0's high half into its low half (test_run returns 32 bits).
 */
import type { Insn } from '../../src/isa/insn.js';

/** xorshift32: deterministic for a seed. */
export class GenRng {
  private s: number;
  /** @param seed - non-zero seed */
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** Uniform u32. */
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** One of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** A signed 32-bit immediate, biased to edges and small values. */
  imm(): number {
    switch (this.int(4)) {
      case 0:
        return this.int(17) - 8;
      case 1:
        return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x8000, 0x80]);
      default:
        return this.u32() | 0;
    }
  }
}

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0] as const;

/** Generates one random instruction of the body (never writes r9 or r10; no control flow). */
function bodyInsn(r: GenRng, out: Insn[]): void {
  const dst = r.int(9); // r0..r8
  const src = r.int(10); // r0..r9
  switch (r.int(12)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4: {
      const cls = r.int(2) === 0 ? 0x07 : 0x04;
      const op = r.pick(ALU_OPS);
      const x = r.int(2) === 0;
      let off = 0;
      if ((op === 0x30 || op === 0x90) && r.int(2) === 0) off = 1; // sdiv / smod
      if (x) {
        out.push(I(cls | op | 0x08, dst, src, off, 0));
      } else {
        let imm = r.imm();
        if (op === 0x60 || op === 0x70 || op === 0xc0) imm = r.int(cls === 0x07 ? 64 : 32);
        if ((op === 0x30 || op === 0x90) && imm === 0) imm = 7;
        out.push(I(cls | op, dst, 0, off, imm));
      }
      return;
    }
    case 5: {
      // neg, movsx, byte swaps
      const k = r.int(5);
      if (k === 0) out.push(I(r.pick([0x87, 0x84]), dst, 0, 0, 0));
      else if (k === 1) out.push(I(0xbf, dst, src, r.pick([8, 16, 32]), 0));
      else if (k === 2) out.push(I(0xbc, dst, src, r.pick([8, 16]), 0));
      else if (k === 3) out.push(I(r.pick([0xd4, 0xdc]), dst, 0, 0, r.pick([16, 32, 64])));
      else out.push(I(0xd7, dst, 0, 0, r.pick([16, 32, 64])));
      return;
    }
    case 6: {
      // lddw
      out.push({ code: 0x18, dst, src: 0, off: 0, imm: r.imm(), imm2: r.imm() });
      return;
    }
    case 7:
    case 8: {
      // stack store: stx or st, sizes 1..8, aligned
      const size = r.pick([1, 2, 4, 8]);
      const sz = size === 8 ? 0x18 : size === 4 ? 0x00 : size === 2 ? 0x08 : 0x10;
      const off = -8 * (1 + r.int(8)) + size * r.int(8 / size);
      if (r.int(2) === 0) out.push(I(0x63 | sz, 10, src, off, 0));
      else out.push(I(0x62 | sz, 10, 0, off, r.imm()));
      return;
    }
    case 9:
    case 10: {
      // stack load, zero- or sign-extending
      const size = r.pick([1, 2, 4, 8]);
      const sz = size === 8 ? 0x18 : size === 4 ? 0x00 : size === 2 ? 0x08 : 0x10;
      const off = -8 * (1 + r.int(8)) + size * r.int(8 / size);
      const sx = size !== 8 && r.int(2) === 0;
      out.push(I((sx ? 0x81 : 0x61) | sz, dst, 10, off, 0));
      return;
    }
    default: {
      // atomics on an aligned stack slot
      const dw = r.int(2) === 0;
      const off = dw ? -8 * (1 + r.int(8)) : -4 * (1 + r.int(16));
      const op = r.pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
      const s = r.int(9); // fetch ops write src: never r9
      out.push(I(dw ? 0xdb : 0xc3, 10, s, off, op));
      return;
    }
  }
}

/** A block of `n` body instructions with forward conditional jumps inside it. */
function block(r: GenRng, n: number): Insn[] {
  const body: Insn[] = [];
  for (let i = 0; i < n; i++) bodyInsn(r, body);
  // insert forward jumps; offsets count slots (lddw takes two) and are fixed up after layout
  const out: Insn[] = [];
  const fix: { at: number; target: number }[] = [];
  const posOf: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (r.int(4) === 0) {
      const jmp32 = r.int(3) === 0;
      const op = r.pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
      const cls = jmp32 ? 0x06 : 0x05;
      fix.push({ at: out.length, target: Math.min(body.length, i + r.int(3)) });
      if (r.int(2) === 0) out.push(I(cls | op | 0x08, r.int(10), r.int(10), 0, 0));
      else out.push(I(cls | op, r.int(10), 0, 0, r.imm()));
    }
    posOf[i] = out.length;
    out.push(body[i]!);
  }
  posOf[body.length] = out.length;
  const slotAt: number[] = [];
  let sl = 0;
  for (let k = 0; k <= out.length; k++) {
    slotAt[k] = sl;
    if (k < out.length) sl += out[k]!.code === 0x18 ? 2 : 1;
  }
  for (const f of fix) {
    const j = out[f.at]!;
    out[f.at] = { ...j, off: slotAt[posOf[f.target]!]! - slotAt[f.at]! - 1 };
  }
  return out;
}

function slotsOf(xs: readonly Insn[]): number {
  let n = 0;
  for (const x of xs) n += x.code === 0x18 ? 2 : 1;
  return n;
}

/** A generated program: straight-line (`loops` false) or with counted loops. */
export function generateProgram(seed: number, loops: boolean): Insn[] {
  const r = new GenRng(seed * 2654435761 + 12345);
  const p: Insn[] = [];
  for (let reg = 0; reg <= 9; reg++)
    p.push({ code: 0x18, dst: reg, src: 0, off: 0, imm: r.imm(), imm2: r.imm() });
  for (let k = 1; k <= 8; k++) p.push(I(0x7b, 10, r.int(10), -8 * k, 0));
  const segments = 1 + r.int(3);
  for (let sgm = 0; sgm < segments; sgm++) {
    if (loops && r.int(3) !== 0) {
      const iters = 1 + r.int(12);
      const body = block(r, 3 + r.int(10));
      p.push(I(0xb7, 9, 0, 0, iters));
      p.push(...body);
      p.push(I(0x17, 9, 0, 0, 1));
      p.push(I(0x55, 9, 0, -(slotsOf(body) + 2), 0));
    } else {
      p.push(...block(r, 4 + r.int(20)));
    }
  }
  for (let reg = 1; reg <= 8; reg++) p.push(I(0xaf, 0, reg, 0, 0));
  p.push(I(0xbf, 1, 0, 0, 0));
  p.push(I(0x77, 1, 0, 0, 32));
  p.push(I(0xaf, 0, 1, 0, 0));
  p.push(I(0x95, 0, 0, 0, 0));
  return p;
}

// ---------------------------------------------------------------------------------------------
// Reference evaluator
// ---------------------------------------------------------------------------------------------

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const u64 = (v: bigint): bigint => v & M64;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const sx = (v: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, v));

function swap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * Runs a generated program (stack at r10 only, no helpers, no calls) and returns r0 as an
 * unsigned 64-bit value. Throws on anything outside the generator's subset.
 */
export function referenceRun(insns: readonly Insn[]): bigint {
  const reg: bigint[] = new Array(11).fill(0n);
  const stack = new Uint8Array(512);
  const sv = new DataView(stack.buffer);
  const slotOf: number[] = [];
  const at: number[] = [];
  let s = 0;
  insns.forEach((x, k) => {
    at[k] = s;
    slotOf[s] = k;
    s += x.code === 0x18 ? 2 : 1;
  });
  const jump = (k: number, off: number): number => {
    const t = slotOf[at[k]! + 1 + off];
    if (t === undefined) throw new Error(`bad jump at ${k}`);
    return t;
  };
  const load = (off: number, size: number): bigint => {
    const a = 512 + off;
    if (a < 0 || a + size > 512) throw new Error('stack access out of range');
    if (size === 8) return sv.getBigUint64(a, true);
    if (size === 4) return BigInt(sv.getUint32(a, true));
    if (size === 2) return BigInt(sv.getUint16(a, true));
    return BigInt(sv.getUint8(a));
  };
  const store = (off: number, size: number, v: bigint): void => {
    const a = 512 + off;
    if (a < 0 || a + size > 512) throw new Error('stack access out of range');
    if (size === 8) sv.setBigUint64(a, u64(v), true);
    else if (size === 4) sv.setUint32(a, Number(v & M32), true);
    else if (size === 2) sv.setUint16(a, Number(v & 0xffffn), true);
    else sv.setUint8(a, Number(v & 0xffn));
  };
  const sizeOf = (code: number): number => [4, 2, 1, 8][(code >> 3) & 3]!;
  let pc = 0;
  let steps = 0;
  for (;;) {
    if (++steps > 1_000_000) throw new Error('reference: too many steps');
    const x = insns[pc]!;
    const cls = x.code & 7;
    const op = x.code & 0xf0;
    const isX = (x.code & 8) !== 0;
    if (cls === 0x07 || cls === 0x04) {
      const w64 = cls === 0x07;
      const a = reg[x.dst]!;
      if (op === 0xd0) {
        const bits = x.imm;
        let v: bigint;
        if (w64 || x.code === 0xdc) v = swap(a, bits / 8);
        else v = bits === 64 ? a : a & ((1n << BigInt(bits)) - 1n);
        reg[x.dst] = v;
        pc++;
        continue;
      }
      let b = isX ? reg[x.src]! : u64(BigInt(x.imm));
      let v: bigint;
      if (w64) {
        switch (op) {
          case 0x00:
            v = a + b;
            break;
          case 0x10:
            v = a - b;
            break;
          case 0x20:
            v = a * b;
            break;
          case 0x30:
            if (b === 0n) v = 0n;
            else v = x.off === 1 ? BigInt.asUintN(64, s64(a) / s64(b)) : a / b;
            break;
          case 0x90:
            if (b === 0n) v = a;
            else v = x.off === 1 ? BigInt.asUintN(64, s64(a) % s64(b)) : a % b;
            break;
          case 0x40:
            v = a | b;
            break;
          case 0x50:
            v = a & b;
            break;
          case 0xa0:
            v = a ^ b;
            break;
          case 0x60:
            v = a << (b & 63n);
            break;
          case 0x70:
            v = a >> (b & 63n);
            break;
          case 0xc0:
            v = BigInt.asUintN(64, s64(a) >> (b & 63n));
            break;
          case 0x80:
            v = -a;
            break;
          case 0xb0:
            v = x.off === 0 || !isX ? b : sx(b, x.off);
            break;
          default:
            throw new Error(`reference: ALU64 op ${op}`);
        }
        reg[x.dst] = u64(v);
      } else {
        const a32 = a & M32;
        b &= M32;
        switch (op) {
          case 0x00:
            v = a32 + b;
            break;
          case 0x10:
            v = a32 - b;
            break;
          case 0x20:
            v = a32 * b;
            break;
          case 0x30:
            if (b === 0n) v = 0n;
            else v = x.off === 1 ? s32(a32) / s32(b) : a32 / b;
            break;
          case 0x90:
            if (b === 0n) v = a32;
            else v = x.off === 1 ? s32(a32) % s32(b) : a32 % b;
            break;
          case 0x40:
            v = a32 | b;
            break;
          case 0x50:
            v = a32 & b;
            break;
          case 0xa0:
            v = a32 ^ b;
            break;
          case 0x60:
            v = a32 << (b & 31n);
            break;
          case 0x70:
            v = a32 >> (b & 31n);
            break;
          case 0xc0:
            v = s32(a32) >> (b & 31n);
            break;
          case 0x80:
            v = -a32;
            break;
          case 0xb0:
            v = x.off === 0 || !isX ? b : BigInt.asIntN(x.off, b);
            break;
          default:
            throw new Error(`reference: ALU op ${op}`);
        }
        reg[x.dst] = v & M32;
      }
      pc++;
      continue;
    }
    if (cls === 0x05 || cls === 0x06) {
      if (x.code === 0x95) return reg[0]!;
      const w32 = cls === 0x06;
      let a = reg[x.dst]!;
      let b = isX ? reg[x.src]! : u64(BigInt(x.imm));
      if (w32) {
        a &= M32;
        b &= M32;
      }
      const sa = w32 ? s32(a) : s64(a);
      const sb = w32 ? s32(b) : s64(b);
      let taken: boolean;
      switch (op) {
        case 0x10:
          taken = a === b;
          break;
        case 0x50:
          taken = a !== b;
          break;
        case 0x20:
          taken = a > b;
          break;
        case 0x30:
          taken = a >= b;
          break;
        case 0xa0:
          taken = a < b;
          break;
        case 0xb0:
          taken = a <= b;
          break;
        case 0x60:
          taken = sa > sb;
          break;
        case 0x70:
          taken = sa >= sb;
          break;
        case 0xc0:
          taken = sa < sb;
          break;
        case 0xd0:
          taken = sa <= sb;
          break;
        case 0x40:
          taken = (a & b) !== 0n;
          break;
        default:
          throw new Error(`reference: jump op ${op}`);
      }
      pc = taken ? jump(pc, x.off) : pc + 1;
      continue;
    }
    if (x.code === 0x18) {
      reg[x.dst] = (BigInt((x.imm2 ?? 0) >>> 0) << 32n) | BigInt(x.imm >>> 0);
      pc++;
      continue;
    }
    if (x.src !== 10 && cls === 0x01) throw new Error('reference: loads only from the stack');
    if (cls === 0x01) {
      const size = sizeOf(x.code);
      const v = load(x.off, size);
      reg[x.dst] = (x.code & 0xe0) === 0x80 ? sx(v, size * 8) : v;
      pc++;
      continue;
    }
    if (x.dst !== 10) throw new Error('reference: stores only to the stack');
    if (cls === 0x02) {
      store(x.off, sizeOf(x.code), u64(BigInt(x.imm)));
      pc++;
      continue;
    }
    if ((x.code & 0xe0) === 0x60) {
      store(x.off, sizeOf(x.code), reg[x.src]!);
      pc++;
      continue;
    }
    // atomics
    const size = sizeOf(x.code);
    const mask = size === 8 ? M64 : M32;
    const old = load(x.off, size);
    const sv2 = reg[x.src]! & mask;
    let nv: bigint;
    switch (x.imm & ~1) {
      case 0x00:
        nv = (old + sv2) & mask;
        break;
      case 0x40:
        nv = old | sv2;
        break;
      case 0x50:
        nv = old & sv2;
        break;
      case 0xa0:
        nv = old ^ sv2;
        break;
      case 0xe0:
        nv = sv2;
        break;
      case 0xf0:
        nv = old === (reg[0]! & mask) ? sv2 : old;
        store(x.off, size, nv);
        reg[0] = old;
        pc++;
        continue;
      default:
        throw new Error(`reference: atomic ${x.imm}`);
    }
    store(x.off, size, nv);
    if (x.imm & 1) reg[x.src] = old;
    pc++;
  }
}
