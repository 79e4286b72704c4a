/** Malformed objects give a FormatError naming the place and the byte offset. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NOBITS, parseObject } from '../../src/elf/object.js';
import { parseElf } from '../../src/elf/reader.js';
import { FormatError } from '../../src/util/errors.js';
import { fixture } from './fixtures.js';

function put(
  bytes: Uint8Array,
  off: number,
  size: 1 | 2 | 4 | 8,
  value: number | bigint,
  le = true,
): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  if (size === 1) dv.setUint8(off, Number(value));
  else if (size === 2) dv.setUint16(off, Number(value), le);
  else if (size === 4) dv.setUint32(off, Number(value), le);
  else dv.setBigUint64(off, BigInt(value), le);
  return out;
}

function fails(bytes: Uint8Array, where: RegExp, reason: RegExp, offset?: number): FormatError {
  let err: unknown;
  try {
    parseObject(bytes);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof FormatError, `expected FormatError, got ${String(err)}`);
  assert.match(err.where, where);
  assert.match(err.reason, reason);
  if (offset !== undefined) assert.equal(err.offset, offset);
  assert.ok(!err.message.includes('\n'));
  return err;
}

const base = fixture('subprogs', 'bpfel');
const elf = parseElf(base);
const sh = (i: number, field: number): number => elf.header.shoff + i * 64 + field;
const tc = elf.section('tc')!;
const reltc = elf.section('.reltc')!;
const symtab = elf.symtab()!;

test('truncated and foreign files', () => {
  fails(new Uint8Array(0), /^ELF header$/, /shorter than the 64-byte/, 0);
  fails(base.subarray(0, 63), /^ELF header$/, /shorter/, 0);
  fails(put(base, 0, 1, 0x7e), /^ELF header$/, /bad magic/, 0);
  fails(put(base, 4, 1, 1), /^ELF header$/, /ELFCLASS64/, 4);
  fails(put(base, 5, 1, 3), /^ELF header$/, /EI_DATA/, 5);
  fails(put(base, 18, 2, 62), /^ELF header$/, /EM_BPF/, 18);
  fails(put(base, 16, 2, 2), /^ELF header$/, /ET_REL/, 16);
  fails(base.subarray(0, elf.header.shoff + 10), /^ELF header$/, /section table outside the file/, 40);
});

test('lying header counts and offsets', () => {
  fails(put(base, 40, 8, 0xffffffffn), /^ELF header$/, /section table outside/, 40);
  fails(put(base, 40, 8, 1n << 60n), /^ELF header e_shoff$/, /53 bits/, 40);
  fails(put(base, 60, 2, 0xfff0), /^ELF header$/, /e_shnum 65520 .* past the end/, 60);
  fails(put(base, 62, 2, 999), /^ELF header$/, /e_shstrndx 999/, 62);
  fails(put(base, 58, 2, 40), /^ELF header$/, /e_shentsize 40/, 58);
});

test('section headers: extents past the end, overlaps, names past the string table', () => {
  fails(
    put(base, sh(tc.index, 24), 8, base.length),
    new RegExp(`^section \\[${tc.index}\\]$`),
    /past the end/,
    sh(tc.index, 24),
  );
  fails(put(base, sh(tc.index, 32), 8, 1n << 40n), /^section/, /past the end of the file/, sh(tc.index, 24));
  // Make tc overlap the section after it.
  const next = elf.sections.filter((s) => s.offset > tc.offset && s.size > 0 && s.type !== 8)[0]!;
  const grown = put(base, sh(tc.index, 32), 8, next.offset - tc.offset + 8);
  fails(grown, /^section \[\d+\]/, /overlap/);
  fails(
    put(base, sh(tc.index, 0), 4, 0x7fffffff),
    new RegExp(`^section \\[${tc.index}\\] sh_name$`),
    /past the string table/,
    sh(tc.index, 0),
  );
  // The section holding the header table itself.
  fails(put(base, sh(tc.index, 24), 8, elf.header.shoff), /section header table|section \[/, /overlap/);
});

test('symbols: names past the string table, section indexes past the table, bad entry size', () => {
  const sym = (i: number, f: number): number => symtab.offset + i * 24 + f;
  fails(put(base, sym(3, 0), 4, 0xffffff), /^\.symtab\[3\] st_name$/, /past the string table/, sym(3, 0));
  fails(
    put(base, sym(3, 6), 2, 0x1234),
    /^\.symtab\[3\]$/,
    /st_shndx 4660 is past the section table/,
    sym(3, 6),
  );
  fails(put(base, sh(symtab.index, 56), 8, 16n), /\.symtab/, /entry size 16/, symtab.offset);
  fails(put(base, sh(symtab.index, 40), 4, 999), /sh_link/, /section index 999/);
});

test('relocations: missing symbols, offsets out of range, wrong instruction, unknown type', () => {
  const rel = (i: number, f: number): number => reltc.offset + i * 16 + f;
  fails(
    put(base, rel(0, 12), 4, 9999),
    /^\.reltc\[0\]$/,
    /symbol index 9999 is past the symbol table/,
    rel(0, 8),
  );
  fails(put(base, rel(0, 0), 8, tc.size + 64), /^\.reltc\[0\]$/, /outside tc/, rel(0, 0));
  fails(put(base, rel(0, 0), 8, 12), /^\.reltc\[0\]$/, /not an instruction boundary/, rel(0, 0));
  // The first relocation of tc is R_BPF_64_32 on a call; point it at the instruction before.
  const r0 = elf.relocations(reltc)[0]!;
  fails(
    put(base, rel(0, 0), 8, r0.offset - 8),
    /^\.reltc\[0\]$/,
    /R_BPF_64_32 on opcode 0x[0-9a-f]+, not a call/,
    rel(0, 0),
  );
  fails(put(base, rel(0, 8), 4, 1), /^\.reltc\[0\]$/, /R_BPF_64_64 on opcode 0x85, not ld_imm64/, rel(0, 0));
  fails(put(base, rel(0, 8), 4, 77), /^\.reltc\[0\]$/, /unknown relocation type 77/, rel(0, 0));
  fails(put(base, rel(0, 8), 4, 2), /^\.reltc\[0\]$/, /R_BPF_64_ABS64 is a data relocation/, rel(0, 0));
  fails(put(base, rel(0, 12), 4, 0), /^\.reltc\[0\]$/, /null symbol/, rel(0, 0));
  fails(put(base, sh(reltc.index, 44), 4, 500), /^\.reltc/, /sh_info 500 is not a section/);
});

test('calls and function pointers must target the start of a function', () => {
  // tc_first's first call is `call -1` against global_helper: change imm so it lands mid-function.
  const r0 = elf.relocations(elf.section('.reltc')!)[0]!;
  const imm = tc.offset + r0.offset + 4;
  fails(put(base, imm, 4, 0), /^\.reltc\[0\]$/, /not the start of a function/);
});

test('huge .bss is refused, not allocated', () => {
  const g = fixture('globals', 'bpfel');
  const ge = parseElf(g);
  const bss = ge.section('.bss')!;
  const bad = put(g, ge.header.shoff + bss.index * 64 + 32, 8, BigInt(MAX_NOBITS + 8));
  fails(bad, /^\.bss$/, /larger than any map value/);
});

test('legacy map definitions that are too small', () => {
  const m = fixture('legacy', 'bpfel');
  const me = parseElf(m);
  const maps = me.section('maps')!;
  const sym = me.symbols().find((y) => y.shndx === maps.index && y.name === 'legacy_hash')!;
  const bad = put(m, me.symtab()!.offset + sym.index * 24 + 16, 8, 8n);
  fails(bad, /^maps\/legacy_hash$/, /not a bpf_map_def/);
});

test('damaged BTF is reported in .BTF with a file offset', () => {
  const m = fixture('maps', 'bpfel');
  const me = parseElf(m);
  const btf = me.section('.BTF')!;
  // Type section length (header offset 12) far past the end.
  const err = fails(put(m, btf.offset + 12, 4, 0x7ffffff0), /^\.BTF/, /./);
  assert.ok(err.offset !== undefined && err.offset >= btf.offset);
});
