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
