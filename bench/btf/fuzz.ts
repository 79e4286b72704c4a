/**
 * BTF fuzzing at scale: `node --import tsx bench/btf/fuzz.ts [cases] [seed]` (default 100000).
 * Mutates the committed BTF fixtures, a built BTF with every kind, and the .BTF.ext fixtures
 * (see test/btf/fuzz-lib.ts), checks the property on each mutant, and prints the counts, the
 * slowest case and the peak RSS. Exits 1 on the first violation, with the counterexample.
 * Also runs the WebAssembly scan with tiny windows (so records straddle window ends and outgrow
 * the window) on mutated type words and on vmlinux, against the JavaScript scan, after checking
 * that the scan's bytes in wasmscan.ts are what its assembler (wasmscan-asm.ts) builds.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Btf } from '../../src/btf/index.js';
import { SCAN_MODULE_HEX, wasmScan } from '../../src/btf/wasmscan.js';
import { buildScanModule } from '../../src/btf/wasmscan-asm.js';
import {
  builtSample,
  checkBtf,
  checkExt,
  type FuzzStats,
  mutate,
  mutationArb,
} from '../../test/btf/fuzz-lib.js';
import { data } from '../../test/btf/helpers.js';

assert.equal(
  Buffer.from(buildScanModule()).toString('hex'),
  SCAN_MODULE_HEX,
  'src/btf/wasmscan.ts: SCAN_MODULE_HEX is stale (node --import tsx bench/btf/wasmscan-bytes.ts --write)',
);
const total = Number(process.argv[2] ?? 100000);
const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
const btfInputs: Array<[string, Uint8Array, boolean]> = [
  ['kinds.bpfel.btf', data('kinds.bpfel.btf'), true],
  ['kinds.bpfeb.btf', data('kinds.bpfeb.btf'), false],
  ['built (little)', builtSample('little'), true],
  ['built (big)', builtSample('big'), false],
];
const extInputs: Array<[string, Uint8Array, Btf, boolean]> = ['bpfel', 'bpfeb'].map((t) => [
  `kinds.${t}.btf.ext`,
  data(`kinds.${t}.btf.ext`),
  Btf.parse(data(`kinds.${t}.btf`)),
  t === 'bpfel',
]);
const perInput = Math.ceil(total / (btfInputs.length + extInputs.length));
let worst = 0;
let worstCase = '';
let peakRss = 0;
const t0 = performance.now();
const rows: string[] = [];
let all = 0;
for (const [name, bytes, le] of btfInputs) {
  const stats: FuzzStats = { cases: 0, parsed: 0, rejected: 0 };
  fc.assert(
    fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
      const t = performance.now();
      checkBtf(mutate(bytes, muts, le), stats);
      const d = performance.now() - t;
      if (d > worst) {
        worst = d;
        worstCase = `${name} ${JSON.stringify(muts)}`;
      }
      if ((stats.cases & 1023) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }),
    { numRuns: perInput, seed },
  );
  all += stats.cases;
  rows.push(
    `${name.padEnd(22)} ${String(stats.cases).padStart(7)} cases  ${stats.parsed} parsed, ${stats.rejected} FormatError`,
  );
}
for (const [name, bytes, btf, le] of extInputs) {
  const stats: FuzzStats = { cases: 0, parsed: 0, rejected: 0 };
  fc.assert(
    fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (muts) => {
      checkExt(mutate(bytes, muts, le), btf, stats);
    }),
    { numRuns: perInput, seed },
  );
  all += stats.cases;
  rows.push(
    `${name.padEnd(22)} ${String(stats.cases).padStart(7)} cases  ${stats.parsed} parsed, ${stats.rejected} FormatError`,
  );
}
// vmlinux: parse + round-trip + queries on ~500 ids per mutant (a C dump each would take seconds)
let vm: Uint8Array | undefined;
try {
  vm = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
} catch {
  vm = undefined;
}
if (vm) {
  const stats: FuzzStats = { cases: 0, parsed: 0, rejected: 0 };
  const n = Math.max(100, Math.ceil(total / 100));
  fc.assert(
    fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
      checkBtf(mutate(vm!, muts, true), stats, false);
    }),
    { numRuns: n, seed },
  );
  all += stats.cases;
  rows.push(
    `${'vmlinux (sampled)'.padEnd(22)} ${String(stats.cases).padStart(7)} cases  ${stats.parsed} parsed, ${stats.rejected} FormatError`,
  );
}
// the WebAssembly scan window by window: tiny windows give the same answer as the JavaScript scan
interface Scans {
  w: Uint32Array;
  wLen: number;
  n: number;
  offs: Uint32Array;
  startId: number;
  jsScan(): boolean;
}
const WINDOWS = [1, 2, 3, 4, 5, 7, 16, 61];
/**
 * Compares the windowed WebAssembly scans of `words` with the JavaScript scan (as `b`'s words);
 * returns whether the words are well-formed.
 */
function sameScans(b: Btf, words: Uint32Array): boolean {
  const s = b as unknown as Scans;
  s.w = words;
  s.wLen = words.length;
  const jsOk = s.jsScan();
  const js = jsOk ? Array.from(s.offs.subarray(0, s.n + 1)) : undefined;
  for (const win of WINDOWS) {
    const r = wasmScan(words, words.length, b.strings.totalLength, 0x000fffff - s.startId + 1, win);
    assert.notEqual(r, undefined);
    const ok = r !== false && r !== undefined && r.maxRef < s.startId + r.n;
    assert.equal(ok, jsOk, `window ${win}: WebAssembly ${ok}, JavaScript ${jsOk}`);
    if (js && r) assert.deepEqual(Array.from(r.offs), js, `window ${win}`);
  }
  return jsOk;
}
{
  let cases = 0;
  let wellFormed = 0;
  for (const [, bytes, le] of btfInputs) {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (muts) => {
        const m = mutate(bytes, muts, le);
        if (m.length < 24) return;
        const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
        const start = 24 + Math.min(dv.getUint32(8, le), m.length - 24);
        const nWords = Math.floor(Math.min(dv.getUint32(12, le), m.length - start) / 4);
        const words = new Uint32Array(nWords);
        for (let i = 0; i < nWords; i++) words[i] = dv.getUint32(start + i * 4, le);
        if (sameScans(Btf.parse(bytes), words)) wellFormed++;
        cases++;
      }),
      { numRuns: Math.ceil(perInput / 10), seed },
    );
  }
  if (vm) {
    const b = Btf.parse(vm);
    const words = (b as unknown as Scans).w.slice();
    for (const win of [1, 1000, 4099, 1 << 16]) {
      const r = wasmScan(words, words.length, b.strings.totalLength, 0x000fffff, win);
      assert.ok(r);
      assert.equal(r.n, b.typeCount - 1, `vmlinux, window ${win}`);
    }
    sameScans(Btf.parse(vm), words);
    cases++;
  }
  all += cases;
  rows.push(
    `${'windowed wasm scans'.padEnd(22)} ${String(cases).padStart(7)} cases  ${wellFormed} well-formed, ` +
      `each with windows of ${WINDOWS.join(', ')} words`,
  );
}
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(`btf fuzz: seed ${seed}`);
for (const r of rows) console.log(r);
console.log(
  `total ${all} cases, all passed, in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
    `slowest case ${worst.toFixed(1)} ms; peak RSS ${(peakRss / 1048576).toFixed(0)} MB`,
);
console.log(`slowest: ${worstCase}`);
