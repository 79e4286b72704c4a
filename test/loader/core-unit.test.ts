/**
 * CO-RE computations on small hand-built BTFs, values worked out by hand from the documented
 * rules: bitfield offset, size, signedness and shifts; flavors (`s___v2` matches `s`); anonymous
 * members searched through; enum values; target type ids and sizes; ALU/LDX/ld_imm64 patching
 * and the check that the instruction holds the local value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Btf, BPF_CORE_RELO as R } from '../../src/btf/index.js';
import { computeCoreRelo, LoaderError, patchCoreInsn } from '../../src/loader/index.js';

function local(): { btf: Btf; s: number; e: number } {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const uint = b.addInt('unsigned int', 4);
  const s = b.addStruct('s___v2', 8, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'b', type: uint, bitOffset: 32, bitfieldSize: 3 },
    { name: 'c', type: int, bitOffset: 35, bitfieldSize: 5 },
  ]);
  const e = b.addEnum('e', 4, [
    { name: 'X', value: 1 },
    { name: 'Y', value: 2 },
    { name: 'Z', value: 3 },
  ]);
  return { btf: b, s, e };
}

function target(): { btf: Btf; s: number } {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const uint = b.addInt('unsigned int', 4);
  const long = b.addInt('long', 8, { encoding: 1 });
  const inner = b.addStruct('', 8, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'b', type: uint, bitOffset: 36, bitfieldSize: 3 },
    { name: 'c', type: int, bitOffset: 39, bitfieldSize: 5 },
  ]);
  const s = b.addStruct('s', 24, [
    { name: 'pad', type: long, bitOffset: 0 },
    { name: '', type: inner, bitOffset: 64 },
  ]);
  b.addEnum('e', 4, [
    { name: 'Y', value: 7 },
    { name: 'X', value: 9 },
  ]);
  return { btf: b, s };
}

const where = () => 'test';

test('bitfields through an anonymous member, with a flavored local name', () => {
  const l = local();
  const t = target();
  const run = (access: string, kind: number) =>
    computeCoreRelo(l.btf, t.btf, { slot: 0, typeId: l.s, access, kind }, where);
  // target b: bit 64 + 36 = 100, 3 bits, in a 4-byte unit at byte 12.
  assert.deepEqual(run('0:1', R.FIELD_BYTE_OFFSET), { local: 4n, target: 12n, targetType: t.s });
  assert.equal(run('0:1', R.FIELD_BYTE_SIZE).target, 4n);
  assert.equal(run('0:1', R.FIELD_SIGNED).target, 0n);
  assert.deepEqual([run('0:1', R.FIELD_LSHIFT_U64).local, run('0:1', R.FIELD_LSHIFT_U64).target], [61n, 57n]);
  assert.equal(run('0:1', R.FIELD_RSHIFT_U64).target, 61n);
  // target c: bit 103, 5 bits, signed.
  assert.equal(run('0:2', R.FIELD_SIGNED).target, 1n);
  assert.equal(run('0:2', R.FIELD_LSHIFT_U64).target, 64n - (103n + 5n - 96n));
  assert.equal(run('0:2', R.FIELD_RSHIFT_U64).target, 59n);
  assert.deepEqual(run('0:0', R.FIELD_BYTE_OFFSET), { local: 0n, target: 8n, targetType: t.s });
  assert.equal(run('0', R.TYPE_SIZE).target, 24n);
  assert.equal(run('0', R.TYPE_ID_TARGET).target, BigInt(t.s));
  assert.equal(run('0', R.TYPE_ID_LOCAL).target, BigInt(l.s));
});

test('enum values by name; a value missing from the target', () => {
  const l = local();
  const t = target();
  const run = (access: string, kind: number) =>
    computeCoreRelo(l.btf, t.btf, { slot: 0, typeId: l.e, access, kind }, where);
  assert.deepEqual([run('1', R.ENUMVAL_VALUE).local, run('1', R.ENUMVAL_VALUE).target], [2n, 7n]);
  assert.equal(run('0', R.ENUMVAL_VALUE).target, 9n);
  assert.equal(run('2', R.ENUMVAL_EXISTS).target, 0n);
  assert.equal(run('2', R.ENUMVAL_VALUE).target, undefined);
});

test('patching: ALU imm, LDX off, ld_imm64, and a mismatch with the local value', () => {
  const r = { local: 4n, target: 12n, targetType: 1 };
  const insns = [
    { code: 0x07, dst: 1, src: 0, off: 0, imm: 4 }, // r1 += 4
    { code: 0x61, dst: 0, src: 1, off: 4, imm: 0 }, // r0 = *(u32 *)(r1 + 4)
    { code: 0x18, dst: 2, src: 0, off: 0, imm: 4, imm2: 0 }, // r2 = 4 ll
    { code: 0x07, dst: 1, src: 0, off: 0, imm: 5 },
  ];
  assert.equal(patchCoreInsn(insns, 0, r, where), false);
  patchCoreInsn(insns, 1, r, where);
  patchCoreInsn(insns, 2, r, where);
  assert.deepEqual([insns[0]!.imm, insns[1]!.off, insns[2]!.imm, insns[2]!.imm2], [12, 12, 12, 0]);
  assert.throws(
    () => patchCoreInsn(insns, 3, r, where),
    (e: unknown) => e instanceof LoaderError && /has imm 5, expected 4/.test(e.message),
  );
  assert.equal(patchCoreInsn(insns, 3, { local: 5n, target: undefined, targetType: 0 }, where), true);
  assert.deepEqual(insns[3], { code: 0x85, dst: 0, src: 0, off: 0, imm: 0xbad2310 });
});
