/**
 * The verifier's scalar domain: a tristate number (tnum: `value` bits known, `mask` bits unknown)
 * plus signed and unsigned bounds in 64 and 32 bits, with the ALU rules of the Linux verifier
 * (bounds from tnums and back, overflow makes a bound unknown, 32-bit results zero-extend).
 *
 * Every operation over-approximates: the concrete result of the operation on any values the
 * inputs admit is admitted by the output. Values are unsigned bigints (0..2^64-1) for tnums and
 * unsigned 64-bit bounds, signed bigints for signed 64-bit bounds, and plain numbers for the
 * 32-bit bounds (exact in a double, and much cheaper than bigints).
 *
 * @module
 */

/** 2^64 - 1. */
export const U64_MAX = (1n << 64n) - 1n;
/** 2^63 - 1. */
export const S64_MAX = (1n << 63n) - 1n;
/** -2^63. */
export const S64_MIN = -(1n << 63n);
/** 2^32 - 1. */
export const U32_MAX = 0xffffffffn;
/** 2^31 - 1. */
export const S32_MAX = 0x7fffffffn;
/** -2^31. */
export const S32_MIN = -0x80000000n;

/** An abstract scalar value. */
export interface Scalar {
  /** tnum value (known bits). */
  tv: bigint;
  /** tnum mask (unknown bits). */
  tm: bigint;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  /** Signed 32-bit bounds of the low half, -2^31..2^31-1. */
  s32min: number;
  s32max: number;
  /** Unsigned 32-bit bounds of the low half, 0..2^32-1. */
  u32min: number;
  u32max: number;
}

const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** The low 32 bits of a bigint, as a number 0..2^32-1. */
const lo32 = (v: bigint): number => (v >= 0n && v <= U32_MAX ? Number(v) : Number(BigInt.asUintN(32, v)));
const SIGN64 = 1n << 63n;
const TWO64 = 1n << 64n;
const TWO32 = 1n << 32n;
const HI32 = U64_MAX & ~U32_MAX;
/** Number forms of the 32-bit limits. */
const U32_MAXN = 0xffffffff;
const S32_MAXN = 0x7fffffff;
const S32_MINN = -0x80000000;

/** A fully unknown scalar. */
export function unknown(): Scalar {
  return {
    tv: 0n,
    tm: U64_MAX,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MINN,
    s32max: S32_MAXN,
    u32min: 0,
    u32max: U32_MAXN,
  };
}

/** The constant `v` (taken modulo 2^64). */
export function constant(v: bigint): Scalar {
  const u = v >= 0n && v <= U64_MAX ? v : u64(v);
  const l = lo32(u);
  const sl = l | 0;
  const su = u <= S64_MAX ? u : u - TWO64;
  return {
    tv: u,
    tm: 0n,
    smin: su,
    smax: su,
    umin: u,
    umax: u,
    s32min: sl,
    s32max: sl,
    u32min: l,
    u32max: l,
  };
}

const RANGE_CACHE = new Map<bigint, Scalar>();

/**
 * An unsigned range [lo, hi] (64-bit). Ranges [0, 2^k - 1] come from a cache: scalars are never
 * changed in place once made (refinement works on copies).
 */
export function urange(lo: bigint, hi: bigint): Scalar {
  if (lo === 0n && (hi & (hi + 1n)) === 0n) {
    const c = RANGE_CACHE.get(hi);
    if (c !== undefined) return c;
    const s = unknown();
    s.umax = hi;
    const r = sync(s);
    RANGE_CACHE.set(hi, r);
    return r;
  }
  const s = unknown();
  s.umin = lo;
  s.umax = hi;
  return sync(s);
}

/** A copy. */
export function copy(s: Scalar): Scalar {
  return {
    tv: s.tv,
    tm: s.tm,
    smin: s.smin,
    smax: s.smax,
    umin: s.umin,
    umax: s.umax,
    s32min: s.s32min,
    s32max: s.s32max,
    u32min: s.u32min,
    u32max: s.u32max,
  };
}

/** True when the value is known exactly. */
export function isConst(s: Scalar): boolean {
  return s.tm === 0n;
}

/** True when the low 32 bits are known exactly. */
export function isConst32(s: Scalar): boolean {
  return (s.tm & U32_MAX) === 0n;
}

/** True when the bounds admit no value (a contradiction, e.g. on a branch that cannot be taken). */
export function isEmpty(s: Scalar): boolean {
  return (
    s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max || (s.tv & s.tm) !== 0n
  );
}

/** Number of significant bits of a positive bigint below 2^64 (a number: no bigint allocated). */
function bitLength(v: bigint): number {
  // Number(v) rounds to 53 bits: exact below 2^53, and above it the bit length can only be wrong
  // when rounding carried up to a power of two (then the exact way below)
  const x = Number(v);
  if (x < 4294967296) return 32 - Math.clz32(x);
  const hi = Math.floor(x / 4294967296);
  if (x < 9007199254740992 || (hi & (hi - 1)) !== 0) return 64 - Math.clz32(hi);
  const h = Number(v >> 32n);
  return 64 - Math.clz32(h);
}

