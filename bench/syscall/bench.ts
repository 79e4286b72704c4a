// Cost per map lookup and update through the kernel backend vs a C program doing the same raw
// bpf(2) syscalls, in one run. Usage: node --import tsx bench/syscall/bench.ts [iterations] [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

const n = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 11);
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(mkdtempSync(join(tmpdir(), 'tsbpf-bench-')), 'raw');
execFileSync('cc', ['-O2', '-o', bin, join(here, 'raw.c')]);

function c(type: number): { update: number; lookup: number } {
  const out = execFileSync(bin, [String(type), String(n)], { encoding: 'utf8' });
  const m = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  return { update: Number(m.update), lookup: Number(m.lookup) };
}

function ts(type: number): { update: number; lookup: number } {
  const k = kernelBackend();
  using m = k.mapCreate({ mapType: type, keySize: 4, valueSize: 8, maxEntries: 16 });
  const fd = m.fd;
  const key = new Uint8Array(new Uint32Array([3]).buffer);
  const value = new Uint8Array(new BigUint64Array([42n]).buffer);
  const out = new Uint8Array(8);
  k.mapUpdateElem(fd, key, value);
  // Warm up the JIT.
  for (let i = 0; i < 20_000; i++) {
    k.mapUpdateElem(fd, key, value, 0);
    k.mapLookupElem(fd, key, out, 0);
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) k.mapUpdateElem(fd, key, value, 0);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) k.mapLookupElem(fd, key, out, 0);
  const t2 = process.hrtime.bigint();
  if (out[0] !== 42) throw new Error('lookup returned a wrong value');
  return { update: Number(t1 - t0) / n, lookup: Number(t2 - t1) / n };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);

console.log(
  `bpf(2) map element ops: ${rounds} rounds of ${n} calls, C and tsbpf alternating (ns/op), node ${process.version}`,
);
console.log('map    op       C min  ts min  ratio   C med  ts med  ratio');
const ratios: number[] = [];
for (const [name, type] of [
  ['array', MapType.ARRAY],
  ['hash', MapType.HASH],
] as const) {
  const cr = { update: [] as number[], lookup: [] as number[] };
  const tr = { update: [] as number[], lookup: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const a = c(type);
    const b = ts(type);
    cr.update.push(a.update);
    cr.lookup.push(a.lookup);
    tr.update.push(b.update);
    tr.lookup.push(b.lookup);
  }
  for (const op of ['lookup', 'update'] as const) {
    const [cm, tm, cd, td] = [min(cr[op]), min(tr[op]), median(cr[op]), median(tr[op])];
    ratios.push(tm / cm);
    const f = (x: number, w: number) => x.toFixed(0).padStart(w);
    console.log(
      `${name.padEnd(6)} ${op.padEnd(7)} ${f(cm, 6)} ${f(tm, 7)}  ${(tm / cm).toFixed(2)}x  ${f(cd, 6)} ${f(td, 7)}  ${(td / cd).toFixed(2)}x`,
    );
  }
}
console.log(`worst ratio of minimums: ${Math.max(...ratios).toFixed(2)}x (target <= 1.3x)`);
