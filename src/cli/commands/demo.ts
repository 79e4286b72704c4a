/**
 * `tsbpf demo` (what `npm start` runs): a tour of what tsbpf does, on the built-in machine.
 *
 * @module
 */

import type { Command } from 'commander';
import { progHash } from '../../hash/index.js';
import { encode } from '../../isa/codec.js';
import type { Insn } from '../../isa/insn.js';
import { toHex } from '../../util/hex.js';

/** Registers `demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show tsbpf end to end (what `npm start` runs)')
    .action(() => {
      const insns: Insn[] = [
        { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
        { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ];
      const bytes = encode(insns);
      process.stdout.write(`program bytes: ${toHex(bytes)}\nprogram hash:  ${toHex(progHash(bytes))}\n`);
    });
}
