/**
 * `tsbpf bench FILE`: runs a program many times on the machine's interpreter or on the kernel
 * (BPF_PROG_TEST_RUN; the figure is the kernel's own `duration`) and prints `X ns/run`.
 *
 * Also the shared plumbing of `conformance` and `prog run`: loading a program file and running
 * it once or N times on either backend.
 *
 * @module
 */

import type { Command } from 'commander';
import { decode, encode } from '../../isa/codec.js';
import type { Insn } from '../../isa/insn.js';
import { memContext, type RunContext, skbContext, xdpContext } from '../../machine/engine/ctx.js';
import type { MapResolver } from '../../machine/engine/env.js';
import { Vm } from '../../machine/engine/interp.js';
import { type ProgramImage, prepareProgram } from '../../machine/engine/program.js';
import { kernelHelpers } from '../../machine/helpers/index.js';
import { kernelBackend } from '../../sys/kernel/index.js';
import { ProgType } from '../../uapi/constants.js';
import { choice, intOption, printJson, readInput, UsageError } from '../common.js';
import { assembleFile } from './asm.js';

/** Backends a program can run on. */
export const BACKENDS = ['machine', 'kernel'] as const;
/** Run types: `mem` (r1 = mem, r2 = len; machine only), `xdp`, `socket`. */
export const RUN_TYPES = ['mem', 'xdp', 'socket'] as const;
/** A run type. */
export type RunType = (typeof RUN_TYPES)[number];

/** Reads a program: raw little-endian instructions (`.bin`, `.o` not supported) or assembly text. */
export function readProgram(file: string): Insn[] {
  const bytes = readInput(file);
  if (file.endsWith('.bin')) return decode(bytes, { validate: false });
  return assembleFile(file, new TextDecoder().decode(bytes)).insns;
}

/** Outcome of running a program `repeat` times. */
export interface BenchResult {
  /** r0 of the last run (the kernel gives 32 bits). */
  readonly r0: bigint;
  /** Mean time per run in ns (machine: wall clock around the loop; kernel: test_run's duration). */
  readonly nsPerRun: number;
}

function makeContext(vm: Vm, type: RunType, data: Uint8Array): RunContext {
  vm.reset();
  if (type === 'xdp') return xdpContext(vm, data);
  if (type === 'socket') return skbContext(vm, data);
  return memContext(vm, data);
}

/** Prepares `insns` for the machine (`entryArgs` 2 for the `mem` type). */
export function machineImage(insns: readonly Insn[], type: RunType, resolver?: MapResolver): ProgramImage {
  return prepareProgram(insns, { entryArgs: type === 'mem' ? 2 : 1, allowCallx: type === 'mem', resolver });
}

/**
 * Runs on the machine's interpreter: `warmup` untimed runs, then `repeat` timed runs. `clock`
 * `'cpu'` measures the process's CPU time instead of wall time (steadier on a loaded machine).
 * `resolver` resolves map references of the program.
 */
export function machineBench(
  insns: readonly Insn[],
  type: RunType,
  data: Uint8Array,
  repeat: number,
  warmup = Math.min(repeat, 1000),
  clock: 'wall' | 'cpu' = 'wall',
  resolver?: MapResolver,
): BenchResult {
  const image = machineImage(insns, type, resolver);
  const vm = new Vm({}, { helpers: kernelHelpers() });
  const ctx = makeContext(vm, type, data.slice());
  let r0 = 0n;
  // Warm up: `warmup` runs, and for at least 300 ms when warmup > 0, so V8 has optimized the
  // interpreter loop before timing starts.
  const until = performance.now() + (warmup > 0 ? 300 : 0);
  for (let i = 0; i < warmup || (performance.now() < until && i < 1_000_000); i++)
    r0 = vm.run(image, ctx.args).r0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) r0 = vm.run(image, ctx.args).r0;
  const wall = (performance.now() - t0) * 1e6;
  const cu = process.cpuUsage(c0);
  const ns = (clock === 'cpu' ? (cu.user + cu.system) * 1000 : wall) / Math.max(1, repeat);
  return { r0, nsPerRun: ns };
}

/** Program type for a run type on the kernel. */
export function kernelProgType(type: RunType): number {
  if (type === 'socket') return ProgType.SOCKET_FILTER;
  if (type === 'xdp') return ProgType.XDP;
  throw new UsageError('--type mem runs only on the machine (the kernel needs --type xdp or socket)');
}

/** Runs on the kernel: PROG_LOAD, then PROG_TEST_RUN with `repeat`; the time is the kernel's. */
export function kernelBench(
  insns: readonly Insn[],
  type: RunType,
  data: Uint8Array,
  repeat: number,
): BenchResult {
  const k = kernelBackend();
  const prog = k.progLoad({ progType: kernelProgType(type), insns: encode(insns), license: 'GPL' });
  try {
    const pkt =
      data.length >= 14
        ? data
        : (() => {
            const p = new Uint8Array(14);
            p.set(data);
            return p;
          })();
    const r = k.progTestRun({ progFd: prog.fd, dataIn: pkt, repeat: Math.max(1, repeat) });
    return { r0: BigInt(r.retval >>> 0), nsPerRun: r.duration };
  } finally {
    prog.close();
  }
}

/** Registers `bench`. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a program repeatedly on the machine interpreter or the kernel and print ns/run')
    .argument('<file>', 'program: assembly (conformance or LLVM syntax) or raw instructions (.bin)')
    .option('--backend <name>', `machine or kernel`, 'machine')
    .option('--type <type>', 'mem (r1 = mem, r2 = len; machine only), xdp or socket')
    .option('--mem <file>', 'input bytes (packet for xdp/socket, memory for mem)')
    .option('--data <file>', 'same as --mem')
    .option('--repeat <n>', 'number of timed runs', '10000')
    .option('--cpu', 'machine: measure CPU time instead of wall time')
    .option('--json', 'print JSON')
    .action(
      (
        file: string,
        opts: {
          backend: string;
          type?: string;
          mem?: string;
          data?: string;
          repeat: string;
          cpu?: boolean;
          json?: boolean;
        },
      ) => {
        const backend = choice('--backend', opts.backend, BACKENDS);
        const type = choice('--type', opts.type ?? (backend === 'kernel' ? 'xdp' : 'mem'), RUN_TYPES);
        const repeat = intOption('--repeat', opts.repeat);
        if (repeat < 1) throw new UsageError('--repeat must be at least 1');
        const dataFile = opts.mem ?? opts.data;
        const data = dataFile ? readInput(dataFile) : new Uint8Array(type === 'mem' ? 0 : 64);
        const insns = readProgram(file);
        const r =
          backend === 'kernel'
            ? kernelBench(insns, type, data, repeat)
            : machineBench(insns, type, data, repeat);
        if (opts.json) {
          printJson({ file, backend, type, repeat, r0: `0x${r.r0.toString(16)}`, nsPerRun: r.nsPerRun });
        } else {
          process.stdout.write(`${Math.round(r.nsPerRun)} ns/run (r0 = 0x${r.r0.toString(16)})\n`);
        }
      },
    );
}
