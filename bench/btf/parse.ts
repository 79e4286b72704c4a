/**
 * Parse speed of vmlinux BTF: this library vs the system libbpf (`btf__parse_raw` / `btf__new`),
 * in the same run. Builds bench/btf/libbpf_parse.c with `cc ... -lbpf`, then runs each parser in
 * its own processes (so each peak RSS is its own), interleaved so machine load hits both alike:
 *
 * - cold: the first parse in a fresh process (median of COLD fresh processes per side);
 * - warm: the later parses of one process (ITERATIONS parses, best of two processes per side);
 *
 * each as wall time and as process CPU time (all threads: for node that includes the JIT and GC
 * threads), for `file` (read the file + parse: the user's path) and `mem` (parse bytes in memory),
 * with the tsbpf/libbpf ratios and peak RSS.
 *
 * Usage: node --import tsx bench/btf/parse.ts [FILE] [ITERATIONS] [COLD]
 *   (defaults: /sys/kernel/btf/vmlinux, 200, 7)
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const iters = Number(process.argv[3] ?? 200);
const coldRuns = Number(process.argv[4] ?? 7);
const exe = join(mkdtempSync(join(tmpdir(), 'btf-bench-')), 'libbpf_parse');
execFileSync('cc', ['-O2', '-o', exe, join(here, 'libbpf_parse.c'), '-lbpf']);

interface Result {
  firstMs: number;
  firstCpuMs: number;
  meanMs: number;
  minMs: number;
  cpuMs: number;
  types: number;
  maxRssKb: number;
  rssBeforeKb?: number;
}
const runC = (n: number, mode: string): Result =>
  JSON.parse(execFileSync(exe, [file, String(n), mode], { encoding: 'utf8' }));
const runTs = (n: number, mode: string): Result =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ['--import', 'tsx', join(here, 'parse-worker.ts'), file, String(n), mode],
      {
        encoding: 'utf8',
      },
    ),
  );
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

console.log(
  `BTF parse benchmark: ${file}, warm: ${iters} parses per process, cold: ${coldRuns} fresh processes`,
);
const lines: string[] = [];
for (const mode of ['file', 'mem'] as const) {
  const what = mode === 'file' ? 'read file + parse' : 'parse from memory';
  const cold: { c: Result[]; t: Result[] } = { c: [], t: [] };
  for (let i = 0; i < coldRuns; i++) {
    cold.c.push(runC(1, mode));
    cold.t.push(runTs(1, mode));
  }
  const cw = median(cold.c.map((r) => r.firstMs));
  const cc = median(cold.c.map((r) => r.firstCpuMs));
  const tw = median(cold.t.map((r) => r.firstMs));
  const tc = median(cold.t.map((r) => r.firstCpuMs));
  const c1 = runC(iters, mode);
  const t1 = runTs(iters, mode);
  const c2 = runC(iters, mode);
  const t2 = runTs(iters, mode);
  const c = c1.cpuMs < c2.cpuMs ? c1 : c2;
  const t = t1.cpuMs < t2.cpuMs ? t1 : t2;
  if (c.types !== t.types) throw new Error(`type counts differ: libbpf ${c.types}, tsbpf ${t.types}`);
  lines.push(
    `${what}:`,
    `  cold (first parse, fresh process, median)  wall: libbpf ${ms(cw)}, tsbpf ${ms(tw)}, ratio ${ratio(tw, cw)}` +
      `   cpu: libbpf ${ms(cc)}, tsbpf ${ms(tc)}, ratio ${ratio(tc, cc)}`,
    `  warm (parses 2..${iters}, mean)             wall: libbpf ${ms(c.meanMs)}, tsbpf ${ms(t.meanMs)}, ratio ${ratio(t.meanMs, c.meanMs)}` +
      `   cpu: libbpf ${ms(c.cpuMs)}, tsbpf ${ms(t.cpuMs)}, ratio ${ratio(t.cpuMs, c.cpuMs)}` +
      `   min wall: libbpf ${ms(c.minMs)}, tsbpf ${ms(t.minMs)}, ratio ${ratio(t.minMs, c.minMs)}`,
    `  peak RSS of a process that parses once (median): libbpf ${mb(median(cold.c.map((r) => r.maxRssKb)))}, tsbpf ${mb(median(cold.t.map((r) => r.maxRssKb)))}`,
    `  peak RSS after ${iters} parses: libbpf ${mb(c.maxRssKb)}, tsbpf ${mb(t.maxRssKb)} (node before the first parse ${mb(t.rssBeforeKb ?? 0)})`,
  );
}
const base0 = runC(0, 'file');
const ts0 = runTs(0, 'file');
for (const l of lines) console.log(l);
console.log(
  `types ${base0.types || runC(2, 'file').types}; peak RSS with no parse: libbpf program ${mb(base0.maxRssKb)}, node + tsx ${mb(ts0.maxRssKb)}`,
);
