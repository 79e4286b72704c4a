/**
 * The interpreter. Registers are 32-bit halves in one `Int32Array` (`R[2n]` low, `R[2n+1]`
 * high), instructions are predecoded typed arrays ({@link ProgramImage}), dispatch is one
 * `switch` on the opcode byte. No BigInt on the hot path except 64-bit division with operands
 * beyond 2^53.
 *
 * Runtime semantics follow Linux 6.18: 32-bit operations zero-extend; division by zero gives 0;
 * modulo by zero leaves dst (zero-extended in 32-bit); shift amounts are masked; signed division
 * of INT_MIN by -1 gives INT_MIN (modulo gives 0); bpf-to-bpf calls save r6-r9 and get a fresh
 * 512-byte stack frame (at most 8 frames); tail calls replace the current frame's program (at
 * most 33 per run); `may_goto` has a budget of 8,388,608 per frame.
 *
 * @module
 */

import type { EngineEnv, EngineMap, ProgramImage } from './env.js';
import {
  AddressSpace,
  EngineFault,
  FUNC_PTR_HI,
  MAP_PTR_HI,
  MAX_REGIONS,
  Perm,
  PTR_LO_BASE,
  ptr,
  REGION_HI_BASE,
  type RegionKind,
  regionPtr,
} from './memory.js';
import { MAX_CALL_FRAMES } from './program.js';

/** Bytes of stack per frame. */
export const STACK_SIZE = 512;
/** Maximum number of tail calls in one run (the kernel's MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALLS = 33;
/** Iterations `may_goto` allows per frame before it takes its jump (the kernel's BPF_MAX_LOOPS). */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

/**
 * A helper implementation. It reads its arguments with `vm.arg(1..5)` / `vm.argLo(n)` and sets
 * r0 with `vm.ret(value)` / `vm.retLo(u32)` / `vm.retInt(errno)`. It may throw an
 * {@link EngineFault} to stop the program.
 */
export type HelperFn = (vm: Vm) => void;

/** Result of one run. */
export interface RunResult {
  /** r0 at exit, as an unsigned 64-bit value. */
  readonly r0: bigint;
  /** Number of tail calls taken. */
  readonly tailCalls: number;
}

/** Options of {@link Vm}. */
export interface VmOptions {
  /**
   * Maximum number of backward jumps and calls per run before the run faults with `budget`
   * (protection against programs that were not verified). Default 1e8 (about a second).
   */
  budget?: number;
  /** Helper table (by id). Default: none; src/machine/helpers provides the kernel's. */
  helpers?: ReadonlyMap<number, HelperFn>;
  /**
   * kfuncs by BTF id (`call` with src_reg 2), called like helpers (r1-r5 in, r0 out). Default:
   * none (a kfunc call faults with `unsupported`).
   */
  kfuncs?: ReadonlyMap<number, HelperFn>;
}

const TWO32 = 4294967296;
// Module-local copies of the pointer tags (imported bindings are slower on the hot path).
const RB = REGION_HI_BASE;
const MAXR = MAX_REGIONS;
const MAPHI = MAP_PTR_HI;
/** Map pointers carry the map's index above this bit, the offset into struct bpf_map below. */
const MAP_PTR_SHIFT = 12;
const MAP_FIELD_MASK = (1 << MAP_PTR_SHIFT) - 1;
const FUNCHI = FUNC_PTR_HI;
const FRAMES = MAX_CALL_FRAMES;
const GOTO_BUDGET = 8 * 1024 * 1024;

/** High 32 bits of the unsigned 64-bit product of two u32. */
function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lo = a0 * b0;
  const m1 = a1 * b0;
  const m2 = a0 * b1;
  const t = (lo >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + Math.floor(t / 65536)) | 0;
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/**
 * 64-bit division/modulo on halves. `op`: 0 udiv, 1 umod, 2 sdiv, 3 smod. Divisor is non-zero.
 * Writes the result into R[d], R[d+1].
 */