/** LOW_MASKS[k] = 2^k - 1 for k in 0..64 (shared constants: rangeMask allocates nothing). */
const LOW_MASKS: readonly bigint[] = Array.from({ length: 65 }, (_, k) => (1n << BigInt(k)) - 1n);

/** The mask of the tnum of the range [lo, hi] (its value is `lo & ~mask`). */
function rangeMask(lo: bigint, hi: bigint): bigint {
  const chi = lo ^ hi;
  if (chi === 0n) return 0n;
  const bits = bitLength(chi);
  if (bits > 63) return U64_MAX;
  return LOW_MASKS[bits]!;
}

/** Intersects two tnums; undefined when they contradict. */
function tnumIntersect(av: bigint, am: bigint, bv: bigint, bm: bigint): [bigint, bigint] {
  const v = av | bv;
  const mu = am & bm;
  return [v & ~mu & U64_MAX, mu];
}

/**
 * Tightens all bounds and the tnum against each other (the kernel's reg_bounds_sync). May produce
 * an empty scalar when the inputs contradict; see {@link isEmpty}.
 */
export function sync(s: Scalar): Scalar {
  if (s.tm === 0n) {
    // a constant: everything follows from the value (or the bounds contradict it)
    const v = s.tv;
    const sv = s64(v);
    const l = lo32(v);
    const sl = l | 0;
    if (
      v < s.umin ||
      v > s.umax ||
      sv < s.smin ||
      sv > s.smax ||
      l < s.u32min ||
      l > s.u32max ||
      sl < s.s32min ||
      sl > s.s32max
    ) {
      s.umin = 1n;
      s.umax = 0n;
      return s;
    }
    s.umin = s.umax = v;
    s.smin = s.smax = sv;
    s.u32min = s.u32max = l;
    s.s32min = s.s32max = sl;
    return s;
  }
  if (
    s.tm === U64_MAX &&
    s.tv === 0n &&
    s.umin === 0n &&
    s.umax === U64_MAX &&
    s.smin === S64_MIN &&
    s.smax === S64_MAX &&
    s.u32min === 0 &&
    s.u32max === U32_MAXN &&
    s.s32min === S32_MINN &&
    s.s32max === S32_MAXN
  ) {
    // fully unknown: no bound or bit can tell anything about another
    return s;
  }
  if (s.tv < TWO32 && s.tm < TWO32 && syncLow(s)) return s;
  for (let round = 0; round < 3; round++) {
    const tv0 = s.tv;
    const tm0 = s.tm;
    // tnum -> 64-bit bounds ((x & S64_MAX) is its own signed value: no asIntN needed)
    const tvm = s.tv | s.tm;
    s.umin = max(s.umin, s.tv);
    s.umax = min(s.umax, tvm);
    const sbits = s.tv | (s.tm & SIGN64);
    s.smin = max(s.smin, sbits >= SIGN64 ? sbits - TWO64 : sbits);
    s.smax = min(s.smax, tvm & S64_MAX);
    // tnum -> 32-bit bounds (numbers: `| 0` reads 32 bits as signed, `>>> 0` as unsigned)
    const lv = lo32(s.tv);
    const lm = lo32(s.tm);
    const lvm = (lv | lm) >>> 0;
    if (lv > s.u32min) s.u32min = lv;
    if (lvm < s.u32max) s.u32max = lvm;
    const lbits = lv | (lm & 0x80000000);
    if (lbits > s.s32min) s.s32min = lbits;
    if ((lvm & S32_MAXN) < s.s32max) s.s32max = lvm & S32_MAXN;
    // 64-bit signed <-> unsigned
    if (s.smin >= 0n || s.smax < 0n) {
      s.umin = max(s.umin, u64(s.smin));
      s.umax = min(s.umax, u64(s.smax));
    }
    if (s.umax <= S64_MAX || s.umin > S64_MAX) {
      s.smin = max(s.smin, s64(s.umin));
      s.smax = min(s.smax, s64(s.umax));
    }
    // 32-bit signed <-> unsigned
    if (s.s32min >= 0 || s.s32max < 0) {
      s.u32min = Math.max(s.u32min, s.s32min >>> 0);
      s.u32max = Math.min(s.u32max, s.s32max >>> 0);
    }
    if (s.u32max <= S32_MAXN || s.u32min > S32_MAXN) {
      s.s32min = Math.max(s.s32min, s.u32min | 0);
      s.s32max = Math.min(s.s32max, s.u32max | 0);
    }
    // 64-bit -> 32-bit when the upper halves agree
    // (equal upper 32 bits, floor(x / 2^32), of two bounds: their xor is in [0, 2^32))
    const ux = s.umin ^ s.umax;
    const uSameHi = ux >= 0n && ux < TWO32;
    let ulo = 0;
    let uhi = 0;
    if (uSameHi) {
      ulo = lo32(s.umin);
      uhi = lo32(s.umax);
      if (ulo > s.u32min) s.u32min = ulo;
      if (uhi < s.u32max) s.u32max = uhi;
    }
    // (the low halves of a range inside one 2^32 block are ordered as signed 32-bit values only
    // when the block's range does not cross 0x80000000)
    const sx = s.smin ^ s.smax;
    if (sx >= 0n && sx < TWO32) {
      const slo = lo32(s.smin) | 0;
      const shi = lo32(s.smax) | 0;
      if (slo <= shi) {
        if (slo > s.s32min) s.s32min = slo;
        if (shi < s.s32max) s.s32max = shi;
      }
    }
    if (uSameHi && (ulo | 0) <= (uhi | 0)) {
      if ((ulo | 0) > s.s32min) s.s32min = ulo | 0;
      if ((uhi | 0) < s.s32max) s.s32max = uhi | 0;
    }
    // 32-bit -> 64-bit when the upper 32 bits are known
    if (s.tm >> 32n === 0n) {
      const hi = s.tv & HI32;
      s.umin = max(s.umin, hi | BigInt(s.u32min));
      s.umax = min(s.umax, hi | BigInt(s.u32max));
    }
    // a 64-bit range inside [S32_MIN, S32_MAX] whose low half is non-negative: the value is its low
    // half (the upper bits cannot be all ones), as Linux's __reg_deduce_mixed_bounds has it
    if (s.s32min >= 0 && s.smin >= -0x80000000n && s.smax <= 0x7fffffffn) {
      s.smin = max(s.smin, BigInt(s.s32min));
      s.smax = min(s.smax, BigInt(s.s32max));
      s.umin = max(s.umin, BigInt(s.s32min));
      s.umax = min(s.umax, BigInt(s.s32max));
    }
    if (isEmpty(s)) return s;
    // bounds -> tnum
    // (tnumRange and tnumIntersect, inlined: this runs for every computed scalar)
    const rm = rangeMask(s.umin, s.umax);
    if (rm !== U64_MAX) {
      const mu = s.tm & rm;
      s.tv = (s.tv | (s.umin & ~rm & U64_MAX)) & ~mu & U64_MAX;
      s.tm = mu;
    }
    // the low half from the 32-bit bounds, in numbers
    const chi = (s.u32min ^ s.u32max) >>> 0;
    const rm32 = chi === 0 ? 0 : chi >= 0x80000000 ? U32_MAXN : 2 ** (32 - Math.clz32(chi)) - 1;
    if (rm32 !== U32_MAXN) {
      const rv32 = (s.u32min & ~rm32) >>> 0;
      const mu = s.tm & (HI32 | BigInt(rm32));
      s.tv = (s.tv | BigInt(rv32)) & ~mu & U64_MAX;
      s.tm = mu;
    }
    // another round only when the bounds taught the tnum something (as the kernel's reg_bounds_sync,
    // which ends with the bounds of the new tnum)
    if (s.tv === tv0 && s.tm === tm0) break;
  }
  return s;
}

