/**
 * Program preparation: structural checks and predecoding of {@link Insn} lists into typed arrays
 * the interpreter dispatches on. Jump and call offsets (which count slots) become logical
 * instruction indexes; `ld_imm64` pseudo loads are resolved through a {@link MapResolver}.
 *
 * @module
 */

import { encodingError, type Insn } from '../../isa/insn.js';
import { LD_IMM64, Pseudo } from '../../isa/opcodes.js';
import { FormatError } from '../../util/errors.js';
import type { EngineMap, MapResolver, ProgramImage } from './env.js';
import { PTR_LO_BASE } from './memory.js';

/** What an `ld_imm64` loads, per instruction (in {@link ProgramImage.ldKind}). */
export const LdKind = {
  /** A constant (also resolved BTF ids). */
  CONST: 0,
  /** A map pointer: {@link ProgramImage.ldMap}. */
  MAP: 1,
  /** A pointer into the map's direct value at offset `imm2`. */
  MAP_VALUE: 2,
  /** A code pointer to instruction `imm` (PSEUDO_FUNC). */
  FUNC: 3,
} as const;

export type { ProgramImage } from './env.js';

/** Options of {@link prepareProgram}. */
export interface PrepareOptions {
  /** Resolver for map pseudo loads; without it they are rejected. */
  resolver?: MapResolver;
  /**
   * Check that no path reads a register before writing it (the part of the verifier the
   * conformance suite relies on). Default true.
   */
  checkUninit?: boolean;
  /** Argument registers set when the main program starts (default 1: r1 = ctx; conformance runs use 2). */
  entryArgs?: number;
  /**
   * Accept `callx` (JMP|CALL|X: call through a register), which Linux 6.18 does not load but
   * RFC 9669 defines and the conformance suite uses. Default false.
   */
  allowCallx?: boolean;
  /**
   * What to do with an instruction whose encoding is invalid ({@link encodingError}: a reserved
   * field set, a register above r10) or that writes r10. `'reject'` (the default) refuses the
   * program. `'fault'` accepts it for the machine's loads, where the verifier refuses such an
   * instruction when its walk reaches it (as Linux does in do_check) and so lets it stand on a
   * branch it proves dead: the instruction is predecoded as opcode 0, which the interpreter never
   * executes (an `EngineFault` of kind `'invalid_insn'`: reaching one is a verifier bug).
   */
  invalidInsns?: 'reject' | 'fault';
}

/** Opcode byte, in {@link ProgramImage.ops}, of an instruction that must never run. */
export const INVALID_OP = 0x00;

/** Maximum bpf-to-bpf call depth (frames), as in the kernel. */
export const MAX_CALL_FRAMES = 8;

function fail(insns: readonly Insn[], slots: Int32Array, k: number, reason: string): never {
  const s = k < insns.length ? slots[k]! : slots[insns.length]!;
  throw new FormatError(`slot ${s}`, reason, s * 8);
}

/** Registers (bit set) an instruction reads; `-1` when it is a call (handled separately). */
function readsOf(insn: Insn): number {
  const cls = insn.code & 7;
  const x = (insn.code & 8) !== 0;
  const op = insn.code & 0xf0;
  const d = 1 << insn.dst;
  const s = 1 << insn.src;
  switch (cls) {
    case 4:
    case 7:
      if (op === 0xb0) return x ? s : 0; // mov
      if (op === 0x80 || op === 0xd0) return d; // neg, end
      return x ? d | s : d;
    case 5:
    case 6:
      if (op === 0x00 || op === 0xe0) return 0; // ja, may_goto
      if (op === 0x90) return 1; // exit reads r0
      if (op === 0x80) return x ? d : 0;
      return x ? d | s : d;
    case 0:
      if (insn.code === LD_IMM64) return 0;
      return (insn.code & 0xe0) === 0x40 ? s | (1 << 6) : 1 << 6; // LD_ABS/IND read r6 (ctx)
    case 1:
      return s;
    case 2:
      return d;
    default: // STX
      if ((insn.code & 0xe0) === 0xc0) {
        if (insn.imm === 0x100) return s; // load_acquire
        if (insn.imm === 0xf1) return d | s | 1; // cmpxchg reads r0
      }
      return d | s;
  }
}

/** Registers an instruction writes. */
function writesOf(insn: Insn): number {
  const cls = insn.code & 7;
  switch (cls) {
    case 4:
    case 7:
      return 1 << insn.dst;
    case 0:
      return insn.code === LD_IMM64 ? 1 << insn.dst : 1; // LD_ABS/IND write r0
    case 1:
      return 1 << insn.dst;
    case 3:
      if ((insn.code & 0xe0) === 0xc0) {
        if (insn.imm === 0x100) return 1 << insn.dst;
        if (insn.imm === 0xf1) return 1;
        if (insn.imm & 1) return 1 << insn.src;
      }
      return 0;
    default:
      return 0;
  }
}

