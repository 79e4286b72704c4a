/**
 * `tsbpf btf dump FILE [--format raw|c] [--json] [--base FILE] [--ext]`: the types of raw BTF (such
 * as `/sys/kernel/btf/vmlinux`, or module BTF with `--base`) or of an ELF object's `.BTF` section;
 * with `--ext`, the object's `.BTF.ext` (func_info, line_info, CO-RE relocations per section).
 *
 * @module
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Command } from 'commander';
import {
  Btf,
  BtfExt,
  type BtfParseOptions,
  describeBtfExt,
  dumpC,
  formatBtfExt,
  formatRaw,
} from '../../btf/index.js';
import { elfSectionData } from '../../elf/index.js';
import { FormatError } from '../../util/errors.js';
import { choice, printJson, UsageError } from '../common.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Prefixes a FormatError's place with the file name; other errors pass through. */
function inFile(file: string, e: unknown): unknown {
  if (e instanceof FormatError) return new FormatError(`${file}: ${e.where}`, e.reason, e.offset);
  return e;
}

/** Bytes read past the size `fstat` reported before giving up (a file that keeps growing). */
const MAX_GROWTH = 1 << 30;

/** Chunk size for files whose size `fstat` does not know (pipes, procfs). */
const CHUNK = 1 << 16;

/**
 * Reads a whole file into one fresh `Uint8Array` at offset 0 of its own `ArrayBuffer`: `fstat`
 * gives the size, one buffer of exactly that size (not zero-filled) is filled with `readSync`, and
 * one read into a small scratch buffer confirms the end of the file, so there is no chunk list, no
 * copy and no `Buffer` pool slice (which {@link Btf.parse} could not view as 32-bit words in
 * place). Files whose size `fstat` does not know (pipes, procfs) or that grow while read are read
 * on in doubling chunks. `-` reads standard input.
 */
export function readFileWhole(path: string): Uint8Array {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : ((e as Error).message ?? String(e))}`);
  }
  try {
    const st = fstatSync(fd);
    const known = st.isFile() && st.size > 0;
    // not zero-filled (every byte returned is read), not from Buffer's shared pool (offset 0)
    const fresh = (n: number) => new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
    let buf = fresh(known ? st.size : CHUNK);
    let len = 0;
    let probe = known;
    for (;;) {
      if (len === buf.length) {
        let extra = new Uint8Array(0);
        if (probe) {
          // As large as fstat said: look for the end with a small read, so the usual case needs
          // no larger buffer and no copy.
          probe = false;
          const p = new Uint8Array(4096);
          const n = readSync(fd, p, 0, p.length, null);
          if (n === 0) break;
          extra = p.subarray(0, n);
        }
        if (len >= MAX_GROWTH + st.size) throw new Error(`${path}: file keeps growing past ${len} bytes`);
        const nb = fresh(buf.length * 2 + extra.length);
        nb.set(buf);
        nb.set(extra, len);
        len += extra.length;
        buf = nb;
      }
      const got = readSync(fd, buf, len, buf.length - len, null);
      if (got === 0) break;
      len += got;
    }
    return len === buf.length ? buf : buf.subarray(0, len);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/**
 * Reads and parses a raw BTF file (such as `/sys/kernel/btf/vmlinux`) with
 * {@link readFileWhole}: the type section is used in place, not copied. For ELF objects use
 * {@link loadBtf}.
 *
 * @throws FormatError naming the file and the place, for malformed BTF.
 */
export function parseBtfFile(path: string, opts: BtfParseOptions = {}): Btf {
  const bytes = readFileWhole(path);
  try {
    return Btf.parse(bytes, opts);
  } catch (e) {
    throw inFile(path, e);
  }
}

/** Loads BTF from a raw BTF file or from the `.BTF` section of an ELF object. */
export function loadBtf(file: string, base?: Btf): Btf {
  const bytes = readFileWhole(file);
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

/** Loads the `.BTF` and `.BTF.ext` sections of an ELF object. */
export function loadBtfExt(file: string): { btf: Btf; ext: BtfExt } {
  const bytes = readFileWhole(file);
  if (!(bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b)))
    throw new UsageError(`${file}: --ext needs an ELF object (raw BTF has no .BTF.ext)`);
  try {
    const sec = elfSectionData(bytes, '.BTF');
    if (!sec) throw new FormatError(file, 'the ELF object has no .BTF section');
    const extSec = elfSectionData(bytes, '.BTF.ext');
    if (!extSec) throw new FormatError(file, 'the ELF object has no .BTF.ext section');
    const btf = Btf.parse(sec);
    return { btf, ext: BtfExt.parse(extSec, { btf }) };
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
    .option(
      '--ext',
      "print the object's .BTF.ext instead: func_info, line_info, CO-RE relocations per section",
    )
    .action((file: string, opts: { format: string; json?: boolean; base?: string; ext?: boolean }) => {
      const format = choice('--format', opts.format, ['raw', 'c'] as const);
      if (opts.ext) {
        if (format === 'c') throw new UsageError('--ext prints .BTF.ext as text or --json, not C');
        const { btf: eb, ext } = loadBtfExt(file);
        try {
          if (opts.json) printJson({ file, ...describeBtfExt(ext, eb) });
          else process.stdout.write(formatBtfExt(ext, eb));
        } catch (e) {
          throw inFile(file, e);
        }
        return;
      }
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
