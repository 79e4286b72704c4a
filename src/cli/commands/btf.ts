/**
 * `tsbpf btf dump FILE [--format raw|c] [--json] [--base FILE]`: the types of raw BTF (such as
 * `/sys/kernel/btf/vmlinux`, or module BTF with `--base`) or of an ELF object's `.BTF` section.
 *
 * @module
 */

import type { Command } from 'commander';
import { Btf, dumpC, formatRaw } from '../../btf/index.js';
import { elfSectionData } from '../../elf/index.js';
import { FormatError } from '../../util/errors.js';
import { choice, printJson, readInput } from '../common.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Prefixes a FormatError's place with the file name; other errors pass through. */
function inFile(file: string, e: unknown): unknown {
  if (e instanceof FormatError) return new FormatError(`${file}: ${e.where}`, e.reason, e.offset);
  return e;
}

/** Loads BTF from a raw BTF file or from the `.BTF` section of an ELF object. */
export function loadBtf(file: string, base?: Btf): Btf {
  const bytes = readInput(file);
  try {
    if (bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b)) {
      const sec = elfSectionData(bytes, '.BTF');
      if (!sec) throw new FormatError(file, 'the ELF object has no .BTF section');
      return Btf.parse(sec, { base });
    }
    return Btf.parse(bytes, { base });
  } catch (e) {
    throw inFile(file, e);
  }
}

/** Registers `btf`. */
export function registerBtf(program: Command): void {
  const btf = program.command('btf').description('inspect BTF type information');
  btf
    .command('dump')
    .description('print the types of raw BTF (e.g. /sys/kernel/btf/vmlinux) or of an ELF object')
    .argument('<file>', 'raw BTF, or an ELF object with a .BTF section')
    .option('--format <format>', 'raw (like bpftool) or c (a header that compiles)', 'raw')
    .option('--json', 'print the decoded types as JSON')
    .option('--base <file>', 'base BTF for split (module) BTF')
    .action((file: string, opts: { format: string; json?: boolean; base?: string }) => {
      const format = choice('--format', opts.format, ['raw', 'c'] as const);
      const base = opts.base ? loadBtf(opts.base) : undefined;
      const b = loadBtf(file, base);
      try {
        if (opts.json) {
          const types = [];
          for (let id = b.startId; id < b.typeCount; id++) types.push(b.type(id));
          printJson({ file, endian: b.endian, startId: b.startId, typeCount: b.typeCount, types });
        } else if (format === 'c') {
          process.stdout.write(dumpC(b));
        } else {
          process.stdout.write(formatRaw(b));
        }
      } catch (e) {
        throw inFile(file, e);
      }
    });
}