/**
 * Checks a program's structure and predecodes it. Throws a {@link FormatError} naming the slot
 * for: invalid encodings and writes to r10 (unless {@link PrepareOptions.invalidInsns} is
 * `'fault'`), jumps out of the program or into the middle of an `ld_imm64`, a path falling off
 * the end, local calls to bad targets, unresolvable pseudo loads, and (unless disabled) reads of
 * registers no path has written (the kernel's `!read_ok`).
 */
export function prepareProgram(insns: readonly Insn[], options: PrepareOptions = {}): ProgramImage {
  const n = insns.length;
  const slots = new Int32Array(n + 1);
  let total = 0;
  for (let k = 0; k < n; k++) {
    slots[k] = total;
    total += insns[k]!.code === LD_IMM64 ? 2 : 1;
  }
  slots[n] = total;
  if (n === 0) throw new FormatError('slot 0', 'program has no instructions', 0);
  const slotToInsn = new Int32Array(total + 1).fill(-1);
  for (let k = 0; k <= n; k++) slotToInsn[slots[k]!] = k;

  const code = new Uint8Array(n);
  const dst = new Uint8Array(n);
  const src = new Uint8Array(n);
  const off = new Int32Array(n);
  const imm = new Int32Array(n);
  const imm2 = new Int32Array(n);
  const ldKind = new Uint8Array(n);
  const ldMap: (EngineMap | undefined)[] = new Array(n).fill(undefined);
  const maps: EngineMap[] = [];
  const succ: number[][] = new Array(n);
  const callTargets = new Set<number>([0]);

  // Targets are relative to the slot after the instruction's first slot (for ld_imm64
  // PSEUDO_FUNC too: the kernel resolves slot + imm + 1).
  const target = (k: number, rel: number, what: string): number => {
    const s = slots[k]! + 1 + rel;
    if (s < 0 || s >= total) fail(insns, slots, k, `${what} target slot ${s} is outside the program`);
    const t = slotToInsn[s]!;
    if (t < 0) fail(insns, slots, k, `${what} target slot ${s} is the second half of an ld_imm64`);
    return t;
  };

  const deferInvalid = options.invalidInsns === 'fault';
  /** 1 for an instruction kept in the image that must never execute (`invalidInsns: 'fault'`). */
  const invalid = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const insn = insns[k]!;
    const callx = insn.code === 0x8d && options.allowCallx === true;
    if (callx && (insn.src !== 0 || insn.off !== 0 || insn.imm !== 0 || insn.dst > 9))
      fail(insns, slots, k, 'callx uses reserved fields');
    const why = callx ? undefined : encodingError(insn);
    if (why !== undefined) {
      if (!deferInvalid) fail(insns, slots, k, why);
      invalid[k] = 1;
    }
    code[k] = insn.code;
    dst[k] = insn.dst;
    src[k] = insn.src;
    off[k] = insn.off;
    imm[k] = insn.imm;
    const cls = insn.code & 7;
    const op = insn.code & 0xf0;
    // (Atomics that fetch into r10 are refused only in the verifier's loads: marked, not rejected.)
    if (invalid[k] === 0 && writesOf(insn) & (1 << 10) && (cls !== 3 || deferInvalid)) {
      if (!deferInvalid) fail(insns, slots, k, 'frame pointer r10 is read only');
      invalid[k] = 1;
    }
    const next = k + 1;
    if (cls === 5 || cls === 6) {
      if (op === 0x90) succ[k] = [];
      else if (op === 0x00) {
        const t = target(k, cls === 6 ? insn.imm : insn.off, 'jump');
        off[k] = t;
        succ[k] = [t];
      } else if (op === 0x80) {
        if (insn.src === 1 && (insn.code & 8) === 0) {
          const t = target(k, insn.imm, 'call');
          off[k] = t;
          callTargets.add(t);
        }
        succ[k] = [next];
      } else {
        const t = target(k, insn.off, 'jump');
        off[k] = t;
        succ[k] = [next, t];
      }
    } else succ[k] = [next];
    if (insn.code === LD_IMM64) {
      imm2[k] = insn.imm2 ?? 0;
      switch (insn.src) {
        case Pseudo.NONE:
          break;
        case Pseudo.MAP_FD:
        case Pseudo.MAP_VALUE:
        case Pseudo.MAP_IDX:
        case Pseudo.MAP_IDX_VALUE: {
          const byIdx = insn.src === Pseudo.MAP_IDX || insn.src === Pseudo.MAP_IDX_VALUE;
          const m = options.resolver?.map(byIdx ? 'idx' : 'fd', insn.imm);
          if (!m)
            fail(
              insns,
              slots,
              k,
              `ld_imm64 refers to ${byIdx ? 'fd_array index' : 'fd'} ${insn.imm}, which is not a map`,
            );
          if (!maps.includes(m)) maps.push(m);
          ldMap[k] = m;
          if (insn.src === Pseudo.MAP_VALUE || insn.src === Pseudo.MAP_IDX_VALUE) {
            const v = m.directValue?.();
            if (!v) fail(insns, slots, k, `map ${m.id} has no direct value access`);
            if (imm2[k]! < 0 || imm2[k]! >= v.length)
              fail(
                insns,
                slots,
                k,
                `value offset ${imm2[k]} is outside map ${m.id}'s value (size ${v.length})`,
              );
            ldKind[k] = LdKind.MAP_VALUE;
          } else {
            ldKind[k] = LdKind.MAP;
          }
          break;
        }
        case Pseudo.BTF_ID: {
          const v = options.resolver?.btfId?.(insn.imm, insn.imm2 ?? 0);
          if (v === undefined) fail(insns, slots, k, `ld_imm64 BTF id ${insn.imm} cannot be resolved`);
          const u = BigInt.asUintN(64, v);
          imm[k] = Number(BigInt.asIntN(32, u & 0xffffffffn));
          imm2[k] = Number(BigInt.asIntN(32, u >> 32n));
          break;
        }
        case Pseudo.FUNC: {
          const t = target(k, insn.imm, 'function pointer');
          imm[k] = t;
          ldKind[k] = LdKind.FUNC;
          callTargets.add(t);
          break;
        }
        default:
          fail(insns, slots, k, `unknown ld_imm64 pseudo kind ${insn.src}`);
      }
    }
  }
  for (let k = 0; k < n; k++) {
    for (const t of succ[k]!)
      if (t >= n) fail(insns, slots, k, 'control flow falls off the end of the program');
  }
  const ops = new Int32Array(n * 4);
  for (let k = 0; k < n; k++) {
    ops[k * 4] = (invalid[k] === 0 ? code[k]! : INVALID_OP) | (dst[k]! << 8) | (src[k]! << 12);
    // (a memory instruction's offset with the region base of its pointer taken off: the interpreter
    // adds it to the pointer's low half and has the offset in the region)
    const cls = code[k]! & 7;
    ops[k * 4 + 1] = cls >= 1 && cls <= 3 ? off[k]! - PTR_LO_BASE : off[k]!;
    ops[k * 4 + 2] = imm[k]!;
    ops[k * 4 + 3] = imm2[k]!;
  }
  if (options.checkUninit ?? true)
    checkUninit(insns, slots, succ, callTargets, options.entryArgs ?? 1, invalid);
  return { length: n, ops, code, dst, src, off, imm, imm2, ldKind, ldMap, slot: slots, maps, insns };
}

