import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as I from '../../src/isa/index.js';
import {
  decode,
  encode,
  encodingError,
  type Insn,
  InsnDecodeError,
  LD_IMM64,
  slotCount,
} from '../../src/isa/index.js';
import {
  arbEndianness,
  arbInsn,
  arbInsnFields,
  arbLdImm64,
  arbLoadableProgram,
  arbNarrowInsn,
  arbProgram,
  arbProgramBytes,
} from './arbitraries.js';

const RUNS = 3000;

/** Field-by-field comparison that ignores an absent vs undefined `imm2`. */
function same(a: Insn, b: Insn): boolean {
  return (
    a.code === b.code &&
    a.dst === b.dst &&
    a.src === b.src &&
    a.off === b.off &&
    a.imm === b.imm &&
    (a.imm2 ?? 0) === (b.imm2 ?? 0) &&
    (a.imm2 === undefined) === (b.imm2 === undefined)
  );
}

describe('isa properties', () => {
  it('generated instructions are valid encodings', () => {
    fc.assert(
      fc.property(arbInsn, (i) => {
        assert.equal(encodingError(i), undefined, JSON.stringify(i));
      }),
      { numRuns: RUNS },
    );
  });

  it('decode(encode(i)) == i for single instructions, both byte orders', () => {
    fc.assert(
      fc.property(arbInsn, arbEndianness, (i, endian) => {
        const bytes = encode([i], { endian });
        assert.equal(bytes.length, i.code === LD_IMM64 ? 16 : 8);
        const back = decode(bytes, { endian });
        assert.equal(back.length, 1);
        assert.ok(same(back[0]!, i), `${JSON.stringify(i)} -> ${JSON.stringify(back[0])}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('decode(encode(p)) == p for programs with ld_imm64 mixed in, both byte orders', () => {
    fc.assert(
      fc.property(arbProgram({ maxLength: 40 }), arbEndianness, (p, endian) => {
        const bytes = encode(p, { endian });
        assert.equal(bytes.length, slotCount(p) * 8);
        const back = decode(bytes, { endian });
        assert.equal(back.length, p.length);
        for (let k = 0; k < p.length; k++) assert.ok(same(back[k]!, p[k]!), `instruction ${k}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('loadable programs are valid encodings that round trip, jumps landing inside the program', () => {
    fc.assert(
      fc.property(arbLoadableProgram({ maxLength: 60 }), arbEndianness, (p, endian) => {
        const starts = new Set(I.slotIndex(p));
        const slots = I.slotCount(p);
        let slot = 0;
        for (const i of p) {
          assert.equal(encodingError(i), undefined, JSON.stringify(i));
          if ((i.code & 7) === 5 || (i.code & 7) === 6) {
            if ((i.code & 0xf0) !== 0x90) {
              const to = slot + 1 + i.off;
              assert.ok(to > slot && to < slots && starts.has(to), `jump at slot ${slot} to ${to}`);
            }
          }
          slot += i.code === LD_IMM64 ? 2 : 1;
        }
        assert.equal(p.at(-1)!.code, 0x95);
        const back = decode(encode(p, { endian }), { endian });
        for (let k = 0; k < p.length; k++) assert.ok(same(back[k]!, p[k]!));
      }),
      { numRuns: 500 },
    );
  });

  it('the two byte orders differ only by field order and register nibbles', () => {
    fc.assert(
      fc.property(arbNarrowInsn, (i) => {
        const le = encode([i], { endian: 'little' });
        const be = encode([i], { endian: 'big' });
        assert.equal(le[0], be[0]);
        assert.equal(le[1], ((be[1]! & 0x0f) << 4) | (be[1]! >> 4));
        assert.deepEqual([le[3], le[2]], [be[2], be[3]]);
        assert.deepEqual([le[7], le[6], le[5], le[4]], [be[4], be[5], be[6], be[7]]);
      }),
      { numRuns: 500 },
    );
  });

  it('an ld_imm64 spans two slots whose second has only imm set', () => {
    fc.assert(
      fc.property(arbLdImm64, arbEndianness, (i, endian) => {
        const b = encode([i], { endian });
        assert.deepEqual([b[8], b[9], b[10], b[11]], [0, 0, 0, 0]);
        const dv = new DataView(b.buffer);
        assert.equal(dv.getInt32(12, endian === 'little'), i.imm2);
      }),
      { numRuns: 500 },
    );
  });

  it('decode with validation accepts exactly the fields encodingError accepts', () => {
    fc.assert(
      fc.property(arbInsnFields, arbEndianness, (i, endian) => {
        const bytes = encode([i], { endian });
        const why = encodingError(i);
        if (why === undefined) {
          assert.ok(same(decode(bytes, { endian })[0]!, i));
        } else {
          assert.throws(
            () => decode(bytes, { endian }),
            (e: unknown) => e instanceof InsnDecodeError && e.slot === 0 && e.reason === why,
          );
        }
        // Without validation every one-slot pattern decodes, and back to the same fields.
        assert.ok(same(decode(bytes, { endian, validate: false })[0]!, i));
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes decode to instructions or to an InsnDecodeError naming a slot', () => {
    let decoded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(arbProgramBytes, arbEndianness, fc.boolean(), (bytes, endian, validate) => {
        let insns: Insn[];
        try {
          insns = decode(bytes, { endian, validate });
        } catch (e) {
          assert.ok(e instanceof InsnDecodeError, `not an InsnDecodeError: ${String(e)}`);
          const slots = Math.ceil(bytes.length / 8);
          assert.ok(Number.isInteger(e.slot) && e.slot >= 0 && e.slot <= slots, `slot ${e.slot} of ${slots}`);
          assert.equal(e.where, `slot ${e.slot}`);
          assert.equal(e.offset, e.slot * 8);
          assert.match(e.message, new RegExp(`^slot ${e.slot} `));
          rejected++;
          return;
        }
        decoded++;
        // What decodes re-encodes to the same bytes.
        assert.deepEqual(encode(insns, { endian }), bytes);
        if (validate) for (const i of insns) assert.equal(encodingError(i), undefined);
      }),
      { numRuns: RUNS },
    );
    // Both outcomes are exercised, so neither branch is vacuous.
    assert.ok(decoded > 0 && rejected > 0, `decoded ${decoded}, rejected ${rejected}`);
  });
});
