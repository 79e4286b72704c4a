/**
 * Test helpers: the committed BPF fixtures (test/fixtures/<name>.<bpfel|bpfeb>.o) and a mutator
 * that damages ELF objects in structured ways for the fuzz tests and bench/fuzz-elf.ts.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc, { type Arbitrary } from 'fast-check';
import { parseObject } from '../../src/elf/object.js';
import { parseElf } from '../../src/elf/reader.js';
import { FormatError } from '../../src/util/errors.js';

/** Directory of the fixtures. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Names of the fixtures (without target and extension), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.bpfel.o'))
    .map((f) => f.slice(0, -'.bpfel.o'.length))
    .sort();
}

/** Path of one fixture object. */
export function fixturePath(name: string, target: 'bpfel' | 'bpfeb'): string {
  return join(FIXTURES, `${name}.${target}.o`);
}

/** Bytes of one fixture object. */
export function fixture(name: string, target: 'bpfel' | 'bpfeb'): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name, target)));
}

/** A field of the ELF structures, for targeted edits. */
export interface Field {
  /** File offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: 1 | 2 | 4 | 8;
  /** What it is (for failure messages). */
  readonly what: string;
}

/**
 * The count, offset, index and size fields of a valid object: ELF header, every section header,
 * every symbol and every relocation entry.
 */
export function structuralFields(bytes: Uint8Array): Field[] {
  const elf = parseElf(bytes);
  const out: Field[] = [
    { offset: 40, size: 8, what: 'e_shoff' },
    { offset: 58, size: 2, what: 'e_shentsize' },
    { offset: 60, size: 2, what: 'e_shnum' },
    { offset: 62, size: 2, what: 'e_shstrndx' },
    { offset: 16, size: 2, what: 'e_type' },
    { offset: 18, size: 2, what: 'e_machine' },
  ];
  const sh = elf.header.shoff;
  for (let i = 0; i < elf.sections.length; i++) {
    const p = sh + i * 64;
    out.push(
      { offset: p, size: 4, what: `sh[${i}].sh_name` },
      { offset: p + 4, size: 4, what: `sh[${i}].sh_type` },
      { offset: p + 8, size: 8, what: `sh[${i}].sh_flags` },
      { offset: p + 24, size: 8, what: `sh[${i}].sh_offset` },
      { offset: p + 32, size: 8, what: `sh[${i}].sh_size` },
      { offset: p + 40, size: 4, what: `sh[${i}].sh_link` },
      { offset: p + 44, size: 4, what: `sh[${i}].sh_info` },
      { offset: p + 56, size: 8, what: `sh[${i}].sh_entsize` },
    );
  }
  const st = elf.symtab();
  if (st !== undefined) {
    for (let i = 0; i < st.size / 24; i++) {
      const p = st.offset + i * 24;
      out.push(
        { offset: p, size: 4, what: `sym[${i}].st_name` },
        { offset: p + 4, size: 1, what: `sym[${i}].st_info` },
        { offset: p + 6, size: 2, what: `sym[${i}].st_shndx` },
        { offset: p + 8, size: 8, what: `sym[${i}].st_value` },
        { offset: p + 16, size: 8, what: `sym[${i}].st_size` },
      );
    }
  }
  for (const rs of elf.relocationSections()) {
    // DWARF relocations are many and uninteresting: keep the fields on code, .maps, .BTF(.ext).
    if (rs.name.startsWith('.rel.debug')) continue;
    for (let i = 0; i < rs.size / 16; i++) {
      const p = rs.offset + i * 16;
      out.push(
        { offset: p, size: 8, what: `${rs.name}[${i}].r_offset` },
        { offset: p + 8, size: 4, what: `${rs.name}[${i}].r_info.lo` },
        { offset: p + 12, size: 4, what: `${rs.name}[${i}].r_info.hi` },
      );
    }
  }
  return out;
}

/** One mutation, described so a failure can be replayed. */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'field'; readonly field: number; readonly value: bigint }
  | { readonly kind: 'delta'; readonly field: number; readonly delta: number }
  | { readonly kind: 'byte'; readonly at: number; readonly value: number };

/** Values worth writing into a count/offset/index field. */
export const INTERESTING: readonly bigint[] = [
  0n,
  1n,
  2n,
  7n,
  8n,
  0x7fn,
  0xffn,
  0x100n,
  0xfff1n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn,
  0x20000000000000n,
  0x7fffffffffffffffn,
  0xffffffffffffffffn,
];

/** Applies mutations to a copy of `bytes`. `fields` is {@link structuralFields} of the original. */
export function mutate(
  bytes: Uint8Array,
  fields: readonly Field[],
  mutations: readonly Mutation[],
  le: boolean,
): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    if (m.kind === 'flip') {
      if (out.length === 0) continue;
      const at = m.at % out.length;
      out[at] = out[at]! ^ (1 << (m.bit & 7));
    } else if (m.kind === 'byte') {
      if (out.length === 0) continue;
      out[m.at % out.length] = m.value & 0xff;
    } else if (m.kind === 'truncate') {
      out = out.slice(0, m.length % (out.length + 1));
    } else {
      const f = fields[m.field % fields.length]!;
      if (f.offset + f.size > out.length) continue;
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      let old = 0n;
      if (f.size === 1) old = BigInt(dv.getUint8(f.offset));
      else if (f.size === 2) old = BigInt(dv.getUint16(f.offset, le));
      else if (f.size === 4) old = BigInt(dv.getUint32(f.offset, le));
      else old = dv.getBigUint64(f.offset, le);
      const v = BigInt.asUintN(f.size * 8, m.kind === 'field' ? m.value : old + BigInt(m.delta));
      if (f.size === 1) dv.setUint8(f.offset, Number(v));
      else if (f.size === 2) dv.setUint16(f.offset, Number(v), le);
      else if (f.size === 4) dv.setUint32(f.offset, Number(v), le);
      else dv.setBigUint64(f.offset, v, le);
    }
  }
  return out;
}

/** Outcome of parsing one input: a spec, or a FormatError (anything else is thrown). */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: FormatError };

/**
 * Parses `bytes` as an object. Returns the outcome when it is an ObjectSpec or a FormatError
 * with a non-empty place; rethrows anything else (the fuzz property fails on it).
 */
export function parseOutcome(bytes: Uint8Array): Outcome {
  try {
    parseObject(bytes);
    return { ok: true };
  } catch (e) {
    if (e instanceof FormatError && e.where.length > 0 && e.message.indexOf('\n') < 0)
      return { ok: false, error: e };
    throw e;
  }
}

/** fast-check arbitrary of one mutation. */
export function mutationArb(): Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('field' as const),
        field: fc.nat(),
        value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('delta' as const),
        field: fc.nat(),
        delta: fc.integer({ min: -64, max: 64 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
    },
  );
}