/**
 * {@link sync} for a scalar whose tnum knows the upper 32 bits are zero (loaded bytes, halves and
 * words, masked or shifted values: most scalars of a program), in numbers: the same steps, rounds
 * and results as the general code, without a bigint operation until the result is stored. Returns
 * false, changing nothing, when the bounds contradict the tnum (the general code then makes the
 * same empty scalar as always).
 */
function syncLow(s: Scalar): boolean {
  let tv = Number(s.tv);
  let tm = Number(s.tm);
  // round 0's tnum -> 64-bit bounds brings every 64-bit bound into [0, 2^32) unless they contradict
  let tvm = (tv | tm) >>> 0;
  if (s.umin >= TWO32 || s.smin >= TWO32 || s.smax < 0n) return false;
  let umin = Math.max(Number(s.umin), tv);
  let umax = s.umax >= TWO32 ? tvm : Math.min(Number(s.umax), tvm);
  let smin = s.smin < 0n ? tv : Math.max(Number(s.smin), tv);
  let smax = s.smax >= TWO32 ? tvm : Math.min(Number(s.smax), tvm);
  let { u32min, u32max, s32min, s32max } = s;
  for (let round = 0; round < 3; round++) {
    const tv0 = tv;
    const tm0 = tm;
    if (round > 0) {
      tvm = (tv | tm) >>> 0;
      umin = Math.max(umin, tv);
      umax = Math.min(umax, tvm);
      smin = Math.max(smin, tv);
      smax = Math.min(smax, tvm);
    }
    // tnum -> 32-bit bounds
    u32min = Math.max(u32min, tv);
    u32max = Math.min(u32max, tvm);
    s32min = Math.max(s32min, tv | (tm & 0x80000000));
    s32max = Math.min(s32max, tvm & S32_MAXN);
    // 64-bit signed <-> unsigned (both non-negative here)
    if (smin >= 0 || smax < 0) {
      umin = Math.max(umin, smin);
      umax = Math.min(umax, smax);
    }
    smin = Math.max(smin, umin);
    smax = Math.min(smax, umax);
    // 32-bit signed <-> unsigned
    if (s32min >= 0 || s32max < 0) {
      u32min = Math.max(u32min, s32min >>> 0);
      u32max = Math.min(u32max, s32max >>> 0);
    }
    if (u32max <= S32_MAXN || u32min > S32_MAXN) {
      s32min = Math.max(s32min, u32min | 0);
      s32max = Math.min(s32max, u32max | 0);
    }
    // 64-bit -> 32-bit: the upper halves agree (zero)
    u32min = Math.max(u32min, umin);
    u32max = Math.min(u32max, umax);
    if ((smin | 0) <= (smax | 0)) {
      s32min = Math.max(s32min, smin | 0);
      s32max = Math.min(s32max, smax | 0);
    }
    if ((umin | 0) <= (umax | 0)) {
      s32min = Math.max(s32min, umin | 0);
      s32max = Math.min(s32max, umax | 0);
    }
    // 32-bit -> 64-bit: the upper 32 bits are known (zero)
    umin = Math.max(umin, u32min);
    umax = Math.min(umax, u32max);
    // (the mixed-bounds rule of the general code, for non-negative values)
    if (s32min >= 0 && smax <= S32_MAXN) {
      smin = Math.max(smin, s32min);
      smax = Math.min(smax, s32max);
      umin = Math.max(umin, s32min);
      umax = Math.min(umax, s32max);
    }
    if (umin > umax || smin > smax || u32min > u32max || s32min > s32max || (tv & tm) !== 0) return false;
    // bounds -> tnum
    let chi = (umin ^ umax) >>> 0;
    let rm = chi === 0 ? 0 : chi >= 0x80000000 ? U32_MAXN : 2 ** (32 - Math.clz32(chi)) - 1;
    let mu = (tm & rm) >>> 0;
    tv = ((tv | (umin & ~rm)) & ~mu) >>> 0;
    tm = mu;
    chi = (u32min ^ u32max) >>> 0;
    rm = chi === 0 ? 0 : chi >= 0x80000000 ? U32_MAXN : 2 ** (32 - Math.clz32(chi)) - 1;
    if (rm !== U32_MAXN) {
      mu = (tm & rm) >>> 0;
      tv = ((tv | (u32min & ~rm)) & ~mu) >>> 0;
      tm = mu;
    }
    if (tv === tv0 && tm === tm0) break;
  }
  s.tv = BigInt(tv);
  s.tm = BigInt(tm);
  s.umin = BigInt(umin);
  s.umax = BigInt(umax);
  s.smin = BigInt(smin);
  s.smax = BigInt(smax);
  s.u32min = u32min;
  s.u32max = u32max;
  s.s32min = s32min;
  s.s32max = s32max;
  return true;
}

