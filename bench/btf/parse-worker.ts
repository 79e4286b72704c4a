/**
 * Our side of bench/btf/parse.ts, in its own process so its peak RSS is its own.
 * Usage: parse-worker.ts FILE ITERATIONS file|mem   Prints one JSON line like libbpf_parse.c.
 * `file` is the user's path, timed like libbpf's `btf__parse_raw`: {@link parseBtfFile} (open,
 * fstat, `readSync` into one buffer of the stat size until the end of the file, then parse; sysfs
 * hands out 4 KiB per read, so vmlinux takes 1,348 read(2) calls here and 1,349 in libbpf's
 * stdio, per strace). `mem` parses bytes read once before timing (libbpf: `btf__new`, which copies them).
 * Both time the first call in the process with the code already loaded (node's module loading, the
 * C program's dynamic linking are not timed); node's CPU time counts all its threads (JIT, GC).
 * Peak RSS is VmHWM from /proc/self/status (this process's own high-water mark; `maxRSS` from
 * getrusage also keeps the parent's resident size from before exec).
 */

import { readFileSync } from 'node:fs';
import { Btf } from '../../src/btf/index.js';
import { parseBtfFile, readFileWhole } from '../../src/cli/commands/btf.js';

/** VmHWM in kB (getrusage's maxRSS where /proc is missing). */
function peakRssKb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

const [path, itersText, mode] = process.argv.slice(2);
const iters = Number(itersText);
const pre = mode === 'mem' ? readFileWhole(path!) : undefined;
const rssBefore = process.memoryUsage().rss;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
let total = 0;
let totalCpu = 0;
let min = Number.POSITIVE_INFINITY;
let types = 0;
let first = 0;
let firstCpu = 0;
for (let i = 0; i < iters; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  const btf = pre ? Btf.parse(pre) : parseBtfFile(path!);
  const d = performance.now() - t;
  const dc = cpuMs(process.cpuUsage(c));
  types = btf.typeCount;
  if (i === 0) {
    first = d;
    firstCpu = dc;
    continue;
  }
  total += d;
  totalCpu += dc;
  if (d < min) min = d;
}
const warm = iters > 1 ? iters - 1 : 0;
console.log(
  JSON.stringify({
    firstMs: first,
    firstCpuMs: firstCpu,
    meanMs: warm ? total / warm : 0,
    minMs: warm ? min : 0,
    cpuMs: warm ? totalCpu / warm : 0,
    types,
    maxRssKb: peakRssKb(),
    rssBeforeKb: Math.round(rssBefore / 1024),
  }),
);
