// Cost per map lookup and update through the kernel backend vs a C program doing the same raw
// bpf(2) syscalls, in one run. Usage: node --import tsx bench/syscall/bench.ts [iterations] [rounds]
//
// The C program (raw.c) runs beside this process for the whole run and makes a block of calls when
// asked. A round makes <iterations> calls of one operation on each side, in 10 pairs of blocks of a
// tenth each, C and tsbpf back to back (which one goes first alternates), so both sides see the same
// machine load at a granularity of a few ms; the round's ratio is tsbpf / C over the whole round.
// The table gives medians over rounds, and the interquartile range of the CPU-time ratio.
//
// CPU time is that of the thread making the calls (CLOCK_THREAD_CPUTIME_ID on both sides): Node's
// process CPU time also counts V8's background threads, which compile and collect for the whole
// process (here mostly the harness and tsx) while a block runs. The last column gives the ratio with
// tsbpf's whole-process CPU time instead, for comparison.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ffi } from '../../src/sys/kernel/ffi.js';
import { type KernelBackend, kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

const n = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 15);
/** Pairs of blocks per round, and calls per block. */
const parts = n % 10 === 0 ? 10 : 1;
const block = n / parts;
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(mkdtempSync(join(tmpdir(), 'tsbpf-bench-')), 'raw');
execFileSync('cc', ['-O2', '-o', bin, join(here, 'raw.c')]);

type Op = 'update' | 'lookup';
/**
 * ns per call of one block: elapsed, CPU (user + system) of the thread that made the calls, and
 * (tsbpf only) CPU of the whole process.
 */
type Block = { wall: number; cpu: number; processCpu?: number };

