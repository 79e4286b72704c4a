/**
 * `tsbpf prog run FILE`: runs a program once on the machine's interpreter or on the kernel and
 * prints r0. Added to an existing `prog` command when there is one.
 *
 * @module
 */

import type { Command } from 'commander';
import { choice, printJson, readInput } from '../common.js';
import { BACKENDS, kernelBench, machineBench, RUN_TYPES, readProgram } from './bench.js';

/** Registers `prog run` (creating `prog` if no other module has). */
export function registerProgRun(program: Command): void {
  const prog =
    program.commands.find((c) => c.name() === 'prog') ??
    program.command('prog').description('load and run programs');
  prog
    .command('run')
    .description('run a program once (assembly or raw instructions) and print r0')
    .argument('<file>', 'program: assembly (conformance or LLVM syntax) or raw instructions (.bin)')
    .option('--backend <name>', 'machine or kernel', 'machine')
    .option('--type <type>', 'mem (r1 = mem, r2 = len; machine only), xdp or socket')
    .option('--mem <file>', 'input bytes (memory, or the packet for xdp/socket)')
    .option('--json', 'print JSON')
    .action((file: string, opts: { backend: string; type?: string; mem?: string; json?: boolean }) => {
      const backend = choice('--backend', opts.backend, BACKENDS);
      const type = choice('--type', opts.type ?? (backend === 'kernel' ? 'xdp' : 'mem'), RUN_TYPES);
      const data = opts.mem ? readInput(opts.mem) : new Uint8Array(type === 'mem' ? 0 : 64);
      const insns = readProgram(file);
      const r =
        backend === 'kernel' ? kernelBench(insns, type, data, 1) : machineBench(insns, type, data, 1, 0);
      if (opts.json) printJson({ file, backend, type, r0: `0x${r.r0.toString(16)}` });
      else process.stdout.write(`0x${r.r0.toString(16)}\n`);
    });
}
