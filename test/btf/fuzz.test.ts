import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Btf } from '../../src/btf/index.js';
import { SCAN_MODULE_HEX, wasmScan } from '../../src/btf/wasmscan.js';
import { buildScanModule } from '../../src/btf/wasmscan-asm.js';
import { builtSample, checkBtf, checkExt, mutate, mutationArb } from './fuzz-lib.js';
import { data, vmlinux } from './helpers.js';

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
  jsScan(): boolean;
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

/** The type words and string table size of a parsed Btf (its private fields). */
function scanInput(b: Btf): { w: Uint32Array; wLen: number; strTotal: number; maxN: number } {
  const s = b as unknown as { w: Uint32Array; wLen: number };
  return { w: s.w, wLen: s.wLen, strTotal: b.strings.totalLength, maxN: 0x000fffff - b.startId + 1 };
}

describe('btf WebAssembly scan', () => {
  it('ships the bytes its assembler makes (regenerate: node --import tsx bench/btf/wasmscan-bytes.ts --write)', () => {
    assert.equal(Buffer.from(buildScanModule()).toString('hex'), SCAN_MODULE_HEX);
  });
  it("gives the JavaScript scan's index for vmlinux", { skip: vmlinux() ? false : 'no vmlinux' }, () => {
    const b = Btf.parse(vmlinux()!);
    const { w, wLen, strTotal, maxN } = scanInput(b);
    const r = wasmScan(w, wLen, strTotal, maxN);
    assert.ok(r, 'WebAssembly is available in Node');
    const s = b as unknown as Scans;
    assert.equal(s.jsScan(), true);
    assert.equal(r.n, s.n);
    assert.equal(r.maxRef < b.typeCount, true);
    assert.ok(
      Buffer.from(r.offs.buffer, r.offs.byteOffset, r.offs.byteLength).equals(
        Buffer.from(s.offs.buffer, s.offs.byteOffset, (s.n + 1) * 4),
      ),
    );
  });
  for (const [name, bytes, le] of inputs) {
    it(`accepts and refuses exactly what the JavaScript scan does (type words of mutants of ${name})`, () => {
      const b = Btf.parse(bytes);
      const base = scanInput(b);
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
          // mutate the whole file, then graft its type words (same length or not) into b
          const m = mutate(bytes, muts, le);
          const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
          if (m.length < 24) return;
          const typeOff = dv.getUint32(8, le);
          const typeLen = Math.min(dv.getUint32(12, le), m.length - 24 - Math.min(typeOff, m.length - 24));
          const start = 24 + Math.min(typeOff, m.length - 24);
          const nWords = Math.floor(Math.max(0, typeLen) / 4);
          const words = new Uint32Array(nWords);
          for (let i = 0; i < nWords; i++) words[i] = dv.getUint32(start + i * 4, le);
          const s = b as unknown as Scans & { w: Uint32Array; wLen: number };
          s.w = words;
          s.wLen = nWords;
          const jsOk = s.jsScan();
          const js = jsOk ? { n: s.n, offs: Array.from(s.offs.subarray(0, s.n + 1)) } : undefined;
          // the shipped window, and a 5-word one (records then cross window ends all the time)
          for (const window of [undefined, 5]) {
            const r = wasmScan(words, nWords, base.strTotal, base.maxN, window);
            assert.notEqual(r, undefined, 'WebAssembly is available in Node');
            const wOk = r !== false && r !== undefined && r.maxRef < b.startId + r.n;
            assert.equal(wOk, jsOk, `window ${window ?? 'default'}: verdict`);
            if (js && r)
              assert.deepEqual({ n: r.n, offs: Array.from(r.offs) }, js, `window ${window ?? 'default'}`);
          }
        }),
        { numRuns: 500 },
      );
    });
  }
});
