/**
 * `tsbpf hash prog FILE.bin`: the program hash (excl_prog_hash) and tag of raw instructions.
 *
 * @module
 */

import type { Command } from 'commander';
import { progHash, progTag } from '../../hash/index.js';
import { decode } from '../../isa/codec.js';
import { toHex } from '../../util/hex.js';
import { printJson, readInput } from '../common.js';

/** Registers `hash`. */
export function registerHash(program: Command): void {
  const hash = program.command('hash').description('hashes the kernel computes over programs and maps');
  hash
    .command('prog')
    .description(
      "SHA-256 program hash (the value of a map's excl_prog_hash) of raw little-endian instructions",
    )
    .argument('<file>', 'raw instructions (.bin), or - for stdin')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const bytes = readInput(file);
      decode(bytes, { validate: false }); // framing errors name the slot
      const h = toHex(progHash(bytes));
      if (opts.json) printJson({ file, insns: bytes.length / 8, hash: h, tag: toHex(progTag(bytes)) });
      else process.stdout.write(`${h}\n`);
    });
}