/** An unknown scalar with the given tnum; callers narrow the bounds and then {@link sync}. */
function fromTnum(tv: bigint, tm: bigint): Scalar {
  return {
    tv,
    tm,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MINN,
    s32max: S32_MAXN,
    u32min: 0,
    u32max: U32_MAXN,
  };
}

function tnumAdd(a: Scalar, b: Scalar): [bigint, bigint] {
  const sm = u64(a.tm + b.tm);
  const sv = u64(a.tv + b.tv);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.tm | b.tm;
  return [sv & ~mu & U64_MAX, mu];
}

function tnumSub(a: Scalar, b: Scalar): [bigint, bigint] {
  const dv = u64(a.tv - b.tv);
  const alpha = u64(dv + a.tm);
  const beta = u64(dv - b.tm);
  const chi = alpha ^ beta;
  const mu = chi | a.tm | b.tm;
  return [dv & ~mu & U64_MAX, mu];
}

function tnumMul(a: Scalar, b: Scalar): [bigint, bigint] {
  // Sound and simple: exact when both known; else known low zero bits only.
  if (a.tm === 0n && b.tm === 0n) return [u64(a.tv * b.tv), 0n];
  const z = trailingZeros(a.tv | a.tm) + trailingZeros(b.tv | b.tm);
  if (z >= 64) return [0n, 0n];
  return [0n, U64_MAX & ~LOW_MASKS[z]!];
}

/** Trailing zero bits of a value below 2^64 (64 for 0). */
function trailingZeros(v: bigint): number {
  if (v === 0n) return 64;
  const lo = Number(v & U32_MAX);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Number(v >> 32n);
  return 63 - Math.clz32(hi & -hi);
}

/** ALU operation codes (the high nibble of the opcode, shifted down). */
export type AluName =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'sdiv'
  | 'or'
  | 'and'
  | 'lsh'
  | 'rsh'
  | 'mod'
  | 'smod'
  | 'xor'
  | 'arsh';

function concrete64(op: AluName, a: bigint, b: bigint): bigint {
  switch (op) {
    case 'add':
      return u64(a + b);
    case 'sub':
      return u64(a - b);
    case 'mul':
      return u64(a * b);
    case 'div':
      return b === 0n ? 0n : a / b;
    case 'mod':
      return b === 0n ? a : a % b;
    case 'sdiv': {
      if (b === 0n) return 0n;
      const sa = s64(a);
      const sb = s64(b);
      if (sa === S64_MIN && sb === -1n) return a;
      return u64(sa / sb);
    }
    case 'smod': {
      if (b === 0n) return a;
      const sa = s64(a);
      const sb = s64(b);
      if (sb === -1n) return 0n;
      return u64(sa % sb);
    }
    case 'or':
      return a | b;
    case 'and':
      return a & b;
    case 'xor':
      return a ^ b;
    case 'lsh':
      return u64(a << (b & 63n));
    case 'rsh':
      return a >> (b & 63n);
    case 'arsh':
      return u64(s64(a) >> (b & 63n));
  }
}

