/**
 * CPU time of the open path alone (BpfObject.open: ELF + BTF parse, section layouts, struct_ops)
 * per fixture, no syscalls: the part of `bench/loader/loader.ts` that is the library's own work.
 * CPU time (process.cpuUsage) rather than wall time, and the best of several batches, so a busy
 * shared host disturbs it less.
 *
 *   node --import tsx bench/loader/open.ts [iterations]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '../../src/loader/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = ['globals', 'mapinmap', 'maps', 'subprogs', 'core', 'sections', 'externs'];
const N = Number(process.argv[2] ?? 50);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const BATCHES = 10;
console.log(`fixture     open µs (CPU per open: the best of ${BATCHES} batches of ${N}, after warm-up)`);
let total = 0;
for (const name of FIXTURES) {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', `${name}.bpfel.o`)));
  for (let i = 0; i < 50; i++) BpfObject.open(bytes);
  let us = Number.POSITIVE_INFINITY;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = cpuUs();
    for (let i = 0; i < N; i++) BpfObject.open(bytes);
    us = Math.min(us, (cpuUs() - t0) / N);
  }
  total += us;
  console.log(`${name.padEnd(10)} ${us.toFixed(1).padStart(10)}`);
}
console.log(`${'total'.padEnd(10)} ${total.toFixed(1).padStart(10)}`);