const REG_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10'];

/**
 * Must-be-initialized analysis: at each entry (main program and every function/callback) r1 and
 * r10 are set (r1-r5 for subprograms, which may take up to five arguments); calls set r0 and
 * leave r1-r5 unreadable; a register read where some path has not written it is rejected. An
 * `invalid` instruction (one that faults) ends its paths.
 */
function checkUninit(
  insns: readonly Insn[],
  slots: Int32Array,
  succ: number[][],
  entries: Set<number>,
  entryArgs: number,
  invalid: Uint8Array,
): void {
  const n = insns.length;
  const ALL = 0x7ff;
  const state = new Int32Array(n).fill(-1); // -1: not reached yet; else bit set of initialized registers
  const work: number[] = [];
  for (const e of entries) {
    const init = e === 0 ? (1 << 1) | (1 << 10) : 0x3e | (1 << 10);
    state[e] = state[e] === -1 ? init : state[e]! & init;
    work.push(e);
  }
  for (let r = 2; r <= entryArgs; r++) state[0] = state[0]! | (1 << r);
  while (work.length > 0) {
    const k = work.pop()!;
    if (invalid[k] !== 0) continue; // faults if it runs: reads nothing, nothing follows
    const insn = insns[k]!;
    const have = state[k]!;
    const reads = readsOf(insn);
    const missing = reads & ~have & ALL;
    if (missing !== 0) {
      const r = 31 - Math.clz32(missing & -missing);
      fail(insns, slots, k, `${REG_NAMES[r]} is read before it is written (!read_ok)`);
    }
    let out = have | writesOf(insn);
    const cls = insn.code & 7;
    if (cls === 5 && (insn.code & 0xf0) === 0x80) out = (have & ~0x3e) | 1;
    for (const t of succ[k]!) {
      const cur = state[t]!;
      const nxt = cur === -1 ? out : cur & out;
      if (nxt !== cur) {
        state[t] = nxt;
        work.push(t);
      }
    }
  }
}