function concrete32(op: AluName, a: bigint, b: bigint): bigint {
  const x = u32(a);
  const y = u32(b);
  switch (op) {
    case 'sdiv': {
      if (y === 0n) return 0n;
      const sa = s32(x);
      const sb = s32(y);
      if (sa === S32_MIN && sb === -1n) return x;
      return u32(sa / sb);
    }
    case 'smod': {
      if (y === 0n) return x;
      const sa = s32(x);
      const sb = s32(y);
      if (sb === -1n) return 0n;
      return u32(sa % sb);
    }
    case 'lsh':
      return u32(x << (y & 31n));
    case 'rsh':
      return x >> (y & 31n);
    case 'arsh':
      return u32(s32(x) >> (y & 31n));
    default:
      return u32(concrete64(op, x, y));
  }
}

/**
 * Whether Linux tracks the result of `op` at all (its is_safe_to_compute_dst_reg_range): add, sub,
 * mul and the bitwise operations always; shifts only by a constant below the operation's width.
 * Otherwise the result is unknown, even for constant operands (division and modulo, shifts by an
 * unknown or too large amount), and for a 32-bit operation unknown in all 64 bits.
 */
function tracked(op: AluName, b: Scalar, is64: boolean): boolean {
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'and':
    case 'or':
    case 'xor':
      return true;
    case 'lsh':
    case 'rsh':
    case 'arsh':
      return (is64 ? isConst(b) : isConst32(b)) && b.umax < (is64 ? 64n : 32n);
    default:
      return false;
  }
}

/** The run-time result of `a op b` on two values (64 bits, or 32 bits zero-extended). */
export function concrete(op: AluName, a: bigint, b: bigint, is64: boolean): bigint {
  return is64 ? concrete64(op, a, b) : concrete32(op, a, b);
}

/** `a op b` in 64 bits. */
export function alu64(op: AluName, a: Scalar, b: Scalar): Scalar {
  if (!tracked(op, b, true)) return unknown();
  if (isConst(a) && isConst(b)) return constant(concrete64(op, a.tv, b.tv));
  switch (op) {
    case 'add': {
      const [tv, tm] = tnumAdd(a, b);
      const r = fromTnum(tv, tm);
      const smin = a.smin + b.smin;
      const smax = a.smax + b.smax;
      if (smin >= S64_MIN && smax <= S64_MAX) {
        r.smin = max(r.smin, smin);
        r.smax = min(r.smax, smax);
      }
      const umin = a.umin + b.umin;
      const umax = a.umax + b.umax;
      if (umax <= U64_MAX) {
        r.umin = max(r.umin, umin);
        r.umax = min(r.umax, umax);
      } else if (umin > U64_MAX) {
        // every sum wraps exactly once: the wrapped range is still ordered
        r.umin = max(r.umin, umin - (1n << 64n));
        r.umax = min(r.umax, umax - (1n << 64n));
      }
      return sync(r);
    }
    case 'sub': {
      const [tv, tm] = tnumSub(a, b);
      const r = fromTnum(tv, tm);
      const smin = a.smin - b.smax;
      const smax = a.smax - b.smin;
      if (smin >= S64_MIN && smax <= S64_MAX) {
        r.smin = max(r.smin, smin);
        r.smax = min(r.smax, smax);
      }
      if (a.umin >= b.umax) {
        r.umin = max(r.umin, a.umin - b.umax);
        r.umax = min(r.umax, a.umax - b.umin);
      } else if (a.umax < b.umin) {
        // every difference wraps exactly once
        r.umin = max(r.umin, a.umin - b.umax + (1n << 64n));
        r.umax = min(r.umax, a.umax - b.umin + (1n << 64n));
      }
      return sync(r);
    }
    case 'mul': {
      const [tv, tm] = tnumMul(a, b);
      const r = fromTnum(tv, tm);
      if (a.umax * b.umax <= U64_MAX) {
        r.umin = max(r.umin, a.umin * b.umin);
        r.umax = min(r.umax, a.umax * b.umax);
      }
      const ps = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
      if (ps.every((p) => p >= S64_MIN && p <= S64_MAX)) {
        r.smin = max(r.smin, ps.reduce(min));
        r.smax = min(r.smax, ps.reduce(max));
      }
      return sync(r);
    }
    case 'and': {
      const r = fromTnum(a.tv & b.tv, (a.tm | a.tv) & (b.tm | b.tv) & ~(a.tv & b.tv) & U64_MAX);
      r.umax = min(r.umax, min(a.umax, b.umax));
      if (a.smin >= 0n || b.smin >= 0n) {
        r.smin = max(r.smin, 0n);
        r.smax = min(
          r.smax,
          a.smin >= 0n && b.smin >= 0n ? min(a.smax, b.smax) : a.smin >= 0n ? a.smax : b.smax,
        );
      }
      return sync(r);
    }
    case 'or': {
      const v = a.tv | b.tv;
      const r = fromTnum(v, (a.tm | b.tm) & ~v & U64_MAX);
      r.umin = max(r.umin, max(a.umin, b.umin));
      return sync(r);
    }
    case 'xor': {
      const v = a.tv ^ b.tv;
      const mu = a.tm | b.tm;
      return sync(fromTnum(v & ~mu & U64_MAX, mu));
    }
    case 'lsh': {
      if (!isConst(b) || b.tv >= 64n) return unknown();
      const k = b.tv;
      const r = fromTnum(u64(a.tv << k), u64(a.tm << k));
      if (a.umax >> (64n - k) === 0n || k === 0n) {
        r.umin = max(r.umin, a.umin << k);
        r.umax = min(r.umax, a.umax << k);
      }
      return sync(r);
    }
    case 'rsh': {
      if (!isConst(b) || b.tv >= 64n) return unknown();
      const k = b.tv;
      const r = fromTnum(a.tv >> k, a.tm >> k);
      r.umin = max(r.umin, a.umin >> k);
      r.umax = min(r.umax, a.umax >> k);
      return sync(r);
    }
    case 'arsh': {
      if (!isConst(b) || b.tv >= 64n) return unknown();
      const k = b.tv;
      const r = fromTnum(u64(s64(a.tv) >> k), u64(s64(a.tm) >> k));
      r.smin = max(r.smin, a.smin >> k);
      r.smax = min(r.smax, a.smax >> k);
      return sync(r);
    }
    default:
      return unknown();
  }
}