function divmod64(R: Int32Array, d: number, bh: number, bl: number, op: number): void {
  const ah = R[d + 1]!;
  const al = R[d]!;
  let v: number;
  if (op < 2) {
    if (ah >>> 0 <= 0x1fffff && bh >>> 0 <= 0x1fffff) {
      const a = (ah >>> 0) * TWO32 + (al >>> 0);
      const b = (bh >>> 0) * TWO32 + (bl >>> 0);
      const r = a % b;
      v = op === 0 ? (a - r) / b : r;
    } else {
      const a = BigInt.asUintN(64, big(ah, al));
      const b = BigInt.asUintN(64, big(bh, bl));
      const r = op === 0 ? a / b : a % b;
      R[d] = Number(r & 0xffffffffn) | 0;
      R[d + 1] = Number(r >> 32n) | 0;
      return;
    }
  } else if ((ah >> 21 === 0 || ah >> 21 === -1) && (bh >> 21 === 0 || bh >> 21 === -1)) {
    const a = ah * TWO32 + (al >>> 0);
    const b = bh * TWO32 + (bl >>> 0);
    const r = a % b;
    v = op === 2 ? (a - r) / b : r;
  } else {
    const a = big(ah, al);
    const b = big(bh, bl);
    const r = BigInt.asUintN(64, op === 2 ? a / b : a % b);
    R[d] = Number(r & 0xffffffffn) | 0;
    R[d + 1] = Number(r >> 32n) | 0;
    return;
  }
  R[d] = v | 0;
  R[d + 1] = Math.floor(v / TWO32) | 0;
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Error used internally to unwind a run on `bpf_tail_call` failure paths etc. (never escapes). */
class ExitSignal {
  constructor(readonly r0: number) {}
}

/**
 * One execution context: registers, the address space (stack frames are fixed regions 1..8),
 * helper table and environment. Reusable across runs; not reentrant except through helpers
 * that call back into the program (`bpf_loop`).
 */
export class Vm {
  /** Registers r0..r10 as (low, high) int32 pairs. */
  readonly R = new Int32Array(22);
  /** The program's address space. */
  readonly memory = new AddressSpace();
  private _env: EngineEnv;
  private _helpers: ReadonlyMap<number, HelperFn>;
  /** kfuncs by BTF id. */
  kfuncs: ReadonlyMap<number, HelperFn>;
  /** Helper functions by id, rebuilt when the table changes. */
  private fns: (HelperFn | undefined)[] = [];
  /** Maps seen by this Vm, indexed by the low half of map pointers. */
  private mapTable: EngineMap[] = [];
  private mapIndex = new Map<EngineMap, number>();
  private budget0: number;
  private budget = 0;
  private tailCalls = 0;
  private pendingTail: ProgramImage | undefined;
  private image: ProgramImage | undefined;
  private pc = 0;
  private depth = 0;
  /** Per-frame saved r6..r9 (8 int32 per frame). */
  private saved = new Int32Array(MAX_CALL_FRAMES * 8);
  private retPc = new Int32Array(MAX_CALL_FRAMES);
  private frameImage: (ProgramImage | undefined)[] = new Array(MAX_CALL_FRAMES).fill(undefined);
  private mayGoto = new Int32Array(MAX_CALL_FRAMES);
  private stacks: Uint8Array[] = [];
  /** Region id of the socket buffer LD_ABS/LD_IND read (0: none); cleared by `memory.reset()`. */
  get packetRegion(): number {
    return this.memory.packetRegion;
  }

  set packetRegion(id: number) {
    this.memory.packetRegion = id;
  }
  /** State helpers may keep per Vm (random seed, clocks). */
  readonly helperState: { seed: number; clock: bigint } = { seed: 0x2545f491, clock: 0n };

  /**
   * @param env - the environment helpers use
   * @param options - helper table and budget
   */
  constructor(env: EngineEnv = {}, options: VmOptions = {}) {
    this._env = env;
    this._helpers = options.helpers ?? new Map();
    this.rebuildHelpers();
    this.budget0 = options.budget ?? 1e8;
    this.kfuncs = options.kfuncs ?? new Map();
    for (let i = 0; i < MAX_CALL_FRAMES; i++) {
      const s = new Uint8Array(STACK_SIZE);
      this.stacks.push(s);
      this.memory.add('stack', s, Perm.RW);
    }
    this.memory.freeze();
  }

  /** The environment helpers consult. */
  get env(): EngineEnv {
    return this._env;
  }

  set env(env: EngineEnv) {
    this._env = env;
    this.rebuildHelpers();
  }

  /** Helper table by id. */
  get helpers(): ReadonlyMap<number, HelperFn> {
    return this._helpers;
  }

  set helpers(h: ReadonlyMap<number, HelperFn>) {
    this._helpers = h;
    this.rebuildHelpers();
  }

  private rebuildHelpers(): void {
    const fns: (HelperFn | undefined)[] = [];
    for (const [id, fn] of this._helpers) if (id >= 0 && id < 4096) fns[id] = fn;
    for (let i = 0; i < fns.length; i++) if (fns[i] === undefined) fns[i] = undefined;
    this.fns = fns;
  }

  /** Drops every region but the stack frames (before building the next run's ctx and packet). */
  reset(): void {
    this.memory.reset();
  }

  /** Current call depth (0 = main program), for helpers. */
  get callDepth(): number {
    return this.depth;
  }

  /** The program currently running (for helpers). */
  get currentImage(): ProgramImage | undefined {
    return this.image;
  }

  /** Argument register `n` (1..5) as an unsigned 64-bit bigint. */
  arg(n: number): bigint {
    return ptr(this.R[2 * n + 1]!, this.R[2 * n]!);
  }

  /** Low 32 bits of register `n`, unsigned. */
  argLo(n: number): number {
    return this.R[2 * n]! >>> 0;
  }

  /** Sets r0 to a 64-bit value. */
  ret(v: bigint | number): void {
    const u = BigInt.asUintN(64, BigInt(v));
    this.R[0] = Number(u & 0xffffffffn) | 0;
    this.R[1] = Number(u >> 32n) | 0;
  }

  /** Sets r0 to a zero-extended u32. */
  retLo(v: number): void {
    this.R[0] = v | 0;
    this.R[1] = 0;
  }

  /** Sets r0 to a sign-extended int32 (negative errnos). */
  retInt(v: number): void {
    this.R[0] = v | 0;
    this.R[1] = (v | 0) >> 31;
  }

  /** The 64-bit pointer value the program uses for `map`. */
  mapPointer(map: EngineMap): bigint {
    return ptr(MAP_PTR_HI, this.mapId(map) << MAP_PTR_SHIFT);
  }

  private mapId(map: EngineMap): number {
    let i = this.mapIndex.get(map);
    if (i === undefined) {
      i = this.mapTable.length + 1;
      this.mapTable.push(map);
      this.mapIndex.set(map, i);
    }
    return i;
  }

  /** The map a pointer argument names; throws a `bad_call` fault when it is not a map pointer. */
  mapArg(n: number): EngineMap {
    const hi = this.R[2 * n + 1]!;
    const lo = this.R[2 * n]!;
    const m =
      hi === MAP_PTR_HI && (lo & MAP_FIELD_MASK) === 0
        ? this.mapTable[(lo >>> MAP_PTR_SHIFT) - 1]
        : undefined;
    if (!m) throw new EngineFault('bad_call', `r${n} is not a map pointer`, ptr(hi, lo));
    return m;
  }

  /** Makes (or reuses) a region over `bytes` and returns its pointer. */
  regionPointer(kind: RegionKind, bytes: Uint8Array, perm: number, offset = 0): bigint {
    const id = this.memory.regionFor(kind, bytes, perm);
    return regionPtr(id, offset);
  }

  /** Value region permission for a map's program-side access mode. */
  static mapPerm(map: EngineMap): number {
    return map.progAccess === 'ro' ? Perm.R : map.progAccess === 'wo' ? Perm.W : Perm.RW;
  }

  /** Requests a tail call to `image` once the current helper returns (used by `bpf_tail_call`). */
  requestTailCall(image: ProgramImage): boolean {
    if (this.tailCalls >= MAX_TAIL_CALLS) return false;
    this.tailCalls++;
    this.pendingTail = image;
    return true;
  }

  /**
   * Runs `image` from its first instruction with r1..r5 = `args`. Memory regions (ctx, packet)
   * must have been added to {@link Vm.memory} by the caller. Throws {@link EngineFault}.
   */
  run(image: ProgramImage, args: readonly bigint[] = []): RunResult {
    const R = this.R;
    R.fill(0);
    for (let i = 0; i < args.length && i < 5; i++) {
      const u = BigInt.asUintN(64, args[i]!);
      R[2 * (i + 1)] = Number(u & 0xffffffffn) | 0;
      R[2 * (i + 1) + 1] = Number(u >> 32n) | 0;
    }
    this.budget = this.budget0;
    this.tailCalls = 0;
    this.pendingTail = undefined;
    this.depth = -1;
    try {
      this.exec(image, 0);
    } catch (e) {
      if (e instanceof ExitSignal) {
        R[0] = e.r0;
        R[1] = 0;
      } else {
        this.depth = 0;
        throw e;
      }
    }
    this.depth = 0;
    return { r0: ptr(R[1]!, R[0]!), tailCalls: this.tailCalls };
  }

  /**
   * Calls the function at instruction `pc` of the running program with r1..r5 = `args` on a new
   * frame and returns its r0 (for callback helpers such as `bpf_loop`). r6-r9 and r10 of the
   * caller are preserved; r1-r5 are clobbered, as after any call.
   */
  callback(pc: number, args: readonly bigint[]): bigint {
    const image = this.image;
    if (!image || pc < 0 || pc >= image.length)
      throw new EngineFault('bad_call', `callback target ${pc} is not an instruction`);
    const R = this.R;
    const save = R.slice(12, 20);
    for (let i = 0; i < 5; i++) {
      const u = i < args.length ? BigInt.asUintN(64, args[i]!) : 0n;
      R[2 * (i + 1)] = Number(u & 0xffffffffn) | 0;
      R[2 * (i + 1) + 1] = Number(u >> 32n) | 0;
    }
    const outerPc = this.pc;
    const outerDepth = this.depth;
    const save10h = R[21]!;
    const save10l = R[20]!;
    this.exec(image, pc);
    this.image = image;
    this.pc = outerPc;
    this.depth = outerDepth;
    R.set(save, 12);
    R[20] = save10l;
    R[21] = save10h;
    return ptr(R[1]!, R[0]!);
  }

  private fault(
    kind: 'out_of_bounds' | 'null',
    hi: number,
    lo: number,
    size: number,
    write: boolean,
    pc: number,
    image: ProgramImage,
  ): never {
    const addr = ptr(hi, lo);
    try {
      this.memory.check(addr, size, write);
    } catch (e) {
      if (e instanceof EngineFault) throw e.at(pc, image.slot[pc]!);
      throw e;
    }
    throw new EngineFault(kind, `${size}-byte ${write ? 'write' : 'read'} failed`, addr, pc, image.slot[pc]!);
  }

  /** Slow path of the LDX cases: hooks, sign extension, or a fault. */
  private loadSlow(
    c: number,
    hi: number,
    a: number,
    size: number,
    d: number,
    pc: number,
    image: ProgramImage,
  ): void {
    // the real address: the predecoded offset has the region base taken off
    const t = a + PTR_LO_BASE;
    this.slowLoad(hi + (t < 0 ? -1 : t > 0xffffffff ? 1 : 0), t | 0, size, d, pc, image);
    if (c >= 0x81) {
      const R = this.R;
      if (size === 2) R[d] = (R[d]! << 16) >> 16;
      else if (size === 1) R[d] = (R[d]! << 24) >> 24;
      R[d + 1] = R[d]! >> 31;
    }
  }

  /** Slow-path load: hooks, or a fault. Returns the value in R[d], R[d+1]. */
  private slowLoad(hi: number, lo: number, size: number, d: number, pc: number, image: ProgramImage): void {
    const id = (hi - REGION_HI_BASE) | 0;
    const mem = this.memory;
    const o = (lo >>> 0) - PTR_LO_BASE; // the offset in the region
    if (id > 0 && id <= MAXR && (mem.perms[id]! & 4) !== 0 && o >= 0) {
      const v = mem.hooks[id]!.load?.(o, size);
      if (v !== undefined) {
        const u = BigInt.asUintN(64, v);
        this.R[d] = Number(u & 0xffffffffn) | 0;
        this.R[d + 1] = Number(u >> 32n) | 0;
        return;
      }
      if (o + size <= mem.sizes[id]! && (mem.perms[id]! & Perm.R) !== 0) {
        const dv = mem.views[id]!;
        this.R[d + 1] = 0;
        if (size === 1) this.R[d] = dv.getUint8(o);
        else if (size === 2) this.R[d] = dv.getUint16(o, true);
        else if (size === 4) this.R[d] = dv.getInt32(o, true);
        else {
          this.R[d] = dv.getInt32(o, true);
          this.R[d + 1] = dv.getInt32(o + 4, true);
        }
        return;
      }
    }
    if (hi === MAP_PTR_HI) {
      // A read of struct bpf_map fields through a map pointer (signed loaders read map->sha).
      const m = this.mapTable[(lo >>> MAP_PTR_SHIFT) - 1];
      const v = m?.structField?.(lo & MAP_FIELD_MASK, size);
      if (v !== undefined) {
        this.R[d] = Number(v & 0xffffffffn) | 0;
        this.R[d + 1] = Number(v >> 32n) | 0;
        return;
      }
    }
    this.fault(hi === 0 && lo === 0 ? 'null' : 'out_of_bounds', hi, lo, size, false, pc, image);
  }

  /** Slow path of the ST/STX cases: `a` is the region offset the fast path computed. */
  private storeSlow(
    hi: number,
    a: number,
    size: number,
    vh: number,
    vl: number,
    pc: number,
    image: ProgramImage,
  ): void {
    // the real address: the predecoded offset has the region base taken off
    const t = a + PTR_LO_BASE;
    this.slowStore(hi + (t < 0 ? -1 : t > 0xffffffff ? 1 : 0), t | 0, size, vh, vl, pc, image);
  }

  /** Slow-path store through hooks, or a fault. */
  private slowStore(
    hi: number,
    lo: number,
    size: number,
    vh: number,
    vl: number,
    pc: number,
    image: ProgramImage,
  ): void {
    const id = (hi - REGION_HI_BASE) | 0;
    const mem = this.memory;
    const o = (lo >>> 0) - PTR_LO_BASE; // the offset in the region
    if (id > 0 && id <= MAXR && (mem.perms[id]! & 4) !== 0 && o >= 0) {
      const h = mem.hooks[id]!;
      if (h.store) {
        if (h.store(o, size, ptr(vh, vl))) return;
      } else if (o + size <= mem.sizes[id]! && (mem.perms[id]! & Perm.W) !== 0) {
        const dv = mem.views[id]!;
        if (size === 1) dv.setUint8(o, vl & 0xff);
        else if (size === 2) dv.setUint16(o, vl & 0xffff, true);
        else if (size === 4) dv.setInt32(o, vl, true);
        else {
          dv.setInt32(o, vl, true);
          dv.setInt32(o + 4, vh, true);
        }
        return;
      }
    }
    this.fault(hi === 0 && lo === 0 ? 'null' : 'out_of_bounds', hi, lo, size, true, pc, image);
  }

  /**
   * Runs until the frame entered here exits. On entry the caller has set r1..r5; this sets r10
   * and pushes a frame.
   */
  private exec(entryImage: ProgramImage, entryPc: number): void {
    const R = this.R;
    const mem = this.memory;
    const sizes = mem.sizes;
    const perms = mem.perms;
    const views = mem.views;
    let image = entryImage;
    let ins = image.ops;
    let pc = entryPc;
    const base = this.depth + 1;
    let depth = base;
    if (depth >= FRAMES)
      throw new EngineFault(
        'call_depth',
        `call depth exceeds ${FRAMES} frames`,
        undefined,
        this.pc,
        this.image?.slot[this.pc] ?? -1,
      );
    this.depth = depth;
    this.frameImage[depth] = image;
    this.mayGoto[depth] = GOTO_BUDGET;
    this.stacks[depth]!.fill(0);
    R[20] = 512 + PTR_LO_BASE;
    R[21] = RB + 1 + depth;
    this.image = image;
    let budget = this.budget;
    let d = 0;
    let s = 0;
    let a = 0;
    let b = 0;
    let h = 0;
    let t = 0;
    for (;;) {
      const p = pc << 2;
      const w = ins[p]!;
      const c = w & 0xff;
      switch (c) {
        // ---------------- ALU64 ----------------
        case 0x07: // add imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) + (b >>> 0);
          R[d] = a | 0;
          R[d + 1] = (R[d + 1]! + (b >> 31) + (a > 0xffffffff ? 1 : 0)) | 0;
          break;
        case 0x0f: // add reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = (R[d]! >>> 0) + (R[s]! >>> 0);
          R[d + 1] = (R[d + 1]! + R[s + 1]! + (a > 0xffffffff ? 1 : 0)) | 0;
          R[d] = a | 0;
          break;
        case 0x17: // sub imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) - (b >>> 0);
          R[d] = a | 0;
          R[d + 1] = (R[d + 1]! - (b >> 31) - (a < 0 ? 1 : 0)) | 0;
          break;
        case 0x1f: // sub reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = (R[d]! >>> 0) - (R[s]! >>> 0);
          R[d + 1] = (R[d + 1]! - R[s + 1]! - (a < 0 ? 1 : 0)) | 0;
          R[d] = a | 0;
          break;
        case 0x27: // mul imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = R[d]!;
          R[d + 1] = (mulhu(a >>> 0, b >>> 0) + Math.imul(a, b >> 31) + Math.imul(R[d + 1]!, b)) | 0;
          R[d] = Math.imul(a, b);
          break;
        case 0x2f: // mul reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[d]!;
          b = R[s]!;
          R[d + 1] = (mulhu(a >>> 0, b >>> 0) + Math.imul(a, R[s + 1]!) + Math.imul(R[d + 1]!, b)) | 0;
          R[d] = Math.imul(a, b);
          break;
        case 0x37: // div / sdiv imm
        case 0x97: // mod / smod imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          if (b === 0) {
            if (c === 0x37) R[d] = R[d + 1] = 0;
          } else divmod64(R, d, b >> 31, b, (c === 0x37 ? 0 : 1) + (ins[p + 1] === 1 ? 2 : 0));
          break;
        case 0x3f: // div / sdiv reg
        case 0x9f: // mod / smod reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = R[s]!;
          h = R[s + 1]!;
          if (b === 0 && h === 0) {
            if (c === 0x3f) R[d] = R[d + 1] = 0;
          } else divmod64(R, d, h, b, (c === 0x3f ? 0 : 1) + (ins[p + 1] === 1 ? 2 : 0));
          break;
        case 0x47: // or imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          R[d] |= b;
          R[d + 1] |= b >> 31;
          break;
        case 0x4f:
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          R[d] |= R[s]!;
          R[d + 1] |= R[s + 1]!;
          break;
        case 0x57: // and imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          R[d] &= b;
          R[d + 1] &= b >> 31;
          break;
        case 0x5f:
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          R[d] &= R[s]!;
          R[d + 1] &= R[s + 1]!;
          break;
        case 0x67: // lsh imm
        case 0x6f:
          d = (w >>> 7) & 0x1e;
          b = (c === 0x67 ? ins[p + 2]! : R[(w >>> 11) & 0x1e]!) & 63;
          if (b !== 0) {
            if (b < 32) {
              R[d + 1] = (R[d + 1]! << b) | (R[d]! >>> (32 - b));
              R[d] = R[d]! << b;
            } else {
              R[d + 1] = R[d]! << (b - 32);
              R[d] = 0;
            }
          }
          break;
        case 0x77: // rsh
        case 0x7f:
          d = (w >>> 7) & 0x1e;
          b = (c === 0x77 ? ins[p + 2]! : R[(w >>> 11) & 0x1e]!) & 63;
          if (b !== 0) {
            if (b < 32) {
              R[d] = (R[d]! >>> b) | (R[d + 1]! << (32 - b));
              R[d + 1] = R[d + 1]! >>> b;
            } else {
              R[d] = R[d + 1]! >>> (b - 32);
              R[d + 1] = 0;
            }
          }
          break;
        case 0xc7: // arsh
        case 0xcf:
          d = (w >>> 7) & 0x1e;
          b = (c === 0xc7 ? ins[p + 2]! : R[(w >>> 11) & 0x1e]!) & 63;
          if (b !== 0) {
            if (b < 32) {
              R[d] = (R[d]! >>> b) | (R[d + 1]! << (32 - b));
              R[d + 1] = R[d + 1]! >> b;
            } else {
              R[d] = R[d + 1]! >> (b - 32);
              R[d + 1] = R[d + 1]! >> 31;
            }
          }
          break;
        case 0x87: // neg
          d = (w >>> 7) & 0x1e;
          a = R[d]!;
          R[d] = -a | 0;
          R[d + 1] = (~R[d + 1]! + (a === 0 ? 1 : 0)) | 0;
          break;
        case 0xa7: // xor imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          R[d] ^= b;
          R[d + 1] ^= b >> 31;
          break;
        case 0xaf:
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          R[d] ^= R[s]!;
          R[d + 1] ^= R[s + 1]!;
          break;
        case 0xb7: // mov imm
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          R[d] = b;
          R[d + 1] = b >> 31;
          break;
        case 0xbf: // mov reg / movsx / addr_space_cast
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          switch (ins[p + 1]) {
            case 0:
              R[d] = R[s]!;
              R[d + 1] = R[s + 1]!;
              break;
            case 8:
              R[d] = (R[s]! << 24) >> 24;
              R[d + 1] = R[d]! >> 31;
              break;
            case 16:
              R[d] = (R[s]! << 16) >> 16;
              R[d + 1] = R[d]! >> 31;
              break;
            case 32:
              R[d] = R[s]!;
              R[d + 1] = R[s]! >> 31;
              break;
            default:
              throw new EngineFault(
                'unsupported',
                'addr_space_cast: arenas are not supported',
                undefined,
                pc,
                image.slot[pc]!,
              );
          }
          break;
        case 0xd7: // bswap
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          if (b === 16) {
            a = R[d]!;
            R[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff);
            R[d + 1] = 0;
          } else if (b === 32) {
            R[d] = bswap32(R[d]!);
            R[d + 1] = 0;
          } else {
            a = R[d]!;
            R[d] = bswap32(R[d + 1]!);
            R[d + 1] = bswap32(a);
          }
          break;
        // ---------------- ALU (32-bit) ----------------
        case 0x04:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! + ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0x0c:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! + R[(w >>> 11) & 0x1e]!;
          R[d + 1] = 0;
          break;
        case 0x14:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! - ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0x1c:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! - R[(w >>> 11) & 0x1e]!;
          R[d + 1] = 0;
          break;
        case 0x24:
          d = (w >>> 7) & 0x1e;
          R[d] = Math.imul(R[d]!, ins[p + 2]!);
          R[d + 1] = 0;
          break;
        case 0x2c:
          d = (w >>> 7) & 0x1e;
          R[d] = Math.imul(R[d]!, R[(w >>> 11) & 0x1e]!);
          R[d + 1] = 0;
          break;
        case 0x34: // div32 / sdiv32
        case 0x3c:
        case 0x94: // mod32 / smod32
        case 0x9c:
          d = (w >>> 7) & 0x1e;
          b = c === 0x34 || c === 0x94 ? ins[p + 2]! : R[(w >>> 11) & 0x1e]!;
          a = R[d]!;
          if (b === 0) {
            if (c === 0x34 || c === 0x3c) R[d] = 0;
          } else if (ins[p + 1] === 1) {
            R[d] = c === 0x34 || c === 0x3c ? (a / b) | 0 : (a % b) | 0;
          } else {
            const ua = a >>> 0;
            const ub = b >>> 0;
            R[d] = c === 0x34 || c === 0x3c ? Math.floor(ua / ub) | 0 : (ua % ub) | 0;
          }
          R[d + 1] = 0;
          break;
        case 0x44:
          d = (w >>> 7) & 0x1e;
          R[d] |= ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0x4c:
          d = (w >>> 7) & 0x1e;
          R[d] |= R[(w >>> 11) & 0x1e]!;
          R[d + 1] = 0;
          break;
        case 0x54:
          d = (w >>> 7) & 0x1e;
          R[d] &= ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0x5c:
          d = (w >>> 7) & 0x1e;
          R[d] &= R[(w >>> 11) & 0x1e]!;
          R[d + 1] = 0;
          break;
        case 0x64:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! << (ins[p + 2]! & 31);
          R[d + 1] = 0;
          break;
        case 0x6c:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! << (R[(w >>> 11) & 0x1e]! & 31);
          R[d + 1] = 0;
          break;
        case 0x74:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! >>> (ins[p + 2]! & 31);
          R[d + 1] = 0;
          break;
        case 0x7c:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! >>> (R[(w >>> 11) & 0x1e]! & 31);
          R[d + 1] = 0;
          break;
        case 0xc4:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! >> (ins[p + 2]! & 31);
          R[d + 1] = 0;
          break;
        case 0xcc:
          d = (w >>> 7) & 0x1e;
          R[d] = R[d]! >> (R[(w >>> 11) & 0x1e]! & 31);
          R[d + 1] = 0;
          break;
        case 0x84:
          d = (w >>> 7) & 0x1e;
          R[d] = -R[d]! | 0;
          R[d + 1] = 0;
          break;
        case 0xa4:
          d = (w >>> 7) & 0x1e;
          R[d] ^= ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0xac:
          d = (w >>> 7) & 0x1e;
          R[d] ^= R[(w >>> 11) & 0x1e]!;
          R[d + 1] = 0;
          break;
        case 0xb4:
          d = (w >>> 7) & 0x1e;
          R[d] = ins[p + 2]!;
          R[d + 1] = 0;
          break;
        case 0xbc:
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = ins[p + 1]!;
          R[d] = b === 8 ? (R[s]! << 24) >> 24 : b === 16 ? (R[s]! << 16) >> 16 : R[s]!;
          R[d + 1] = 0;
          break;
        case 0xd4: // le
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          if (b === 16) R[d] &= 0xffff;
          if (b !== 64) R[d + 1] = 0;
          break;
        case 0xdc: // be
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          if (b === 16) {
            a = R[d]!;
            R[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff);
            R[d + 1] = 0;
          } else if (b === 32) {
            R[d] = bswap32(R[d]!);
            R[d + 1] = 0;
          } else {
            a = R[d]!;
            R[d] = bswap32(R[d + 1]!);
            R[d + 1] = bswap32(a);
          }
          break;
        // ---------------- JMP ----------------
        case 0x05: // ja
        case 0x06: // gotol
          t = ins[p + 1]!;
          if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
          pc = t;
          continue;
        case 0xe5: // may_goto
          if (this.mayGoto[depth]! <= 0) {
            pc = ins[p + 1]!;
            continue;
          }
          this.mayGoto[depth]!--;
          break;
        case 0x15:
        case 0x1d:
        case 0x55:
        case 0x5d:
          d = (w >>> 7) & 0x1e;
          if (c & 8) {
            s = (w >>> 11) & 0x1e;
            a = R[s]!;
            h = R[s + 1]!;
          } else {
            a = ins[p + 2]!;
            h = a >> 31;
          }
          if ((R[d] === a && R[d + 1] === h) === c < 0x50) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x25: {
          // jgt imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 > h >>> 0 : R[d]! >>> 0 > a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x2d: {
          // jgt reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 > h >>> 0 : R[d]! >>> 0 > a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x35: {
          // jge imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 > h >>> 0 : R[d]! >>> 0 >= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x3d: {
          // jge reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 > h >>> 0 : R[d]! >>> 0 >= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xa5: {
          // jlt imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 < h >>> 0 : R[d]! >>> 0 < a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xad: {
          // jlt reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 < h >>> 0 : R[d]! >>> 0 < a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xb5: {
          // jle imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 < h >>> 0 : R[d]! >>> 0 <= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xbd: {
          // jle reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh >>> 0 < h >>> 0 : R[d]! >>> 0 <= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x65: {
          // jsgt imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh > h : R[d]! >>> 0 > a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x6d: {
          // jsgt reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh > h : R[d]! >>> 0 > a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x75: {
          // jsge imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh > h : R[d]! >>> 0 >= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x7d: {
          // jsge reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh > h : R[d]! >>> 0 >= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xc5: {
          // jslt imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh < h : R[d]! >>> 0 < a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xcd: {
          // jslt reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh < h : R[d]! >>> 0 < a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xd5: {
          // jsle imm
          d = (w >>> 7) & 0x1e;
          a = ins[p + 2]!;
          h = a >> 31;
          const dh = R[d + 1]!;
          if (dh !== h ? dh < h : R[d]! >>> 0 <= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0xdd: {
          // jsle reg
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          a = R[s]!;
          h = R[s + 1]!;
          const dh = R[d + 1]!;
          if (dh !== h ? dh < h : R[d]! >>> 0 <= a >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        }
        case 0x45: // jset
        case 0x4d:
          d = (w >>> 7) & 0x1e;
          if (c & 8) {
            s = (w >>> 11) & 0x1e;
            a = R[s]!;
            h = R[s + 1]!;
          } else {
            a = ins[p + 2]!;
            h = a >> 31;
          }
          if ((R[d]! & a) !== 0 || (R[d + 1]! & h) !== 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        // ---------------- JMP32 ----------------
        case 0x16:
        case 0x1e:
        case 0x56:
        case 0x5e:
          a = c & 8 ? R[(w >>> 11) & 0x1e]! : ins[p + 2]!;
          if ((R[(w >>> 7) & 0x1e] === a) === c < 0x50) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x26: // jgt32 imm
          if (R[(w >>> 7) & 0x1e]! >>> 0 > ins[p + 2]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x2e: // jgt32 reg
          if (R[(w >>> 7) & 0x1e]! >>> 0 > R[(w >>> 11) & 0x1e]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x36: // jge32 imm
          if (R[(w >>> 7) & 0x1e]! >>> 0 >= ins[p + 2]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x3e: // jge32 reg
          if (R[(w >>> 7) & 0x1e]! >>> 0 >= R[(w >>> 11) & 0x1e]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xa6: // jlt32 imm
          if (R[(w >>> 7) & 0x1e]! >>> 0 < ins[p + 2]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xae: // jlt32 reg
          if (R[(w >>> 7) & 0x1e]! >>> 0 < R[(w >>> 11) & 0x1e]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xb6: // jle32 imm
          if (R[(w >>> 7) & 0x1e]! >>> 0 <= ins[p + 2]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xbe: // jle32 reg
          if (R[(w >>> 7) & 0x1e]! >>> 0 <= R[(w >>> 11) & 0x1e]! >>> 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x66: // jsgt32 imm
          if (R[(w >>> 7) & 0x1e]! > ins[p + 2]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x6e: // jsgt32 reg
          if (R[(w >>> 7) & 0x1e]! > R[(w >>> 11) & 0x1e]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x76: // jsge32 imm
          if (R[(w >>> 7) & 0x1e]! >= ins[p + 2]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x7e: // jsge32 reg
          if (R[(w >>> 7) & 0x1e]! >= R[(w >>> 11) & 0x1e]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xc6: // jslt32 imm
          if (R[(w >>> 7) & 0x1e]! < ins[p + 2]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xce: // jslt32 reg
          if (R[(w >>> 7) & 0x1e]! < R[(w >>> 11) & 0x1e]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xd6: // jsle32 imm
          if (R[(w >>> 7) & 0x1e]! <= ins[p + 2]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0xde: // jsle32 reg
          if (R[(w >>> 7) & 0x1e]! <= R[(w >>> 11) & 0x1e]!) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        case 0x46:
        case 0x4e:
          a = c & 8 ? R[(w >>> 11) & 0x1e]! : ins[p + 2]!;
          if ((R[(w >>> 7) & 0x1e]! & a) !== 0) {
            t = ins[p + 1]!;
            if (t <= pc && --budget < 0) this.outOfBudget(pc, image);
            pc = t;
            continue;
          }
          break;
        // ---------------- calls and exit ----------------
        case 0x85:
        case 0x8d: {
          let target = -1;
          let helper = -1;
          if (c === 0x8d) {
            // callx: a code pointer (PSEUDO_FUNC) calls a function; a small integer names a helper
            // (the convention of the conformance suite's runner).
            d = (w >>> 7) & 0x1e;
            if (R[d + 1] === FUNCHI) target = R[d]!;
            else if (R[d + 1] === 0 && R[d]! >= 0) helper = R[d]!;
            else
              throw new EngineFault(
                'bad_call',
                `callx through r${(w >>> 8) & 15} which holds no function`,
                ptr(R[d + 1]!, R[d]!),
                pc,
                image.slot[pc]!,
              );
            if (target >= image.length)
              throw new EngineFault(
                'bad_call',
                `callx target ${target} is outside the program`,
                undefined,
                pc,
                image.slot[pc]!,
              );
          } else if (((w >>> 12) & 15) === 1) target = ins[p + 1]!;
          else if (((w >>> 12) & 15) === 0) helper = ins[p + 2]!;
          let fn: HelperFn | undefined;
          if (c === 0x85 && ((w >>> 12) & 15) === 2) {
            fn = this.kfuncs.get(ins[p + 2]!);
            if (!fn)
              throw new EngineFault(
                'unsupported',
                `kfunc with BTF id ${ins[p + 2]} is not available`,
                undefined,
                pc,
                image.slot[pc]!,
              );
          }
          if (target >= 0) {
            if (--budget < 0) this.outOfBudget(pc, image);
            if (depth + 1 >= FRAMES)
              throw new EngineFault(
                'call_depth',
                `call depth exceeds ${FRAMES} frames`,
                undefined,
                pc,
                image.slot[pc]!,
              );
            const sv = depth << 3;
            this.saved.set(R.subarray(12, 20), sv);
            this.retPc[depth] = pc + 1;
            depth++;
            this.depth = depth;
            this.frameImage[depth] = image;
            this.mayGoto[depth] = GOTO_BUDGET;
            this.stacks[depth]!.fill(0);
            R[20] = 512 + PTR_LO_BASE;
            R[21] = RB + 1 + depth;
            pc = target;
            continue;
          }
          if (!fn) fn = helper >= 0 && helper < this.fns.length ? this.fns[helper] : undefined;
          if (!fn)
            throw new EngineFault('bad_call', `unknown helper ${helper}`, undefined, pc, image.slot[pc]!);
          this.pc = pc;
          this.depth = depth;
          this.budget = budget;
          try {
            fn(this);
          } catch (e) {
            if (e instanceof EngineFault) throw e.at(pc, image.slot[pc]!);
            throw e;
          }
          budget = this.budget;
          // r1-r5 are clobbered by a call (the load-time check refuses reads of them).
          if (this.pendingTail) {
            image = this.pendingTail;
            this.pendingTail = undefined;
            this.image = image;
            this.frameImage[depth] = image;
            ins = image.ops;
            // r1 = ctx (the first argument of bpf_tail_call), the stack frame is reused.
            R[2] = this.tailCtxLo;
            R[3] = this.tailCtxHi;
            R[20] = 512 + PTR_LO_BASE;
            R[21] = RB + 1 + depth;
            pc = 0;
            continue;
          }
          break;
        }
        case 0x95: // exit
          if (depth === base) {
            this.depth = base - 1;
            this.budget = budget;
            return;
          }
          depth--;
          this.depth = depth;
          R.set(this.saved.subarray(depth << 3, (depth << 3) + 8), 12);
          R[20] = 512 + PTR_LO_BASE;
          R[21] = RB + 1 + depth;
          pc = this.retPc[depth]!;
          if (this.frameImage[depth] !== image) {
            image = this.frameImage[depth]!;
            this.image = image;
            ins = image.ops;
          }
          continue;
        // ---------------- loads ----------------
        case 0x18: {
          d = (w >>> 7) & 0x1e;
          const k = image.ldKind[pc]!;
          if (k === 0) {
            R[d] = ins[p + 2]!;
            R[d + 1] = image.imm2[pc]!;
          } else if (k === 3) {
            R[d] = ins[p + 2]!;
            R[d + 1] = FUNCHI;
          } else {
            const m = image.ldMap[pc]!;
            if (k === 1) {
              R[d] = this.mapId(m) << MAP_PTR_SHIFT;
              R[d + 1] = MAPHI;
            } else {
              const id = mem.regionFor('map_value', m.directValue!()!, Vm.mapPerm(m));
              R[d] = image.imm2[pc]! + PTR_LO_BASE;
              R[d + 1] = RB + id;
            }
          }
          break;
        }
        case 0x79: // ldxdw
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 8 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getInt32(a, true);
            R[d + 1] = dv.getInt32(a + 4, true);
          } else this.loadSlow(c, R[s + 1]!, a, 8, d, pc, image);
          break;
        case 0x61: // ldxw
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 4 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getInt32(a, true);
            R[d + 1] = 0;
          } else this.loadSlow(c, R[s + 1]!, a, 4, d, pc, image);
          break;
        case 0x69: // ldxh
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 2 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getUint16(a, true);
            R[d + 1] = 0;
          } else this.loadSlow(c, R[s + 1]!, a, 2, d, pc, image);
          break;
        case 0x71: // ldxb
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 1 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getUint8(a);
            R[d + 1] = 0;
          } else this.loadSlow(c, R[s + 1]!, a, 1, d, pc, image);
          break;
        case 0x81: // ldxsw
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 4 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getInt32(a, true);
            R[d + 1] = R[d]! >> 31;
          } else this.loadSlow(c, R[s + 1]!, a, 4, d, pc, image);
          break;
        case 0x89: // ldxsh
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 2 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getInt16(a, true);
            R[d + 1] = R[d]! >> 31;
          } else this.loadSlow(c, R[s + 1]!, a, 2, d, pc, image);
          break;
        case 0x91: // ldxsb
          s = (w >>> 11) & 0x1e;
          d = (w >>> 7) & 0x1e;
          a = (R[s]! >>> 0) + ins[p + 1]!;
          h = (R[s + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 1 <= sizes[h]! && (perms[h]! & 5) === 1) {
            const dv = views[h]!;
            R[d] = dv.getInt8(a);
            R[d + 1] = R[d]! >> 31;
          } else this.loadSlow(c, R[s + 1]!, a, 1, d, pc, image);
          break;
        case 0x7b: // stxdw
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = R[s]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 8 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setInt32(a, b, true);
            dv.setInt32(a + 4, R[s + 1]!, true);
          } else this.storeSlow(R[d + 1]!, a, 8, R[s + 1]!, b, pc, image);
          break;
        case 0x63: // stxw
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = R[s]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 4 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setInt32(a, b, true);
          } else this.storeSlow(R[d + 1]!, a, 4, R[s + 1]!, b, pc, image);
          break;
        case 0x6b: // stxh
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = R[s]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 2 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setUint16(a, b & 0xffff, true);
          } else this.storeSlow(R[d + 1]!, a, 2, R[s + 1]!, b, pc, image);
          break;
        case 0x73: // stxb
          d = (w >>> 7) & 0x1e;
          s = (w >>> 11) & 0x1e;
          b = R[s]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 1 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setUint8(a, b & 0xff);
          } else this.storeSlow(R[d + 1]!, a, 1, R[s + 1]!, b, pc, image);
          break;
        case 0x7a: // stdw
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 8 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setInt32(a, b, true);
            dv.setInt32(a + 4, b >> 31, true);
          } else this.storeSlow(R[d + 1]!, a, 8, b >> 31, b, pc, image);
          break;
        case 0x62: // stw
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 4 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setInt32(a, b, true);
          } else this.storeSlow(R[d + 1]!, a, 4, b >> 31, b, pc, image);
          break;
        case 0x6a: // sth
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 2 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setUint16(a, b & 0xffff, true);
          } else this.storeSlow(R[d + 1]!, a, 2, b >> 31, b, pc, image);
          break;
        case 0x72: // stb
          d = (w >>> 7) & 0x1e;
          b = ins[p + 2]!;
          a = (R[d]! >>> 0) + ins[p + 1]!;
          h = (R[d + 1]! - RB) | 0;
          if (h > 0 && h <= MAXR && a >= 0 && a + 1 <= sizes[h]! && (perms[h]! & 6) === 2) {
            const dv = views[h]!;
            dv.setUint8(a, b & 0xff);
          } else this.storeSlow(R[d + 1]!, a, 1, b >> 31, b, pc, image);
          break;
        case 0xc3: // atomic w
        case 0xdb: // atomic dw
        case 0xcb: // load_acquire / store_release h
        case 0xd3: // b
          this.atomic(c, pc, image);
          break;
        case 0x20: // ld_abs w/h/b
        case 0x28:
        case 0x30:
        case 0x40: // ld_ind
        case 0x48:
        case 0x50: {
          b = (c & 0x18) === 0 ? 4 : (c & 0x18) === 8 ? 2 : 1;
          a = ins[p + 2]! + (c >= 0x40 ? R[(w >>> 11) & 0x1e]! : 0);
          const id = mem.packetRegion;
          if (id === 0)
            throw new EngineFault(
              'unsupported',
              'LD_ABS/LD_IND need a socket buffer',
              undefined,
              pc,
              image.slot[pc]!,
            );
          if (a < 0 || a + b > sizes[id]!) {
            // The kernel's legacy packet loads end the program with r0 = 0 when out of bounds.
            R[0] = 0;
            R[1] = 0;
            if (depth !== base) throw new ExitSignal(0);
            this.depth = base - 1;
            this.budget = budget;
            return;
          }
          const dv = views[id]!;
          R[0] = b === 4 ? dv.getInt32(a, false) : b === 2 ? dv.getUint16(a, false) : dv.getUint8(a);
          R[1] = 0;
          break;
        }
        case 0x00: // INVALID_OP (a literal keeps the switch a jump table)
          // prepareProgram's `invalidInsns: 'fault'`: the verifier refuses this instruction
          // wherever its walk reaches it, so running it is a verifier bug.
          throw new EngineFault(
            'invalid_insn',
            `instruction ${pc} (opcode 0x${image.code[pc]!.toString(16).padStart(2, '0')}) has an invalid encoding or writes r10 and must not run`,
            undefined,
            pc,
            image.slot[pc]!,
          );
        default:
          throw new EngineFault(
            'unsupported',
            `opcode 0x${c.toString(16)} is not executable`,
            undefined,
            pc,
            image.slot[pc]!,
          );
      }
      pc++;
    }
  }

  /** ctx argument of the pending tail call (set by the tail_call helper). */
  tailCtxLo = 0;
  /** ctx argument of the pending tail call (high half). */
  tailCtxHi = 0;

  private outOfBudget(pc: number, image: ProgramImage): never {
    throw new EngineFault(
      'budget',
      `instruction budget exhausted (${this.budget0} backward jumps and calls)`,
      undefined,
      pc,
      image.slot[pc]!,
    );
  }

  private atomic(c: number, pc: number, image: ProgramImage): void {
    const R = this.R;
    const d = image.dst[pc]! << 1;
    const s = image.src[pc]! << 1;
    const op = image.imm[pc]!;
    const size = c === 0xdb ? 8 : c === 0xc3 ? 4 : c === 0xcb ? 2 : 1;
    if (op === 0x100) {
      // load_acquire: dst = *(src + off)
      const addr = BigInt.asUintN(64, ptr(R[s + 1]!, R[s]!) + BigInt(image.off[pc]!));
      const v = this.readN(addr, size, pc, image);
      R[d] = Number(v & 0xffffffffn) | 0;
      R[d + 1] = Number(v >> 32n) | 0;
      return;
    }
    const addr = BigInt.asUintN(64, ptr(R[d + 1]!, R[d]!) + BigInt(image.off[pc]!));
    if (op === 0x110) {
      this.writeN(addr, size, ptr(R[s + 1]!, R[s]!), pc, image);
      return;
    }
    const mask = size === 8 ? 0xffffffffffffffffn : 0xffffffffn;
    const old = this.readN(addr, size, pc, image);
    const sv = ptr(R[s + 1]!, R[s]!) & mask;
    let nv: bigint;
    switch (op & ~1) {
      case 0x00:
        nv = (old + sv) & mask;
        break;
      case 0x40:
        nv = old | sv;
        break;
      case 0x50:
        nv = old & sv;
        break;
      case 0xa0:
        nv = old ^ sv;
        break;
      case 0xe0:
        nv = sv;
        break;
      case 0xf0: {
        const r0 = ptr(R[1]!, R[0]!) & mask;
        nv = old === r0 ? sv : old;
        if (nv !== old) this.writeN(addr, size, nv, pc, image);
        R[0] = Number(old & 0xffffffffn) | 0;
        R[1] = Number(old >> 32n) | 0;
        return;
      }
      default:
        throw new EngineFault(
          'unsupported',
          `atomic operation 0x${op.toString(16)}`,
          undefined,
          pc,
          image.slot[pc]!,
        );
    }
    this.writeN(addr, size, nv, pc, image);
    if (op & 1) {
      R[s] = Number(old & 0xffffffffn) | 0;
      R[s + 1] = Number(old >> 32n) | 0;
    }
  }

  private readN(addr: bigint, size: number, pc: number, image: ProgramImage): bigint {
    try {
      const r = this.memory.check(addr, size, false);
      const dv = this.memory.views[r.id]!;
      if (size === 8) return dv.getBigUint64(r.offset, true);
      if (size === 4) return BigInt(dv.getUint32(r.offset, true));
      if (size === 2) return BigInt(dv.getUint16(r.offset, true));
      return BigInt(dv.getUint8(r.offset));
    } catch (e) {
      if (e instanceof EngineFault) throw e.at(pc, image.slot[pc]!);
      throw e;
    }
  }

  private writeN(addr: bigint, size: number, v: bigint, pc: number, image: ProgramImage): void {
    try {
      const r = this.memory.check(addr, size, true);
      const dv = this.memory.views[r.id]!;
      if (size === 8) dv.setBigUint64(r.offset, BigInt.asUintN(64, v), true);
      else if (size === 4) dv.setUint32(r.offset, Number(v & 0xffffffffn), true);
      else if (size === 2) dv.setUint16(r.offset, Number(v & 0xffffn), true);
      else dv.setUint8(r.offset, Number(v & 0xffn));
    } catch (e) {
      if (e instanceof EngineFault) throw e.at(pc, image.slot[pc]!);
      throw e;
    }
  }
}
