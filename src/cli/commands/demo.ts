/**
 * `tsbpf demo` (what `npm start` runs): a short tour of what tsbpf does. For now: assemble a small
 * program, print it in both assembly syntaxes, and print its program hash (the SHA-256 a map's
 * `excl_prog_hash` is compared with).
 *
 * @module
 */

import type { Command } from 'commander';
import { progHash, progTag } from '../../hash/index.js';
import { assembleLlvm, disassembleConformance, disassembleLlvm } from '../../isa/asm/index.js';
import { encode } from '../../isa/codec.js';
import { toHex } from '../../util/hex.js';
import { printJson } from '../common.js';

/** The demo program, in the LLVM syntax: returns 1 when the 64-bit constant is odd, else 2. */
export const DEMO_SOURCE = `\
r1 = 0x1122334455667789 ll
r1 &= 1
r0 = 1
if r1 != 0 goto +1
r0 = 2
exit
`;

/** Registers `demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show tsbpf end to end (what `npm start` runs)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const insns = assembleLlvm(DEMO_SOURCE, { file: 'demo.s' });
      const bytes = encode(insns);
      const hash = toHex(progHash(bytes));
      const llvm = disassembleLlvm(insns, { annotate: true });
      const conformance = disassembleConformance(insns);
      if (opts.json) {
        printJson({
          source: DEMO_SOURCE,
          bytes: toHex(bytes),
          llvm,
          conformance,
          progHash: hash,
          progTag: toHex(progTag(bytes)),
        });
        return;
      }
      const indent = (t: string) => t.replace(/^(?=.)/gm, '    ');
      process.stdout.write(
        `tsbpf demo: a small BPF program (${insns.length} instructions, ${bytes.length / 8} slots)\n\n` +
          `  LLVM syntax (llvm-mc reads it back), with slots and bytes:\n${indent(llvm)}\n` +
          `  conformance-suite syntax:\n${indent(conformance)}\n` +
          `  program hash (SHA-256, what a map's excl_prog_hash must equal):\n    ${hash}\n`,
      );
    });
}
