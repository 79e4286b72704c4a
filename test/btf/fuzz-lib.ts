/**
 * Shared BTF fuzzing: mutations of real BTF (bit flips, truncations, header count/offset/length
 * edits, type-word and type-id edits) and the property every mutant must satisfy: parsing either
 * succeeds or throws a FormatError; on success the bytes round-trip exactly, and queries, the raw
 * listing and the C dump either work or throw FormatError, never anything else.
 *
 * Used by test/btf/fuzz.test.ts (a few thousand cases) and bench/btf/fuzz.ts (100k+).
 *
 * @module
 */

import fc from 'fast-check';
import { BTF_KIND, Btf, BtfExt, dumpC, formatRaw } from '../../src/btf/index.js';
import { FormatError } from '../../src/util/errors.js';

/** One edit of the input bytes. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'header'; field: number; value: number }
  | { op: 'word'; at: number; value: number }
  | { op: 'typeid'; at: number; value: number }
  | { op: 'vlen'; at: number; value: number };

const INTERESTING = [
  0, 1, 2, 3, 4, 8, 12, 16, 24, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

/** Arbitrary mutations (positions are fractions of the input length, scaled when applied). */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('header' as const),
    field: fc.integer({ min: 1, max: 5 }),
    value: fc.oneof(
      fc.constantFrom(...INTERESTING),
      fc.nat({ max: 0xffffffff }),
      fc.integer({ min: 0, max: 64 }),
    ),
  }),
  fc.record({
    op: fc.constant('word' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 0xffffffff })),
  }),
  fc.record({ op: fc.constant('typeid' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 200 }) }),
  fc.record({
    op: fc.constant('vlen' as const),
    at: fc.nat(),
    value: fc.oneof(fc.nat({ max: 0xffff }), fc.nat(8)),
  }),
);

/** Applies mutations to a copy of `input` (words and header fields in `le` byte order). */
export function mutate(input: Uint8Array, muts: readonly Mutation[], le: boolean): Uint8Array {
  let b = input.slice();
  for (const m of muts) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const words = Math.floor(b.length / 4);
    switch (m.op) {
      case 'flip':
        if (b.length) b[m.at % b.length]! ^= 1 << m.bit;
        break;
      case 'truncate':
        b = b.slice(0, m.at % (b.length + 1));
        break;
      case 'header':
        if (b.length >= 4 + m.field * 4) dv.setUint32(m.field * 4, m.value >>> 0, le);
        break;
      case 'word':
        if (words) dv.setUint32((m.at % words) * 4, m.value >>> 0, le);
        break;
      case 'typeid':
        // the third word of a record, or a member's type: aim at words after the header
        if (words > 6) dv.setUint32((6 + (m.at % (words - 6))) * 4, m.value, le);
        break;
      case 'vlen':
        if (words > 6) {
          const at = (6 + (m.at % (words - 6))) * 4;
          const info = dv.getUint32(at, le);
          dv.setUint32(at, ((info & 0xffff0000) | (m.value & 0xffff)) >>> 0, le);
        }
        break;
    }
  }
  return b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `f`; a FormatError is fine, anything else is rethrown. */
function tolerate(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
  }
}

/** Outcome counters, for the bench report. */
export interface FuzzStats {
  cases: number;
  parsed: number;
  rejected: number;
}

/**
 * The property for one BTF mutant. Throws (an AssertionError-like Error) when violated.
 * `full`: run the queries on every type, then the raw listing and the C dump; otherwise only
 * queries on about 500 types (for large inputs such as vmlinux).
 */
export function checkBtf(bytes: Uint8Array, stats?: FuzzStats, full = true): void {
  if (stats) stats.cases++;
  let btf: Btf;
  try {
    btf = Btf.parse(bytes);
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`parse threw ${String(e)}`, { cause: e });
    if (stats) stats.rejected++;
    return;
  }
  if (stats) stats.parsed++;
  if (!sameBytes(btf.serialize(), bytes)) throw new Error('parsed mutant does not round-trip');
  // full: every type and the C dump; otherwise queries on ~500 ids spread over the types
  const step = full ? 1 : Math.max(1, Math.floor(btf.typeCount / 500));
  for (let id = 1; id < btf.typeCount; id += step) {
    btf.type(id);
    tolerate(() => btf.resolve(id));
    tolerate(() => btf.sizeOf(id));
    tolerate(() => btf.alignOf(id));
    const k = btf.kindOf(id);
    if (k === BTF_KIND.STRUCT || k === BTF_KIND.UNION) {
      tolerate(() => btf.members(id));
      tolerate(() => btf.member(id, 'a'));
    }
  }
  if (!full) return;
  tolerate(() => btf.findByName('int', BTF_KIND.INT));
  formatRaw(btf);
  tolerate(() => dumpC(btf));
}

/** The property for one `.BTF.ext` mutant, parsed against `btf`. */
export function checkExt(bytes: Uint8Array, btf: Btf, stats?: FuzzStats): void {
  if (stats) stats.cases++;
  let ext: BtfExt;
  try {
    ext = BtfExt.parse(bytes, { btf });
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`ext parse threw ${String(e)}`, { cause: e });
    if (stats) stats.rejected++;
    return;
  }
  if (stats) stats.parsed++;
  if (!sameBytes(ext.serialize(), bytes)) throw new Error('parsed .BTF.ext mutant does not round-trip');
}

/** A BTF with every kind clang 14 does not emit (ENUM64, signed enums, type tags with kind_flag...). */
export function builtSample(endian: 'little' | 'big' = 'little'): Uint8Array {
  const b = new Btf({ endian });
  const int = b.addInt('int', 4, { encoding: 1 });
  const ch = b.addInt('char', 1, { encoding: 2 });
  const e64 = b.addEnum64('e64', 8, [{ name: 'E64_A', value: 1n << 40n }], false);
  const se = b.addEnum('se', 4, [{ name: 'SE_A', value: -1 }], true);
  const s = b.nextId;
  b.addStruct('s', 24, [
    { name: 'a', type: int, bitOffset: 0, bitfieldSize: 3 },
    { name: 'p', type: s + 1, bitOffset: 64 },
    { name: 'e', type: e64, bitOffset: 128 },
  ]);
  b.addPtr(s);
  b.addUnion('u', 4, [
    { name: 'x', type: se, bitOffset: 0 },
    { name: 'c', type: ch, bitOffset: 0 },
  ]);
  const fp = b.addFuncProto(int, [{ name: 'a', type: int }, { type: 0 }]);
  const f = b.addFunc('f', fp, 'global');
  b.addDeclTag('kfunc', f, -1);
  b.addDeclTag('attr', s, 0, true);
  b.addTypeTag('address_space(1)', 0, true);
  const v = b.addVar('v', int, 'global');
  b.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
  b.addFloat('double', 8);
  b.addFwd('later', 'union');
  b.addTypedef('t', b.addRestrict(b.addVolatile(b.addConst(b.addPtr(int)))));
  b.addArray(ch, int, 16);
  return b.serialize();
}
