/**
 * Cost of finding the target BTF through a backend (src/loader/kernelbtf.ts) against reading
 * /sys/kernel/btf/vmlinux as libbpf does, in the same run, on the kernel backend; and the same
 * lookup on the machine. Each figure is the median of N runs (fresh: no cache).
 *
 * Usage: node --import tsx bench/btf/kernel-btf.ts [runs=15]
 */
import { readFileSync } from 'node:fs';
import { parseBtf } from '../../src/btf/index.js';
import { backendKernelBtf, readBackendVmlinux } from '../../src/loader/kernelbtf.js';
import { Machine } from '../../src/machine/index.js';
import { kernelBackend } from '../../src/sys/kernel/index.js';

const runs = Number(process.argv[2] ?? 15);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function time(f: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

const k = kernelBackend();
const file = () => new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
// Warm up both routes.
readBackendVmlinux(k);
file();
const readBpf = time(() => readBackendVmlinux(k));
const readFile = time(file);
const parseBpf = time(() => parseBtf(readBackendVmlinux(k)!));
const parseFile = time(() => parseBtf(file()));
backendKernelBtf(k);
const cached = time(() => backendKernelBtf(k));
const size = readBackendVmlinux(k)!.length;
console.log(`kernel vmlinux BTF: ${(size / 1e6).toFixed(2)} MB, median of ${runs}`);
console.log(`  read  via bpf(2) (walk ids, info, bytes)  ${readBpf.toFixed(2)} ms`);
console.log(
  `  read  /sys/kernel/btf/vmlinux             ${readFile.toFixed(2)} ms   ratio ${(readBpf / readFile).toFixed(2)}x`,
);
console.log(`  read+parse via bpf(2)                     ${parseBpf.toFixed(2)} ms`);
console.log(
  `  read+parse /sys file                      ${parseFile.toFixed(2)} ms   ratio ${(parseBpf / parseFile).toFixed(2)}x`,
);
console.log(`  cached (per backend)                      ${(cached * 1000).toFixed(2)} us`);
const m = new Machine();
const mach = time(() => parseBtf(readBackendVmlinux(m)!));
console.log(`machine vmlinux BTF: ${readBackendVmlinux(m)!.length} bytes, read+parse ${mach.toFixed(3)} ms`);
