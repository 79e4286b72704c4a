import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Btf } from '../../src/btf/index.js';
import { builtSample, checkBtf, checkExt, mutate, mutationArb } from './fuzz-lib.js';
import { data } from './helpers.js';

const inputs: Array<[string, Uint8Array, boolean]> = [
  ['kinds.bpfel.btf', data('kinds.bpfel.btf'), true],
  ['kinds.bpfeb.btf', data('kinds.bpfeb.btf'), false],
  ['built (little)', builtSample('little'), true],
  ['built (big)', builtSample('big'), false],
];

describe('btf fuzz', () => {
  for (const [name, bytes, le] of inputs) {
    it(`mutants of ${name}: parse or FormatError; round-trip, queries and C dump never throw anything else`, () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
          checkBtf(mutate(bytes, muts, le));
        }),
        { numRuns: 700 },
      );
    });
  }
  for (const t of ['bpfel', 'bpfeb']) {
    it(`mutants of kinds.${t}.btf.ext`, () => {
      const btf = Btf.parse(data(`kinds.${t}.btf`));
      const ext = data(`kinds.${t}.btf.ext`);
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (muts) => {
          checkExt(mutate(ext, muts, t === 'bpfel'), btf);
        }),
        { numRuns: 500 },
      );
    });
  }
});

/** The two scans of {@link Btf}, reached for the equivalence test (they are private). */
interface Scans {
  fastScan(): boolean;
  checkedScan(typeStart: number): void;
  offs: Uint32Array;
  n: number;
}

describe('btf fast scan', () => {
  for (const [name, bytes, le] of inputs) {
    it(`accepts exactly what the checked scan accepts, with the same index (mutants of ${name})`, () => {
      const good = Btf.parse(bytes);
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
          const m = mutate(bytes, muts, le);
          let b: Btf;
          try {
            // a parse that succeeds went through one of the scans; rescan with both
            b = Btf.parse(m);
          } catch {
            return;
          }
          const s = b as unknown as Scans;
          const fastOk = s.fastScan();
          const fastIndex = fastOk ? [s.n, ...s.offs.subarray(0, s.n + 1)] : undefined;
          s.checkedScan(0);
          const checkedIndex = [s.n, ...s.offs.subarray(0, s.n + 1)];
          if (fastIndex) assert.deepEqual(fastIndex, checkedIndex);
        }),
        { numRuns: 400 },
      );
      // and the fast scan takes well-formed input itself (the checked scan is the fallback only)
      assert.equal((good as unknown as Scans).fastScan(), true);
    });
    it(`refuses what the checked scan refuses (mutants of ${name})`, () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
          const m = mutate(bytes, muts, le);
          let checkedThrows = false;
          const b = Btf.parse(bytes);
          // graft the mutant's type words into a parsed Btf only when the header is unchanged
          try {
            Btf.parse(m);
          } catch {
            checkedThrows = true;
          }
          if (!checkedThrows) return;
          // the parse threw: whichever scan ran, the fast one must not accept these words
          try {
            const hdr = new DataView(m.buffer, m.byteOffset, m.byteLength);
            const hl = hdr.getUint32(4, le);
            const typeOff = hdr.getUint32(8, le);
            const typeLen = hdr.getUint32(12, le);
            const strLen = hdr.getUint32(20, le);
            if (hl !== 24 || typeLen % 4 !== 0 || 24 + typeOff + typeLen > m.length) return;
            if (strLen !== b.strings.length) return;
            const words = new Uint32Array(typeLen / 4);
            for (let i = 0; i < words.length; i++) words[i] = hdr.getUint32(24 + typeOff + i * 4, le);
            const s = b as unknown as Scans & { w: Uint32Array; wLen: number };
            s.w = words;
            s.wLen = words.length;
            let checkedOk = true;
            try {
              s.checkedScan(0);
            } catch {
              checkedOk = false;
            }
            if (!checkedOk) assert.equal(s.fastScan(), false);
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
          }
        }),
        { numRuns: 400 },
      );
    });
  }
});