/** The low 32 bits of `a`, zero-extended. */
export function zext32(a: Scalar): Scalar {
  const r = unknown();
  r.tv = a.tv & U32_MAX;
  r.tm = a.tm & U32_MAX;
  r.umin = BigInt(a.u32min);
  r.umax = BigInt(a.u32max);
  r.u32min = a.u32min;
  r.u32max = a.u32max;
  r.s32min = a.s32min;
  r.s32max = a.s32max;
  return sync(r);
}

/** The low 32 bits of `a`, sign-extended to 64. */
export function sext32(a: Scalar): Scalar {
  const r = unknown();
  if ((a.tm & 0x80000000n) === 0n) {
    const neg = (a.tv & 0x80000000n) !== 0n;
    r.tv = (a.tv & U32_MAX) | (neg ? ~U32_MAX & U64_MAX : 0n);
    r.tm = a.tm & U32_MAX;
  } else {
    r.tv = a.tv & 0x7fffffffn;
    r.tm = (a.tm & U32_MAX) | (~U32_MAX & U64_MAX);
  }
  r.smin = BigInt(a.s32min);
  r.smax = BigInt(a.s32max);
  return sync(r);
}

/** Truncates a 64-bit result to its low 32 bits, zero-extended. */
function trunc32(r: Scalar): Scalar {
  const t = unknown();
  t.tv = r.tv & U32_MAX;
  t.tm = r.tm & U32_MAX;
  if (r.umax <= U32_MAX) {
    t.umin = r.umin;
    t.umax = r.umax;
  } else if (r.umin >> 32n === r.umax >> 32n) {
    t.umin = r.umin & U32_MAX;
    t.umax = r.umax & U32_MAX;
  } else {
    t.umax = U32_MAX;
  }
  t.smin = 0n;
  t.smax = U32_MAX;
  return sync(t);
}

/** `a op b` in 32 bits (the ALU class): the result is zero-extended. */
export function alu32(op: AluName, a: Scalar, b: Scalar): Scalar {
  if (!tracked(op, b, false)) return unknown();
  if (isConst32(a) && isConst32(b)) return constant(concrete32(op, a.tv, b.tv));
  switch (op) {
    case 'arsh':
      return trunc32(alu64('arsh', sext32(a), constant(b.tv & 31n)));
    case 'lsh':
    case 'rsh':
      return trunc32(alu64(op, zext32(a), constant(b.tv & 31n)));
    default:
      return trunc32(alu64(op, zext32(a), zext32(b)));
  }
}

/** Negation (64 or 32 bits). */
export function neg(a: Scalar, is64: boolean): Scalar {
  return is64 ? alu64('sub', constant(0n), a) : alu32('sub', constant(0n), a);
}

/** Sign extension of the low `bits` (8, 16, 32) of `a` to 64 bits (`movsx`), or 32 bits when `to32`. */
export function sext(a: Scalar, bits: number, to32: boolean): Scalar {
  if (isConst(a)) {
    const v = BigInt.asIntN(bits, a.tv);
    return constant(to32 ? u32(v) : v);
  }
  const lim = 2 ** (bits - 1);
  const r = unknown();
  if (to32) {
    r.s32min = -lim;
    r.s32max = lim - 1;
    r.umax = U32_MAX;
  } else {
    r.smin = BigInt(-lim);
    r.smax = BigInt(lim - 1);
  }
  return sync(r);
}

/** Byte swap / endianness conversion: exact for constants, else the result width's range. */
export function bswap(a: Scalar, width: number, swap: boolean): Scalar {
  const w = BigInt(width);
  if (isConst(a)) {
    let v = BigInt.asUintN(width, a.tv);
    if (swap) {
      let out = 0n;
      for (let i = 0n; i < w / 8n; i++) out = (out << 8n) | ((v >> (i * 8n)) & 0xffn);
      v = out;
    }
    return constant(v);
  }
  if (!swap) {
    // truncation to width
    const m = (1n << w) - 1n;
    const r = fromTnum(a.tv & m, a.tm & m);
    if (a.umax <= m) {
      r.umin = max(r.umin, a.umin);
      r.umax = min(r.umax, a.umax);
    }
    return sync(r);
  }
  return width === 64 ? unknown() : urange(0n, (1n << w) - 1n);
}

