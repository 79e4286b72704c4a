/**
 * Parse speed of vmlinux BTF: this library vs the system libbpf (`btf__parse_raw` / `btf__new`),
 * in the same run. Builds bench/btf/libbpf_parse.c with `cc ... -lbpf`, then runs each parser in
 * its own process (so each peak RSS is its own) and prints times, the ratio and peak memory.
 *
 * Usage: node --import tsx bench/btf/parse.ts [FILE] [ITERATIONS]
 *   (defaults: /sys/kernel/btf/vmlinux, 200)
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const iters = Number(process.argv[3] ?? 200);
const exe = join(mkdtempSync(join(tmpdir(), 'btf-bench-')), 'libbpf_parse');
execFileSync('cc', ['-O2', '-o', exe, join(here, 'libbpf_parse.c'), '-lbpf']);

interface Result {
  meanMs: number;
  minMs: number;
  firstMs: number;
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

console.log(`BTF parse benchmark: ${file}, ${iters} parses per run`);
const rows: string[] = [];
for (const mode of ['file', 'mem'] as const) {
  // interleave two rounds so machine load affects both sides alike
  const c1 = runC(iters, mode);
  const t1 = runTs(iters, mode);
  const c2 = runC(iters, mode);
  const t2 = runTs(iters, mode);
  const c = c1.meanMs < c2.meanMs ? c1 : c2;
  const t = t1.meanMs < t2.meanMs ? t1 : t2;
  if (c.types !== t.types) throw new Error(`type counts differ: libbpf ${c.types}, tsbpf ${t.types}`);
  const what = mode === 'file' ? 'read file + parse' : 'parse from memory';
  rows.push(
    `${what.padEnd(18)} libbpf ${c.meanMs.toFixed(2)} ms (min ${c.minMs.toFixed(2)})  ` +
      `tsbpf ${t.meanMs.toFixed(2)} ms (min ${t.minMs.toFixed(2)})  ` +
      `ratio ${(t.meanMs / c.meanMs).toFixed(2)}x (min ${(t.minMs / c.minMs).toFixed(2)}x)  ` +
      `first parse libbpf ${c.firstMs.toFixed(2)} ms, tsbpf ${t.firstMs.toFixed(2)} ms  ` +
      `peak RSS libbpf ${(c.maxRssKb / 1024).toFixed(0)} MB, tsbpf ${(t.maxRssKb / 1024).toFixed(0)} MB ` +
      `(node at start ${((t.rssBeforeKb ?? 0) / 1024).toFixed(0)} MB)`,
  );
}
const base0 = runC(0, 'file');
const ts0 = runTs(0, 'file');
for (const r of rows) console.log(r);
console.log(
  `types ${runC(1, 'file').types}; RSS with no parse: libbpf program ${(base0.maxRssKb / 1024).toFixed(0)} MB, ` +
    `node + tsx ${(ts0.maxRssKb / 1024).toFixed(0)} MB`,
);
