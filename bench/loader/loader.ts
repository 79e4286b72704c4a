/**
 * Open + load time of each fixture on the kernel backend against `bpftool prog loadall OBJ DIR`
 * of the same object, in one run. Both pin every program under DIR (which is then removed) and
 * reuse the map pinned by name in /sys/fs/bpf. tsbpf is timed in process (the library's cost:
 * read, parse, relocate, syscalls); bpftool per invocation, which includes its process start
 * (shown apart as the time of `bpftool version`, itself close to a whole small loadall).
 *
 *   node --import tsx bench/loader/loader.ts [iterations]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '../../src/loader/index.js';
import { kernelBackend } from '../../src/sys/kernel/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = ['globals', 'mapinmap', 'maps', 'subprogs'];
const N = Number(process.argv[2] ?? 50);
const DIR = `/sys/fs/bpf/tsbpf-bench-${process.pid}`;
const b = kernelBackend();
const vmlinux = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, c) => a - c);
  return s[Math.floor(s.length / 2)]!;
}

function min(xs: number[]): number {
  return Math.min(...xs);
}

function timeTsbpf(path: string): number {
  const t0 = process.hrtime.bigint();
  const bytes = new Uint8Array(readFileSync(path));
  const obj = BpfObject.open(bytes, { kernelBtf: vmlinux, pinRoot: '/sys/fs/bpf' });
  const c = obj.load(b);
  for (const p of c.programs.values()) b.objPin({ pathname: `${DIR}-${p.name}`, bpfFd: p.fd.fd });
  c.close();
  const t1 = process.hrtime.bigint();
  for (const p of obj.programs.keys()) rmSync(`${DIR}-${p}`, { force: true });
  return Number(t1 - t0) / 1e6;
}

function timeBpftool(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bpftool', args, { stdio: 'ignore' });
  const t1 = process.hrtime.bigint();
  if (r.status !== 0) throw new Error(`bpftool ${args.join(' ')} failed`);
  return Number(t1 - t0) / 1e6;
}

const start: number[] = [];
for (let i = 0; i < N; i++) start.push(timeBpftool(['version']));
const startMs = min(start);
console.log(
  `bpftool process start (bpftool version): ${startMs.toFixed(2)} ms min, ${median(start).toFixed(2)} ms median of ${N}`,
);
console.log('Times are the minimum of N runs (the host is shared; medians in brackets).');
console.log('fixture     tsbpf ms        bpftool ms       tsbpf/bpftool');
for (const name of FIXTURES) {
  const path = join(ROOT, 'test', 'fixtures', `${name}.bpfel.o`);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < 3; i++) timeTsbpf(path); // warm-up (JIT of the loader itself)
  for (let i = 0; i < N; i++) {
    ours.push(timeTsbpf(path));
    theirs.push(timeBpftool(['prog', 'loadall', path, DIR]));
    rmSync(DIR, { recursive: true, force: true });
  }
  const o = min(ours);
  const t = min(theirs);
  const cell = (x: number, m: number) => `${x.toFixed(2)} [${m.toFixed(2)}]`.padStart(16);
  console.log(
    `${name.padEnd(10)} ${cell(o, median(ours))} ${cell(t, median(theirs))} ${(o / t).toFixed(2).padStart(14)}`,
  );
}
rmSync('/sys/fs/bpf/sized', { force: true });