/** True when every value `b` admits, `a` admits too (tnum and all bounds). */
export function within(a: Scalar, b: Scalar): boolean {
  return (
    a.umin <= b.umin &&
    a.umax >= b.umax &&
    a.smin <= b.smin &&
    a.smax >= b.smax &&
    a.u32min <= b.u32min &&
    a.u32max >= b.u32max &&
    a.s32min <= b.s32min &&
    a.s32max >= b.s32max &&
    (b.tm & ~a.tm & U64_MAX) === 0n &&
    ((a.tv ^ b.tv) & ~a.tm & U64_MAX) === 0n
  );
}

/** Exact equality. */
export function equal(a: Scalar, b: Scalar): boolean {
  return (
    a.tv === b.tv &&
    a.tm === b.tm &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max
  );
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** The kernel's way of printing a scalar: the constant, or `scalar(...)` with the bounds that say something. */
export function format(s: Scalar): string {
  if (isConst(s)) return `${s64(s.tv)}`;
  const parts: string[] = [];
  if (s.smin !== S64_MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64_MAX) parts.push(`umax=${s.umax}`);
  if (s.s32min !== S32_MINN) parts.push(`smin32=${s.s32min}`);
  if (s.s32max !== S32_MAXN) parts.push(`smax32=${s.s32max}`);
  if (s.u32min !== 0) parts.push(`umin32=${s.u32min}`);
  if (s.u32max !== U32_MAXN) parts.push(`umax32=${s.u32max}`);
  if (s.tm !== U64_MAX) parts.push(`var_off=(${hex(s.tv)}; ${hex(s.tm)})`);
  return `scalar(${parts.join(',')})`;
}

/** Signed value of a constant scalar's low 64 bits. */
export function signed(v: bigint): bigint {
  return s64(v);
}

/** Branch refinement: `a` and `b` narrowed assuming `a OP b` holds (64 or 32 bits). */
export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set';

/**
 * Whether `a OP b` is always true (1), always false (0) or unknown (-1), from the bounds.
 */
export function branchTaken(op: CmpOp, a: Scalar, b: Scalar, is64: boolean): 0 | 1 | -1 {
  const m = is64 ? U64_MAX : U32_MAX;
  switch (op) {
    case 'eq':
    case 'ne': {
      let r: 0 | 1 | -1 = -1;
      if ((a.tm & m) === 0n && (b.tm & m) === 0n) r = (a.tv & m) === (b.tv & m) ? 1 : 0;
      else if (
        is64
          ? a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin
          : a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min
      )
        r = 0;
      else if (((a.tv ^ b.tv) & ~a.tm & ~b.tm & m) !== 0n) r = 0;
      if (r === -1) return -1;
      return op === 'eq' ? r : r === 1 ? 0 : 1;
    }
    case 'set':
      if ((a.tv & b.tv & m) !== 0n) return 1;
      if (((a.tv | a.tm) & (b.tv | b.tm) & m) === 0n) return 0;
      return -1;
    default:
      return is64
        ? rangeTaken(op, a.umin, a.umax, a.smin, a.smax, b.umin, b.umax, b.smin, b.smax)
        : rangeTaken(op, a.u32min, a.u32max, a.s32min, a.s32max, b.u32min, b.u32max, b.s32min, b.s32max);
  }
}

/** {@link branchTaken} for the order comparisons, from the bounds of `a` and `b` (64-bit bigints or 32-bit numbers). */
function rangeTaken<T extends bigint | number>(
  op: CmpOp,
  umin: T,
  umax: T,
  smin: T,
  smax: T,
  vumin: T,
  vumax: T,
  vsmin: T,
  vsmax: T,
): 0 | 1 | -1 {
  switch (op) {
    case 'gt':
      return umin > vumax ? 1 : umax <= vumin ? 0 : -1;
    case 'ge':
      return umin >= vumax ? 1 : umax < vumin ? 0 : -1;
    case 'lt':
      return umax < vumin ? 1 : umin >= vumax ? 0 : -1;
    case 'le':
      return umax <= vumin ? 1 : umin > vumax ? 0 : -1;
    case 'sgt':
      return smin > vsmax ? 1 : smax <= vsmin ? 0 : -1;
    case 'sge':
      return smin >= vsmax ? 1 : smax < vsmin ? 0 : -1;
    case 'slt':
      return smax < vsmin ? 1 : smin >= vsmax ? 0 : -1;
    case 'sle':
      return smax <= vsmin ? 1 : smin > vsmax ? 0 : -1;
    default:
      return -1;
  }
}

const NEGATED: Readonly<Record<CmpOp, CmpOp | undefined>> = {
  eq: 'ne',
  ne: 'eq',
  gt: 'le',
  le: 'gt',
  ge: 'lt',
  lt: 'ge',
  sgt: 'sle',
  sle: 'sgt',
  sge: 'slt',
  slt: 'sge',
  set: undefined,
};

/** The negation of a comparison. */
export function negate(op: CmpOp): CmpOp | undefined {
  return NEGATED[op];
}

const FLIPPED: Readonly<Record<CmpOp, CmpOp>> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'lt',
  lt: 'gt',
  ge: 'le',
  le: 'ge',
  sgt: 'slt',
  slt: 'sgt',
  sge: 'sle',
  sle: 'sge',
  set: 'set',
};

