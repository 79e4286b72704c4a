/**
 * Verification time: the machine's verifier against the Linux verifier on the same programs, in
 * the same run. Programs: ../shared/bench/alu_loop.asm (about 120k processed instructions in
 * the kernel), the largest BPF C fixtures, and the corpus programs that walk the most
 * instructions (bounded loops, the 1M budget).
 *
 * Kernel time: the verifier's own "verification time N usec" (log_level BPF_LOG_STATS) and the
 * wall time of BPF_PROG_LOAD without a log, medians. Machine time: wall time of verify() from the
 * compiled package (dist/; `--src` for the TypeScript sources through tsx), measured warm: every
 * program is verified once first (the cold time of that first call is reported too), then the
 * whole verifier corpus is verified once, as a long-running process that verifies many programs
 * would have done, then each program is warmed up on its own (300 ms of verifications, at least
 * 3) and timed in `--runs` batches (each repeats verify() for at
 * least 5 ms and takes the mean; the median batch counts). Ratio = machine (warm) / kernel
 * verifier time (target: within 3x); the cold ratio is printed beside it.
 *
 * Run: `npm run build && node --import tsx bench/verifier/verifier.ts` (`--runs N`, default 5;
 * `--src`); with `node --expose-gc` each program is timed from a collected heap.
 *
 * @module
 */

import { existsSync, readFileSync as readText } from 'node:fs';
import { assembleConformance } from '../../src/isa/asm/conformance.js';
import { encode } from '../../src/isa/codec.js';
import type { VerifierMap, verify as verifyFn } from '../../src/machine/verifier/index.js';
import { VerifierError } from '../../src/sys/errors.js';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { ProgFlag } from '../../src/uapi/constants.js';
import { type CorpusProgram, corpus } from '../../test/verifier/corpus.js';

const args = process.argv.slice(2);
const runsIdx = args.indexOf('--runs');
const RUNS = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 5;

// The verifier as users run it: the compiled package (dist/, made by `npm run build`, which
// `npm ci` runs); `--src` takes the TypeScript sources through tsx instead.
const distEntry = new URL('../../dist/machine/verifier/index.js', import.meta.url);
const fromSrc = args.includes('--src') || !existsSync(distEntry);
const verify: typeof verifyFn = (
  fromSrc ? await import('../../src/machine/verifier/index.js') : await import(distEntry.href)
).verify;
console.log(`machine verifier from ${fromSrc ? 'src/ (tsx)' : 'dist/ (tsc build)'}`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const k = kernelBackend();

function kernelTimes(p: CorpusProgram): { statedUs: number; wallUs: number; processed: number; ok: boolean } {
  const bytes = encode(p.insns);
  const fds = p.maps.map((m) =>
    k.mapCreate({
      mapType: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      mapFlags: m.flags ?? 0,
    }),
  );
  const attr = {
    progType: p.progType,
    insns: bytes,
    license: p.license,
    ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
    ...(p.sleepable ? { progFlags: ProgFlag.SLEEPABLE } : {}),
    ...(fds.length > 0 ? { fdArray: Int32Array.from(fds.map((f) => f.fd)) } : {}),
  };
  const stated: number[] = [];
  const wall: number[] = [];
  let processed = 0;
  let ok = true;
  for (let r = 0; r < RUNS; r++) {
    let log = '';
    try {
      const buf = new Uint8Array(1 << 16);
      const fd = k.progLoad({ ...attr, logLevel: 4, logBuf: buf });
      const end = buf.indexOf(0);
      log = new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
      fd.close();
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      log = e.log;
      ok = false;
    }
    const m = /verification time (\d+) usec/.exec(log);
    if (m) stated.push(Number(m[1]));
    const pm = /processed (\d+) insns/.exec(log);
    if (pm) processed = Number(pm[1]);
    const t = process.hrtime.bigint();
    try {
      k.progLoad(attr).close();
    } catch {
      // rejected programs: the wall time still counts
    }
    wall.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  for (const f of fds) f.close();
  return { statedUs: stated.length ? median(stated) : Number.NaN, wallUs: median(wall), processed, ok };
}

function machineOpts(p: CorpusProgram): Parameters<typeof verify>[1] {
  const maps: VerifierMap[] = p.maps.map((m) => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags ?? 0,
  }));
  return {
    progType: p.progType,
    ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
    gpl: true,
    maps: (_: 'fd' | 'idx', i: number) => maps[i],
  };
}

