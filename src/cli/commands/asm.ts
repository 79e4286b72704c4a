/**
 * `tsbpf asm FILE`: assembles a program (conformance or LLVM syntax, or the `-- asm` section of a
 * conformance `.data` file) into raw instructions.
 *
 * @module
 */

import type { Command } from 'commander';
import { assemble, detectSyntax, type Syntax } from '../../isa/asm/index.js';
import { type Endianness, encode } from '../../isa/codec.js';
import { parseConformanceData } from '../../isa/conformance-data.js';
import { type Insn, slotCount } from '../../isa/insn.js';
import { toHex } from '../../util/hex.js';
import { choice, printJson, readText, UsageError, writeOutput } from '../common.js';

const SYNTAXES = ['llvm', 'conformance'] as const;
const ENDIANS = ['little', 'big'] as const;

/** Assembles a file's text the way `tsbpf asm` does; returns the instructions and the syntax used. */
export function assembleFile(file: string, text: string, syntax?: Syntax): { insns: Insn[]; syntax: Syntax } {
  if (file.endsWith('.data')) {
    const t = parseConformanceData(text, file);
    if (t.asm === undefined) throw new Error(`${file}: the test has no '-- asm' section`);
    if (syntax === 'llvm') throw new Error(`${file}: a conformance .data file is in the conformance syntax`);
    return {
      insns: assemble(t.asm, { syntax: 'conformance', file, lineBase: t.asmLine }),
      syntax: 'conformance',
    };
  }
  const s = syntax ?? detectSyntax(text);
  return { insns: assemble(text, { syntax: s, file }), syntax: s };
}

/** Registers `asm`. */
export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description(
      'assemble a program into raw instructions (prints one slot per line in hex unless -o is given)',
    )
    .argument('<file>', 'assembly source, a conformance .data file, or - for stdin')
    .option('--syntax <syntax>', 'llvm or conformance (default: detected)')
    .option('-o, --output <file>', 'write the raw instructions to this file (- for stdout)')
    .option('--endian <order>', 'byte order of the output: little or big', 'little')
    .option('--json', 'print JSON')
    .action((file: string, opts: { syntax?: string; output?: string; endian: string; json?: boolean }) => {
      const syntax = opts.syntax === undefined ? undefined : choice('--syntax', opts.syntax, SYNTAXES);
      const endian: Endianness = choice('--endian', opts.endian, ENDIANS);
      if (opts.json && opts.output === '-') throw new UsageError('--json and -o - both write to stdout');
      const { insns, syntax: used } = assembleFile(file === '-' ? '<stdin>' : file, readText(file), syntax);
      const bytes = encode(insns, { endian });
      if (opts.output !== undefined) writeOutput(opts.output, bytes);
      if (opts.json) {
        printJson({
          file,
          syntax: used,
          endian,
          insns: insns.length,
          slots: slotCount(insns),
          hex: toHex(bytes),
          output: opts.output ?? null,
        });
      } else if (opts.output === undefined) {
        let out = '';
        for (let p = 0; p < bytes.length; p += 8) out += `${toHex(bytes.subarray(p, p + 8))}\n`;
        process.stdout.write(out);
      }
    });
}