/** `a OP b` with operands swapped (b OP' a). */
export function flip(op: CmpOp): CmpOp {
  return FLIPPED[op];
}

/**
 * Narrows `a` (in place) assuming `a OP b` holds. `b` is not changed; call again with the operands
 * flipped to narrow `b`. For `set` without a single known bit nothing is learned; the negation of
 * `set` is handled by {@link refineNotSet}.
 */
export function refine(op: CmpOp, a: Scalar, b: Scalar, is64: boolean): void {
  if (is64) {
    switch (op) {
      case 'eq': {
        a.umin = max(a.umin, b.umin);
        a.umax = min(a.umax, b.umax);
        a.smin = max(a.smin, b.smin);
        a.smax = min(a.smax, b.smax);
        const [v, m] = tnumIntersect(a.tv, a.tm, b.tv, b.tm);
        if (((a.tv ^ b.tv) & ~a.tm & ~b.tm) !== 0n) a.umin = a.umax + 1n;
        a.tv = v;
        a.tm = m;
        break;
      }
      case 'ne':
        if (isConst(b)) {
          if (a.umin === b.tv) a.umin++;
          if (a.umax === b.tv && a.umax > 0n) a.umax--;
          else if (a.umax === b.tv) a.umin = 1n;
          const sv = s64(b.tv);
          if (a.smin === sv) a.smin++;
          if (a.smax === sv) a.smax--;
        }
        break;
      case 'gt':
        a.umin = max(a.umin, b.umin + 1n);
        break;
      case 'ge':
        a.umin = max(a.umin, b.umin);
        break;
      case 'lt':
        a.umax = min(a.umax, b.umax - 1n);
        break;
      case 'le':
        a.umax = min(a.umax, b.umax);
        break;
      case 'sgt':
        a.smin = max(a.smin, b.smin + 1n);
        break;
      case 'sge':
        a.smin = max(a.smin, b.smin);
        break;
      case 'slt':
        a.smax = min(a.smax, b.smax - 1n);
        break;
      case 'sle':
        a.smax = min(a.smax, b.smax);
        break;
      case 'set':
        if (isConst(b) && (b.tv & (b.tv - 1n)) === 0n && b.tv !== 0n) {
          a.tv |= b.tv;
          a.tm &= ~b.tv & U64_MAX;
        }
        break;
    }
  } else {
    switch (op) {
      case 'eq': {
        a.u32min = Math.max(a.u32min, b.u32min);
        a.u32max = Math.min(a.u32max, b.u32max);
        a.s32min = Math.max(a.s32min, b.s32min);
        a.s32max = Math.min(a.s32max, b.s32max);
        const hi = ~U32_MAX & U64_MAX;
        const [v, m] = tnumIntersect(
          a.tv,
          a.tm,
          (a.tv & hi) | (b.tv & U32_MAX),
          (a.tm & hi) | (b.tm & U32_MAX),
        );
        if (((a.tv ^ b.tv) & ~a.tm & ~b.tm & U32_MAX) !== 0n) a.u32min = a.u32max + 1;
        a.tv = v;
        a.tm = m;
        break;
      }
      case 'ne':
        if (isConst32(b)) {
          const c = lo32(b.tv);
          if (a.u32min === c) a.u32min++;
          if (a.u32max === c && a.u32max > 0) a.u32max--;
          else if (a.u32max === c) a.u32min = 1;
          const sv = c | 0;
          if (a.s32min === sv) a.s32min++;
          if (a.s32max === sv) a.s32max--;
        }
        break;
      case 'gt':
        a.u32min = Math.max(a.u32min, b.u32min + 1);
        break;
      case 'ge':
        a.u32min = Math.max(a.u32min, b.u32min);
        break;
      case 'lt':
        a.u32max = Math.min(a.u32max, b.u32max - 1);
        break;
      case 'le':
        a.u32max = Math.min(a.u32max, b.u32max);
        break;
      case 'sgt':
        a.s32min = Math.max(a.s32min, b.s32min + 1);
        break;
      case 'sge':
        a.s32min = Math.max(a.s32min, b.s32min);
        break;
      case 'slt':
        a.s32max = Math.min(a.s32max, b.s32max - 1);
        break;
      case 'sle':
        a.s32max = Math.min(a.s32max, b.s32max);
        break;
      case 'set':
        if (isConst32(b) && (b.tv & U32_MAX) !== 0n && (b.tv & U32_MAX & ((b.tv & U32_MAX) - 1n)) === 0n) {
          a.tv |= b.tv & U32_MAX;
          a.tm &= ~(b.tv & U32_MAX) & U64_MAX;
        }
        break;
    }
  }
  sync(a);
}

/** Narrows `a` assuming `(a & b) == 0` (the fall-through of `if a & b goto`), for a constant `b`. */
export function refineNotSet(a: Scalar, b: Scalar, is64: boolean): void {
  if (!isConst(b) && !(isConst32(b) && !is64)) return;
  const bits = is64 ? b.tv : b.tv & U32_MAX;
  if ((a.tv & bits) !== 0n) {
    a.umin = a.umax + 1n;
    return;
  }
  a.tm &= ~bits & U64_MAX;
  sync(a);
}
