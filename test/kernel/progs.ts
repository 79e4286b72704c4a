/**
 * A generator of verifier-safe straight-line programs for kernel tests: random ALU (64/32-bit,
 * imm and reg), negation, byte swaps, 64-bit immediates, stack stores and loads, forward
 * conditional skips and helper calls, all on registers it initialised first. Deterministic for a
 * seed (xorshift32).
 */
import * as B from '../../src/isa/builder.js';
import type { Insn } from '../../src/isa/insn.js';

/** xorshift32 generator: deterministic for a seed. */
export class Rng {
  #s: number;
  /** @param seed - non-zero seed */
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** A signed 32-bit integer, biased towards small values and edges. */
  imm(): number {
    switch (this.int(4)) {
      case 0:
        return this.int(16) - 8;
      case 1:
        return [0, 1, -1, 0x7fffffff, -0x80000000][this.int(5)]!;
      default:
        return this.u32() | 0;
    }
  }
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const REGS = [B.R0, B.R1, B.R2, B.R3, B.R4, B.R5] as const;
const IMM64 = [B.add64Imm, B.sub64Imm, B.mul64Imm, B.or64Imm, B.and64Imm, B.xor64Imm, B.mov64Imm];
const IMM32 = [B.add32Imm, B.sub32Imm, B.mul32Imm, B.or32Imm, B.and32Imm, B.xor32Imm, B.mov32Imm];
const REG64 = [
  B.add64Reg,
  B.sub64Reg,
  B.mul64Reg,
  B.or64Reg,
  B.and64Reg,
  B.xor64Reg,
  B.mov64Reg,
  B.div64Reg,
  B.mod64Reg,
];
const REG32 = [
  B.add32Reg,
  B.sub32Reg,
  B.mul32Reg,
  B.or32Reg,
  B.and32Reg,
  B.xor32Reg,
  B.mov32Reg,
  B.div32Reg,
  B.mod32Reg,
];
const SWAPS = [B.le16, B.le32, B.le64, B.be16, B.be32, B.be64, B.bswap16, B.bswap32, B.bswap64];
const JMPS = [B.jeqImm, B.jneImm, B.jgtImm, B.jsltImm, B.jsetImm];

/**
 * A random safe program body (no exit): `n` instructions (roughly) over r0..r5, with stack slots
 * fp-8..fp-64 and helper calls (`bpf_ktime_get_ns`, `bpf_get_prandom_u32`) that re-initialise
 * the clobbered registers. r0 is a scalar at the end.
 */
export function randomBody(rng: Rng, n: number): Insn[] {
  const out: Insn[] = [];
  for (const r of REGS) out.push(B.mov64Imm(r, rng.imm()));
  const stored: number[] = [];
  while (out.length < n) {
    const d = rng.pick(REGS);
    const s = rng.pick(REGS);
    switch (rng.int(11)) {
      case 0:
      case 1:
        out.push(rng.pick(IMM64)(d, rng.imm()));
        break;
      case 2:
        out.push(rng.pick(IMM32)(d, rng.imm()));
        break;
      case 3:
        out.push(rng.pick(REG64)(d, s));
        break;
      case 4:
        out.push(rng.pick(REG32)(d, s));
        break;
      case 5: {
        const shifts64 = [B.lsh64Imm, B.rsh64Imm, B.arsh64Imm];
        const shifts32 = [B.lsh32Imm, B.rsh32Imm, B.arsh32Imm];
        if (rng.int(2) === 0) out.push(rng.pick(shifts64)(d, rng.int(64)));
        else out.push(rng.pick(shifts32)(d, rng.int(32)));
        const divs = [B.div64Imm, B.mod64Imm, B.div32Imm, B.mod32Imm];
        out.push(rng.pick(divs)(d, rng.int(1000) + 1));
        break;
      }
      case 6:
        out.push(rng.int(2) === 0 ? rng.pick(SWAPS)(d) : rng.int(2) === 0 ? B.neg64(d) : B.neg32(d));
        break;
      case 7:
        out.push(B.ldImm64(d, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())));
        break;
      case 8: {
        const slot = -8 * (rng.int(8) + 1);
        out.push(B.stxDW(B.R10, slot, s));
        stored.push(slot);
        if (rng.int(2) === 0) out.push(B.ldxDW(d, B.R10, rng.pick(stored)));
        break;
      }
      case 9:
        // if (d op imm) skip one instruction
        out.push(rng.pick(JMPS)(d, rng.imm(), 1), B.mov64Imm(rng.pick(REGS), rng.imm()));
        break;
      case 10:
        out.push(B.call(rng.int(2) === 0 ? 5 : 7));
        for (const r of [B.R1, B.R2, B.R3, B.R4, B.R5]) out.push(B.mov64Imm(r, rng.imm()));
        break;
    }
  }
  return out;
}