/** The C program, serving blocks of calls on one map of its own. */
class C {
  readonly #child;
  readonly #lines: AsyncIterator<string>;
  constructor(type: number) {
    this.#child = spawn(bin, [String(type), String(block)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async run(op: Op): Promise<Block> {
    this.#child.stdin.write(`${op}\n`);
    const line = await this.#lines.next();
    if (line.done) throw new Error(`raw exited with ${this.#child.exitCode} during ${op}`);
    const [wall, cpu] = String(line.value).split(' ').map(Number);
    return { wall: wall!, cpu: cpu! };
  }
  async close(): Promise<void> {
    const exit = once(this.#child, 'exit');
    this.#child.stdin.end();
    const [code] = await exit;
    if (code !== 0) throw new Error(`raw exited with ${code}`);
  }
}

/** CPU time (user + system) of this process, ns. */
function processCpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** CPU time (user + system) of the calling thread, ns: clock_gettime(CLOCK_THREAD_CPUTIME_ID). */
const threadCpuNs: () => number = (() => {
  const koffi = createRequire(import.meta.url)('koffi');
  const clockGettime = koffi.load('libc.so.6').func('int clock_gettime(int clock, long ts)');
  const ts = new BigInt64Array(new ArrayBuffer(16));
  const at = Number(koffi.address(ts));
  const CLOCK_THREAD_CPUTIME_ID = 3;
  return () => {
    if (clockGettime(CLOCK_THREAD_CPUTIME_ID, at) !== 0) throw new Error('clock_gettime failed');
    return Number(ts[0]) * 1e9 + Number(ts[1]);
  };
})();

/** tsbpf's side: the same map shape and calls as raw.c, through the kernel backend. */
class Ts {
  readonly #k: KernelBackend;
  readonly #fd: number;
  readonly #key = new Uint8Array(new Uint32Array([3]).buffer);
  readonly #value = new Uint8Array(new BigUint64Array([42n]).buffer);
  readonly #out = new Uint8Array(8);
  readonly #close: () => void;
  constructor(type: number) {
    this.#k = kernelBackend();
    const m = this.#k.mapCreate({ mapType: type, keySize: 4, valueSize: 8, maxEntries: 16 });
    this.#fd = m.fd;
    this.#close = () => m.close();
    this.#k.mapUpdateElem(this.#fd, this.#key, this.#value);
  }
  #updates(): void {
    const [k, fd, key, value] = [this.#k, this.#fd, this.#key, this.#value];
    for (let i = 0; i < block; i++) k.mapUpdateElem(fd, key, value, 0);
  }
  #lookups(): void {
    const [k, fd, key, out] = [this.#k, this.#fd, this.#key, this.#out];
    out.fill(0);
    for (let i = 0; i < block; i++) k.mapLookupElem(fd, key, out, 0);
    if (out[0] !== 42) throw new Error('lookup returned a wrong value');
  }
  run(op: Op): Block {
    const p0 = processCpuNs();
    const c0 = threadCpuNs();
    const t0 = process.hrtime.bigint();
    if (op === 'update') this.#updates();
    else this.#lookups();
    const t1 = process.hrtime.bigint();
    const c1 = threadCpuNs();
    const p1 = processCpuNs();
    return { wall: Number(t1 - t0) / block, cpu: (c1 - c0) / block, processCpu: (p1 - p0) / block };
  }
  close(): void {
    this.#close();
  }
}

/** Mean of equal-sized blocks. */
const mean = (bs: Block[]): Block => ({
  wall: bs.reduce((a, b) => a + b.wall, 0) / bs.length,
  cpu: bs.reduce((a, b) => a + b.cpu, 0) / bs.length,
  processCpu: bs.reduce((a, b) => a + (b.processCpu ?? 0), 0) / bs.length,
});

const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
const quantile = (xs: number[], q: number) => sorted(xs)[Math.round(q * (xs.length - 1))]!;
const median = (xs: number[]) => quantile(xs, 0.5);

console.log(
  `bpf(2) map element ops: ${rounds} rounds of ${n} calls per op (${parts} blocks of ${block} each side, interleaved), node ${process.version}, element calls via ${ffi().elemVia}`,
);
console.log('wall: elapsed time; cpu: user+system CPU time of the thread making the calls');
console.log('ns/op and ratios (tsbpf / C of the same round) are medians over rounds; IQR: of the CPU ratio');
console.log("proc: CPU ratio with tsbpf's whole-process CPU time (V8 background threads included)");
console.log('map    op       C wall  ts wall  ratio    C cpu  ts cpu  ratio  IQR         proc');
const load0 = loadavg()[0]!;
const worst: number[] = [];
for (const [name, type] of [
  ['array', MapType.ARRAY],
  ['hash', MapType.HASH],
] as const) {
  const c = new C(type);
  const ts = new Ts(type);
  const ops: Op[] = ['update', 'lookup'];
  // Warm-up blocks of each operation on both sides (also brings tsbpf's loops to optimized code).
  for (const op of ops) {
    for (let p = 0; p < Math.max(1, 20_000 / block); p++) {
      await c.run(op);
      ts.run(op);
    }
  }
  const res = new Map(ops.map((op) => [op, { c: [] as Block[], t: [] as Block[] }]));
  for (let r = 0; r < rounds; r++) {
    for (const op of ops) {
      const cs: Block[] = [];
      const tss: Block[] = [];
      for (let p = 0; p < parts; p++) {
        if ((r + p) % 2 === 0) {
          cs.push(await c.run(op));
          tss.push(ts.run(op));
        } else {
          tss.push(ts.run(op));
          cs.push(await c.run(op));
        }
      }
      res.get(op)!.c.push(mean(cs));
      res.get(op)!.t.push(mean(tss));
    }
  }
  await c.close();
  ts.close();
  for (const op of ['lookup', 'update'] as const) {
    const { c: cb, t: tb } = res.get(op)!;
    const wallRatio = tb.map((t, i) => t.wall / cb[i]!.wall);
    const cpuRatio = tb.map((t, i) => t.cpu / cb[i]!.cpu);
    const procRatio = tb.map((t, i) => t.processCpu! / cb[i]!.cpu);
    worst.push(median(cpuRatio));
    const f = (x: number, w: number) => x.toFixed(0).padStart(w);
    const cw = median(cb.map((x) => x.wall));
    const tw = median(tb.map((x) => x.wall));
    const cc = median(cb.map((x) => x.cpu));
    const tc = median(tb.map((x) => x.cpu));
    console.log(
      `${name.padEnd(6)} ${op.padEnd(7)} ${f(cw, 7)} ${f(tw, 8)}  ${median(wallRatio).toFixed(2)}x  ${f(cc, 7)} ${f(tc, 7)}  ${median(cpuRatio).toFixed(2)}x  ${quantile(cpuRatio, 0.25).toFixed(2)}-${quantile(cpuRatio, 0.75).toFixed(2)}  ${median(procRatio).toFixed(2)}x`,
    );
  }
}
console.log(
  `worst CPU-time ratio: ${Math.max(...worst).toFixed(2)}x (target <= 1.3x); load average ${load0.toFixed(1)} at start, ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} at end`,
);
