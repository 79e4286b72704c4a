/**
 * `tsbpf disasm FILE.bin`: prints raw instructions as assembly (LLVM or conformance syntax).
 *
 * @module
 */

import type { Command } from 'commander';
import { disassemble, formatConformance, formatLlvm, formatRaw, hasSyntax } from '../../isa/asm/index.js';
import { decode, type Endianness, encode } from '../../isa/codec.js';
import { slotIndex } from '../../isa/insn.js';
import { toHex } from '../../util/hex.js';
import { choice, printJson, readInput } from '../common.js';

const SYNTAXES = ['llvm', 'conformance'] as const;
const ENDIANS = ['little', 'big'] as const;

/** Registers `disasm`. */
export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description(
      'disassemble raw instructions; the output reads back with `tsbpf asm` (and llvm-mc, for the LLVM syntax)',
    )
    .argument('<file>', 'raw instructions (.bin), or - for stdin')
    .option('--syntax <syntax>', 'llvm or conformance', 'llvm')
    .option('--endian <order>', 'byte order of the input: little or big', 'little')
    .option('--annotate', 'add the slot number and the bytes of each instruction as a comment')
    .option('--labels', 'print jump targets as generated labels instead of relative offsets')
    .option('--no-validate', 'print reserved/invalid encodings as .insn lines instead of failing')
    .option('--json', 'print JSON: one object per instruction')
    .action(
      (
        file: string,
        opts: {
          syntax: string;
          endian: string;
          annotate?: boolean;
          labels?: boolean;
          validate: boolean;
          json?: boolean;
        },
      ) => {
        const syntax = choice('--syntax', opts.syntax, SYNTAXES);
        const endian: Endianness = choice('--endian', opts.endian, ENDIANS);
        const insns = decode(readInput(file), { endian, validate: opts.validate });
        if (opts.json) {
          const starts = slotIndex(insns);
          printJson(
            insns.map((i, k) => ({
              slot: starts[k],
              bytes: toHex(encode([i], { endian })),
              ...i,
              text: hasSyntax(i) ? (syntax === 'llvm' ? formatLlvm(i) : formatConformance(i)) : formatRaw(i),
            })),
          );
          return;
        }
        process.stdout.write(
          disassemble(insns, { syntax, annotate: opts.annotate, labels: opts.labels, endian }),
        );
      },
    );
}
