/**
 * Throughput of the instruction layer: assemblers (both syntaxes), disassemblers, encoder and
 * decoder, in instructions per second, on the whole conformance corpus and on a generated
 * 1M-instruction program. The LLVM tools run on the same input in the same run as the baseline
 * (llvm-mc for assembly, llvm-objdump for disassembly), on the subset of forms llvm-mc 14 reads.
 *
 * Run: `node --import tsx bench/isa.ts` (`--n N` for another program size, `--json`).
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  assembleConformance,
  assembleLlvm,
  decode,
  disassembleConformance,
  disassembleLlvm,
  encode,
  type Insn,
  parseConformanceData,
} from '../src/isa/index.js';
import { arbInsn } from '../test/isa/arbitraries.js';
import { llvm14Knows } from '../test/isa/llvm-mc.js';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1] ?? 0) || 1_000_000;
const json = args.includes('--json');

interface Row {
  input: string;
  operation: string;
  insns: number;
  seconds: number;
  insnsPerSec: number;
  baseline?: string;
}
const rows: Row[] = [];

/** CPU seconds (user + system, all threads) this process has used. */
function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * CPU seconds used by waited-for child processes (`cutime + cstime` of /proc/self/stat, in clock
 * ticks of 1/100 s).
 */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is field 3 of the full line, cutime 16 and cstime 17.
  return (Number(f[13]) + Number(f[14])) / 100;
}

/**
 * Runs `f` repeatedly for at least `minSeconds` of CPU time (after one warm-up run) and returns
 * CPU seconds per run. CPU time rather than wall time, so that other load on the machine does not
 * count.
 */
function time(f: () => unknown, minSeconds = 1): number {
  f();
  let runs = 0;
  const t0 = cpu();
  let t = t0;
  do {
    f();
    runs++;
    t = cpu();
  } while (t - t0 < minSeconds);
  return (t - t0) / runs;
}

/** CPU seconds of one child process run (`cmd args`); throws on failure. */
function timeChild(cmd: string, cmdArgs: string[]): number {
  const c0 = childCpu();
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd}: ${String(r.stderr).slice(0, 500)}`);
  return childCpu() - c0;
}

function record(input: string, operation: string, insns: number, seconds: number, baseline?: string): void {
  rows.push({ input, operation, insns, seconds, insnsPerSec: insns / seconds, baseline });
}

// --- the conformance corpus -------------------------------------------------------------------
const dir = join(import.meta.dirname, '../../shared/conformance/tests');
const tests = readdirSync(dir)
  .filter((f) => f.endsWith('.data'))
  .sort()
  .map((f) => parseConformanceData(readFileSync(join(dir, f), 'utf8'), f));
const corpusText = tests.map((t) => t.asm!);
const corpusInsns = corpusText.map((t) => assembleConformance(t));
const corpusBytes = corpusInsns.map((p) => encode(p));
const corpusLlvm = corpusInsns.map((p) => disassembleLlvm(p));
const nCorpus = corpusInsns.reduce((a, p) => a + p.length, 0);
const corpusName = `conformance corpus (${tests.length} programs)`;
record(
  corpusName,
  'assemble (conformance syntax)',
  nCorpus,
  time(() => corpusText.map((t) => assembleConformance(t))),
);
record(
  corpusName,
  'assemble (LLVM syntax)',
  nCorpus,
  time(() => corpusLlvm.map((t) => assembleLlvm(t))),
);
record(
  corpusName,
  'decode (validated)',
  nCorpus,
  time(() => corpusBytes.map((b) => decode(b, { validate: false }))),
);
record(
  corpusName,
  'encode',
  nCorpus,
  time(() => corpusInsns.map((p) => encode(p))),
);
record(
  corpusName,
  'disassemble (conformance)',
  nCorpus,
  time(() => corpusInsns.map((p) => disassembleConformance(p))),
);
record(
  corpusName,
  'disassemble (LLVM)',
  nCorpus,
  time(() => corpusInsns.map((p) => disassembleLlvm(p))),
);

// --- a generated program ----------------------------------------------------------------------
function generate(n: number, filter: (i: Insn) => boolean): Insn[] {
  const pool = fc.sample(arbInsn.filter(filter), { numRuns: 20_000, seed: 42 });
  const out = new Array<Insn>(n);
  let x = 12345;
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[k] = pool[x % pool.length]!;
  }
  return out;
}
const big = generate(N, () => true);
const bigBytes = encode(big);
const bigConf = disassembleConformance(big);
const bigLlvm = disassembleLlvm(big);
const bigName = `generated, ${N} insns, all forms`;
record(
  bigName,
  'assemble (conformance syntax)',
  N,
  time(() => assembleConformance(bigConf), 3),
);
record(
  bigName,
  'assemble (LLVM syntax)',
  N,
  time(() => assembleLlvm(bigLlvm), 3),
);
record(
  bigName,
  'decode (validated)',
  N,
  time(() => decode(bigBytes), 3),
);
record(
  bigName,
  'decode (framing only)',
  N,
  time(() => decode(bigBytes, { validate: false }), 3),
);
record(
  bigName,
  'encode',
  N,
  time(() => encode(big), 3),
);
record(
  bigName,
  'disassemble (conformance)',
  N,
  time(() => disassembleConformance(big), 3),
);
record(
  bigName,
  'disassemble (LLVM)',
  N,
  time(() => disassembleLlvm(big), 3),
);

// --- baseline: LLVM 14 on the forms it reads --------------------------------------------------
const sub = generate(N, (i) => llvm14Knows(i) && !(i.code === 0x85 && i.src === 1));
const subText = disassembleLlvm(sub);
const subBytes = encode(sub);
const subName = `generated, ${N} insns, llvm-mc 14 forms`;
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-bench-isa-'));
try {
  const src = join(tmp, 'p.s');
  const obj = join(tmp, 'p.o');
  writeFileSync(src, subText);
  const mcArgs = ['-triple', 'bpfel', '-filetype=obj', '-o', obj, src];
  const have = spawnSync('llvm-mc', ['--version']).status === 0;
  const ours = time(() => assembleLlvm(subText), 3);
  record(subName, 'assemble (LLVM syntax)', N, ours);
  if (have) {
    const mc = timeChild('llvm-mc', mcArgs);
    record(subName, 'llvm-mc -filetype=obj (process)', N, mc, `ours is ${(mc / ours).toFixed(1)}x faster`);
    const oursDis = time(() => disassembleLlvm(decode(subBytes)), 3);
    record(subName, 'decode + disassemble (LLVM)', N, oursDis);
    const odt = timeChild('llvm-objdump', ['-d', obj]);
    record(subName, 'llvm-objdump -d (process)', N, odt, `ours is ${(odt / oursDis).toFixed(1)}x faster`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
  const lines = [
    `command: node --import tsx bench/isa.ts${N === 1_000_000 ? '' : ` --n ${N}`}   (node ${process.version})`,
    '',
    '| input | operation | insns | CPU time | insns/s | vs LLVM 14 |',
    '|---|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.input} | ${r.operation} | ${r.insns} | ${(r.seconds * 1000).toFixed(1)} ms | ${fmt(r.insnsPerSec)} | ${r.baseline ?? ''} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
