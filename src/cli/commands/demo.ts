/**
 * `tsbpf demo` (what `npm start` runs): the trusted-loading chain on the built-in machine. It
 * assembles a small program and prints it in both syntaxes with its program hash, runs it and a
 * map-counting program on the machine, generates, signs and loads a light skeleton of a committed
 * fixture and replays attacks against it, and shows a signed-only IPE policy denying an unsigned
 * load with its audit record.
 *
 * @module
 */

import type { Command } from 'commander';
import { progHash, progTag } from '../../hash/index.js';
import { assembleLlvm, disassembleConformance, disassembleLlvm } from '../../isa/asm/index.js';
import { encode } from '../../isa/codec.js';
import { demoMapCounter } from '../../machine/demo.js';
import { demoSignedOnlyPolicy } from '../../machine/lsm/demo.js';
import { Machine } from '../../machine/machine.js';
import { ProgFlag, ProgType } from '../../uapi/constants.js';
import { toHex } from '../../util/hex.js';
import { printJson } from '../common.js';
import { lskelDemo } from './lskel.js';

/** The demo program, in the LLVM syntax: returns 1 when the 64-bit constant is odd, else 2. */
export const DEMO_SOURCE = `\
r1 = 0x1122334455667789 ll
r1 &= 1
r0 = 1
if r1 != 0 goto +1
r0 = 2
exit
`;

/** Runs the demo program once on a fresh built-in machine (as a syscall program) and returns r0. */
function runOnMachine(bytes: Uint8Array): number {
  const m = new Machine();
  using prog = m.progLoad({
    progType: ProgType.SYSCALL,
    progFlags: ProgFlag.SLEEPABLE,
    insns: bytes,
    license: 'GPL',
    progName: 'demo',
  });
  return m.progTestRun({ progFd: prog.fd }).retval;
}

/** Registers `demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show tsbpf end to end on the built-in machine (what `npm start` runs)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const insns = assembleLlvm(DEMO_SOURCE, { file: 'demo.s' });
      const bytes = encode(insns);
      const hash = toHex(progHash(bytes));
      const llvm = disassembleLlvm(insns, { annotate: true });
      const conformance = disassembleConformance(insns);
      const r0 = runOnMachine(bytes);
      const counter = demoMapCounter(3);
      const lskel = lskelDemo();
      const policy = demoSignedOnlyPolicy();
      if (opts.json) {
        printJson({
          source: DEMO_SOURCE,
          bytes: toHex(bytes),
          llvm,
          conformance,
          progHash: hash,
          progTag: toHex(progTag(bytes)),
          machine: { r0, counter },
          lskel,
          policy: { denied: policy.error.message, audit: policy.audit, lines: policy.lines },
        });
        return;
      }
      const indent = (t: string) => t.replace(/^(?=.)/gm, '    ');
      const lines = (ls: readonly string[]) => indent(`${ls.join('\n')}\n`);
      process.stdout.write(
        'tsbpf demo: trusted BPF loading, end to end, on the built-in machine (no root, no kernel needed)\n\n' +
          `1. A small BPF program (${insns.length} instructions, ${bytes.length / 8} slots)\n\n` +
          `  LLVM syntax (llvm-mc reads it back), with slots and bytes:\n${indent(llvm)}\n` +
          `  conformance-suite syntax:\n${indent(conformance)}\n` +
          `  program hash (SHA-256, what a map's excl_prog_hash must equal):\n    ${hash}\n\n` +
          '2. The machine runs it, and a program that counts its runs in an array map\n\n' +
          `    demo program: r0 = ${r0}\n` +
          counter.map((s) => `    run ${s.run}: counter[0] = ${s.counter}\n`).join('') +
          '\n3. A signed light skeleton: generate, sign, load, run, and a hostile host\n\n' +
          lines(lskel) +
          '\n4. Policy: the machine enforces a signed-only IPE policy\n\n' +
          lines(policy.lines),
      );
    });
}
