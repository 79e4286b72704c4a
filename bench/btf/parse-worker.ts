/**
 * Our side of bench/btf/parse.ts, in its own process so its peak RSS is its own.
 * Usage: parse-worker.ts FILE ITERATIONS file|mem   Prints one JSON line like libbpf_parse.c.
 */

import { readFileSync } from 'node:fs';
import { Btf } from '../../src/btf/index.js';

const [path, itersText, mode] = process.argv.slice(2);
const iters = Number(itersText);
const mem = mode === 'mem';
const pre = mem ? new Uint8Array(readFileSync(path!)) : undefined;
const rssBefore = process.memoryUsage().rss;
let total = 0;
let min = Number.POSITIVE_INFINITY;
let types = 0;
let first = 0;
for (let i = 0; i < iters; i++) {
  const t = performance.now();
  const btf = Btf.parse(pre ?? new Uint8Array(readFileSync(path!)));
  const d = performance.now() - t;
  types = btf.typeCount;
  if (i === 0) first = d;
  total += d;
  if (d < min) min = d;
}
const ru = process.resourceUsage();
console.log(
  JSON.stringify({
    meanMs: iters ? total / iters : 0,
    minMs: iters ? min : 0,
    firstMs: first,
    types,
    maxRssKb: ru.maxRSS,
    rssBeforeKb: Math.round(rssBefore / 1024),
  }),
);
