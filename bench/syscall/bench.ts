// Cost per map lookup and update through the kernel backend vs a C program doing the same raw
// bpf(2) syscalls, in one run. Usage: node --import tsx bench/syscall/bench.ts [iterations] [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

const n = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 11);
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(mkdtempSync(join(tmpdir(), 'tsbpf-bench-')), 'raw');
execFileSync('cc', ['-O2', '-o', bin, join(here, 'raw.c')]);

type Times = { update: number; lookup: number; updateCpu: number; lookupCpu: number };

function c(type: number): Times {
  const out = execFileSync(bin, [String(type), String(n)], { encoding: 'utf8' });
  const m = new Map<string, number[]>();
  for (const line of out.trim().split('\n')) {
    const [k, ...v] = line.split(' ');
    m.set(k!, v.map(Number));
  }
  return {
    update: m.get('update')![0]!,
    lookup: m.get('lookup')![0]!,
    updateCpu: m.get('update')![1]!,
    lookupCpu: m.get('lookup')![1]!,
  };
}

/** CPU time (user + system) of this process, ns. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function ts(type: number): Times {
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
  const c0 = cpuNs();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) k.mapUpdateElem(fd, key, value, 0);
  const t1 = process.hrtime.bigint();
  const c1 = cpuNs();
  for (let i = 0; i < n; i++) k.mapLookupElem(fd, key, out, 0);
  const t2 = process.hrtime.bigint();
  const c2 = cpuNs();
  if (out[0] !== 42) throw new Error('lookup returned a wrong value');
  return {
    update: Number(t1 - t0) / n,
    lookup: Number(t2 - t1) / n,
    updateCpu: (c1 - c0) / n,
    lookupCpu: (c2 - c1) / n,
  };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `bpf(2) map element ops: ${rounds} rounds of ${n} calls, C and tsbpf alternating, ns/op (median over rounds), node ${process.version}`,
);
console.log('wall: elapsed time; cpu: user+system CPU time of the process (robust when the machine is busy)');
console.log('map    op       C wall  ts wall  ratio    C cpu  ts cpu  ratio');
const ratios: number[] = [];
for (const [name, type] of [
  ['array', MapType.ARRAY],
  ['hash', MapType.HASH],
] as const) {
  const cr: Times[] = [];
  const tr: Times[] = [];
  for (let r = 0; r < rounds; r++) {
    cr.push(c(type));
    tr.push(ts(type));
  }
  for (const op of ['lookup', 'update'] as const) {
    const cpu = `${op}Cpu` as const;
    const [cw, tw] = [median(cr.map((x) => x[op])), median(tr.map((x) => x[op]))];
    const [cc, tc] = [median(cr.map((x) => x[cpu])), median(tr.map((x) => x[cpu]))];
    ratios.push(tc / cc);
    const f = (x: number, w: number) => x.toFixed(0).padStart(w);
    console.log(
      `${name.padEnd(6)} ${op.padEnd(7)} ${f(cw, 7)} ${f(tw, 8)}  ${(tw / cw).toFixed(2)}x  ${f(cc, 7)} ${f(tc, 7)}  ${(tc / cc).toFixed(2)}x`,
    );
  }
}
console.log(
  `worst CPU-time ratio: ${Math.max(...ratios).toFixed(2)}x (target <= 1.3x); load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