/** Wall time (us) of the first verify() of `p` in this process. */
function machineCold(p: CorpusProgram): number {
  const opts = machineOpts(p);
  const t = process.hrtime.bigint();
  verify(p.insns, opts);
  return Number(process.hrtime.bigint() - t) / 1000;
}

/**
 * Machine time (us) of one verify() of `p`, median of RUNS batches: each batch repeats verify()
 * until 5 ms have passed and takes the mean (a single small verification is too close to the
 * timer's own cost), so programs that take longer than 5 ms are timed one verification a batch.
 */
function machineTime(p: CorpusProgram): { us: number; processed: number; ok: boolean } {
  const times: number[] = [];
  const opts = machineOpts(p);
  // from a collected heap (with --expose-gc), after this program's own warm-up: 300 ms of
  // verifications (at least 3), so V8 has compiled the paths this program takes
  (globalThis as { gc?: () => void }).gc?.();
  let r = verify(p.insns, opts);
  const w0 = process.hrtime.bigint();
  for (let n = 1; n < 3 || process.hrtime.bigint() - w0 < 300_000_000n; n++) r = verify(p.insns, opts);
  for (let n = 0; n < RUNS; n++) {
    const t = process.hrtime.bigint();
    let count = 0;
    let el = 0n;
    do {
      r = verify(p.insns, opts);
      count++;
      el = process.hrtime.bigint() - t;
    } while (el < 5_000_000n);
    times.push(Number(el) / 1000 / count);
  }
  return { us: median(times), processed: r.processed, ok: r.ok };
}

const programs: CorpusProgram[] = [];
const aluText = readText(new URL('../../../shared/bench/alu_loop.asm', import.meta.url), 'utf8');
programs.push({
  name: 'alu_loop.asm',
  progType: 1,
  insns: assembleConformance(aluText),
  maps: [],
  license: 'GPL',
});
const all = corpus();
const fixtures = all
  .filter((p) => p.name.startsWith('fix/'))
  .sort((a, b) => b.insns.length - a.insns.length)
  .slice(0, 4);
programs.push(...fixtures);
for (const name of [
  'gen/loop/count30000',
  'gen/loop/count1000',
  'hand/bad/loop-budget',
  'gen/loop/unknown-bound',
]) {
  const p = all.find((q) => q.name === name);
  if (p) programs.push(p);
}

const cold = new Map<string, number>();
for (const p of programs) cold.set(p.name, machineCold(p));
// Warm the verifier as a long-running process would be: verify the whole corpus once.
for (const p of all) verify(p.insns, machineOpts(p));

console.log(
  `${'program'.padEnd(34)} ${'insns'.padStart(6)} ${'k.proc'.padStart(8)} ${'m.proc'.padStart(8)} ${'kernel µs'.padStart(10)} ${'k.wall µs'.padStart(10)} ${'m.cold µs'.padStart(10)} ${'machine µs'.padStart(11)} ${'cold'.padStart(6)} ${'ratio'.padStart(6)}`,
);
const ratios: number[] = [];
for (const p of programs) {
  const kt = kernelTimes(p);
  const mt = machineTime(p);
  const base = Number.isNaN(kt.statedUs) || kt.statedUs === 0 ? kt.wallUs : kt.statedUs;
  const ratio = mt.us / base;
  const c = cold.get(p.name)!;
  ratios.push(ratio);
  const verdicts = kt.ok === mt.ok ? '' : `  (verdicts differ: kernel ${kt.ok}, machine ${mt.ok})`;
  console.log(
    `${p.name.padEnd(34)} ${String(p.insns.length).padStart(6)} ${String(kt.processed).padStart(8)} ${String(mt.processed).padStart(8)} ${kt.statedUs.toFixed(0).padStart(10)} ${kt.wallUs.toFixed(0).padStart(10)} ${c.toFixed(0).padStart(10)} ${mt.us.toFixed(0).padStart(11)} ${(c / base).toFixed(1).padStart(6)} ${ratio.toFixed(2).padStart(6)}${verdicts}`,
  );
}
console.log(
  `median ratio machine (warm) / kernel: ${median(ratios).toFixed(2)}; worst ${Math.max(...ratios).toFixed(2)}`,
);
