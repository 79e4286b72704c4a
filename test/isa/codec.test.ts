import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, encode, encodingError, type Insn, InsnDecodeError } from '../../src/isa/index.js';

const h = (s: string) =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((b) => Number.parseInt(b, 16)),
  );

describe('isa codec', () => {
  it('decodes little-endian slots', () => {
    const insns = decode(h('b7 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00'), { validate: false });
    assert.deepEqual(insns[0], { code: 0xb7, dst: 0, src: 1, off: 0, imm: 1 });
  });
  it('swaps register nibbles and byte order in big endian', () => {
    const insn: Insn = { code: 0x61, dst: 2, src: 1, off: -4, imm: 0 };
    const be = encode([insn], { endian: 'big' });
    assert.deepEqual([...be], [0x61, 0x21, 0xff, 0xfc, 0, 0, 0, 0]);
    assert.deepEqual(decode(be, { endian: 'big' }), [insn]);
    const le = encode([insn]);
    assert.deepEqual([...le], [0x61, 0x12, 0xfc, 0xff, 0, 0, 0, 0]);
  });
  it('keeps ld_imm64 as one instruction over two slots', () => {
    const insn: Insn = { code: 0x18, dst: 1, src: 0, off: 0, imm: 0x55667788, imm2: 0x11223344 };
    const b = encode([insn]);
    assert.equal(b.length, 16);
    assert.deepEqual(decode(b), [insn]);
  });
  it('names the slot of a truncated ld_imm64', () => {
    assert.throws(
      () => decode(h('b7 00 00 00 00 00 00 00 18 01 00 00 01 00 00 00')),
      (e: unknown) => e instanceof InsnDecodeError && e.slot === 1 && /second slot/.test(e.message),
    );
  });
  it('rejects reserved fields', () => {
    assert.match(encodingError({ code: 0x07, dst: 0, src: 0, off: 1, imm: 1 }) ?? '', /reserved field off/);
    assert.equal(encodingError({ code: 0x3f, dst: 0, src: 1, off: 1, imm: 0 }), undefined); // sdiv
    assert.match(encodingError({ code: 0x95, dst: 0, src: 0, off: 0, imm: 1 }) ?? '', /EXIT/);
  });
  it('rejects a length that is not a multiple of 8', () => {
    assert.throws(() => decode(new Uint8Array(9)), InsnDecodeError);
  });
});
