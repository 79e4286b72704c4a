/**
 * Verdict fuzzing against the kernel: mutants of the verifier corpus loaded into Linux (bpf(2))
 * and into the machine's verifier. A mutant changes one to three fields of random instructions
 * (an offset, an immediate, a register, the size or operation bits of the opcode), so most stay
 * close to a program one of the verifiers has an opinion about. The kernel is the oracle:
 *
 * - the machine accepting what Linux rejects is a soundness bug: printed, exit 1;
 * - the machine rejecting what Linux accepts is a difference (the target is none): printed;
 * - both rejecting with different error lines is counted;
 * - every mutant the machine accepts also runs on the machine's engine with random input, and a
 *   fault there (a verifier bug) is printed, exit 1.
 *
 * Run as root: `node --import tsx bench/verifier/fuzz.ts [cases] [seed]` (default 5000, seed 1).
 * Programs whose kernel walk is long (bounded loops, the 1M budget) are left out to keep a case
 * fast, and so are the programs of known-differences.json. A difference it finds belongs in the
 * corpus (test/verifier/programs.ts) once understood, recorded on the kernel.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import type { Insn } from '../../src/isa/insn.js';
import { LD_IMM64 } from '../../src/isa/opcodes.js';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { type CorpusProgram, corpus } from '../../test/verifier/corpus.js';
import { kernelAnswer, machineAnswer, readRecord } from '../../test/verifier/harness.js';
import { rng, runOnMachine } from '../../test/verifier/soundness-run.js';

const [casesArg = '5000', seedArg = '1'] = process.argv.slice(2);
const CASES = Number(casesArg);

const next = rng(Number(seedArg));
const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;

const SMALL = [-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 32, 64];

/** One field of `i` changed. */
function mutateInsn(i: Insn): Insn {
  const m = { ...i };
  switch (next() % 7) {
    case 0:
      m.off = ((i.off + pick(SMALL)) << 16) >> 16;
      break;
    case 1:
      m.imm = pick([i.imm + pick(SMALL), pick(SMALL), next() | 0, 0x7fffffff, -0x80000000]) | 0;
      break;
    case 2:
      m.dst = next() % 11;
      break;
    case 3:
      m.src = next() % 11;
      break;
    case 4: {
      // another size (LD/LDX/ST/STX) or another operation in the same class
      const cls = i.code & 7;
      if (cls <= 3 && i.code !== LD_IMM64) m.code = (i.code & ~0x18) | ((next() % 4) << 3);
      else m.code = (i.code & 0x0f) | ((next() % 14) << 4);
      break;
    }
    case 5:
      // the K/X bit
      if ((i.code & 7) >= 4 || (i.code & 7) === 3) m.code = i.code ^ 0x08;
      break;
    default:
      m.off = pick(SMALL) * 8;
  }
  if (m.code === LD_IMM64 && i.code !== LD_IMM64) m.imm2 = 0;
  if (m.code !== LD_IMM64) delete m.imm2;
  return m;
}

const record = readRecord();
const known = (
  JSON.parse(
    readFileSync(new URL('../../test/verifier/known-differences.json', import.meta.url), 'utf8'),
  ) as {
    differences: Record<string, string>;
  }
).differences;
const seeds = corpus().filter((p) => {
  const r = record[p.name];
  // a known difference's mutants would mostly repeat it
  if (known[p.name] !== undefined) return false;
  // the kernel walks them fast: no loops that run long, no 1M budget
  return (
    r !== undefined && !r.line?.startsWith('BPF program is too large') && !/loop|budget|count\d/.test(p.name)
  );
});
const k = kernelBackend();

let accepted = 0;
let bothRejected = 0;
let sameLine = 0;
const unsound: string[] = [];
const stricter: string[] = [];
const faults: string[] = [];
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const base: CorpusProgram = pick(seeds);
  const insns = base.insns.slice();
  const n = 1 + (next() % 3);
  for (let q = 0; q < n; q++) {
    const at = next() % insns.length;
    insns[at] = mutateInsn(insns[at]!);
  }
  const p: CorpusProgram = { ...base, name: `${base.name}#${c}`, insns };
  let ka: ReturnType<typeof kernelAnswer>;
  try {
    ka = kernelAnswer(k, p);
  } catch (e) {
    // an attr the kernel refuses before the verifier (e.g. a map the mutant cannot make): skip
    if (e instanceof Error && /E2BIG|EINVAL/.test(e.message)) continue;
    throw e;
  }
  const ma = machineAnswer(p);
  if (ma.verdict === 'accepted' && ka.verdict === 'rejected')
    unsound.push(`${p.name}: kernel ${ka.errno} '${ka.line}' ${JSON.stringify(insns)}`);
  else if (ma.verdict === 'rejected' && ka.verdict === 'accepted')
    stricter.push(`${p.name}: machine ${ma.errno} '${ma.line}' ${JSON.stringify(insns)}`);
  else if (ma.verdict === 'rejected') {
    bothRejected++;
    if (ma.line === ka.line) sameLine++;
  } else accepted++;
  if (ma.verdict === 'accepted' && ma.processed <= 100_000)
    for (const f of runOnMachine(p, 2, c + 1)) faults.push(`${f} ${JSON.stringify(insns)}`);
  if (unsound.length + faults.length >= 5) break;
}
const s = ((Date.now() - t0) / 1000).toFixed(0);
console.log(
  `${CASES} mutants in ${s} s: both accept ${accepted}, both reject ${bothRejected} (same error line ${sameLine}), machine accepts what Linux rejects ${unsound.length}, machine rejects what Linux accepts ${stricter.length}, run-time faults ${faults.length}`,
);
for (const u of unsound) console.log(`UNSOUND ${u}`);
for (const f of faults) console.log(`FAULT ${f}`);
for (const d of stricter.slice(0, 20)) console.log(`STRICTER ${d}`);
process.exit(unsound.length + faults.length > 0 ? 1 : 0);
