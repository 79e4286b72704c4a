/**
 * Helpers of the loader tests: fixture bytes, the host's vmlinux BTF, kernel config and release,
 * and open options for a backend.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type Btf, parseBtf } from '../../src/btf/index.js';
import type { OpenOptions } from '../../src/loader/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** test/fixtures. */
export const FIXTURES = join(HERE, '..', 'fixtures');

/** Bytes of test/fixtures/<name>.bpfel.o, or test/loader/fixtures/<name>.bpfel.o for loader-only ones. */
export function objectBytes(name: string): Uint8Array {
  const local = join(HERE, 'fixtures', `${name}.bpfel.o`);
  try {
    return new Uint8Array(readFileSync(local));
  } catch {
    return new Uint8Array(readFileSync(join(FIXTURES, `${name}.bpfel.o`)));
  }
}

/** Path of a fixture object. */
export function objectPath(name: string): string {
  return join(FIXTURES, `${name}.bpfel.o`);
}

let vmlinux: Uint8Array | undefined;
/** /sys/kernel/btf/vmlinux. */
export function vmlinuxBtf(): Uint8Array {
  vmlinux ??= new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  return vmlinux;
}

/** The running kernel's config text (/proc/config.gz). */
export function kernelConfig(): string {
  return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
}

let parsed: Btf | undefined;
let config: string | undefined;
/** Open options for loading on this host (vmlinux BTF parsed once). */
export function hostOptions(cpus: number): OpenOptions {
  parsed ??= parseBtf(vmlinuxBtf());
  config ??= kernelConfig();
  return { kernelBtf: parsed, kconfig: config, kernelRelease: release(), cpus };
}

/** `llvm-objdump -d -r` of a fixture: per section, slot → relocation symbol and the insn's imm. */
export function objdumpRelocs(
  path: string,
): Map<string, Map<number, { symbol: string; type: string; imm: bigint }>> {
  const out = new Map<string, Map<number, { symbol: string; type: string; imm: bigint }>>();
  const text = execFileSync('llvm-objdump', ['-d', '-r', '--no-show-raw-insn', path], { encoding: 'utf8' });
  let section = '';
  let last: { slot: number; imm: bigint } | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      section = sec[1]!;
      out.set(section, new Map());
      continue;
    }
    const rel = /^\s+[0-9a-f]+:\s+(R_BPF_\w+)\s+(\S+)/.exec(line);
    if (rel) {
      if (last) out.get(section)!.set(last.slot, { symbol: rel[2]!, type: rel[1]!, imm: last.imm });
      continue;
    }
    const insn = /^\s+(\d+):\s+(.*)$/.exec(line);
    if (insn) {
      const imm = /= (-?\d+) ll$/.exec(insn[2]!) ?? /^call (-?\d+)$/.exec(insn[2]!);
      last = { slot: Number(insn[1]), imm: imm ? BigInt(imm[1]!) : 0n };
    }
  }
  return out;
}

/** An ELF symbol as llvm-readelf prints it. */
export interface ReadelfSymbol {
  value: number;
  type: string;
  /** Name of its section ('UND' for externs). */
  section: string;
}

/** `llvm-readelf -S -s` of an object: symbols by name (sections by their own name). */
export function readelfSymbols(path: string): Map<string, ReadelfSymbol> {
  const secText = execFileSync('llvm-readelf', ['-S', '--wide', path], { encoding: 'utf8' });
  const secNames = new Map<string, string>();
  for (const line of secText.split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S+)/.exec(line);
    if (m) secNames.set(m[1]!, m[2]!);
  }
  const symText = execFileSync('llvm-readelf', ['-s', '--wide', path], { encoding: 'utf8' });
  const out = new Map<string, ReadelfSymbol>();
  for (const line of symText.split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+(\w+)\s+\w+\s+\w+\s+(\S+)\s+(\S+)$/.exec(line);
    if (!m) continue;
    const section = m[3] === 'UND' ? 'UND' : (secNames.get(m[3]!) ?? m[3]!);
    if (!out.has(m[4]!)) out.set(m[4]!, { value: Number.parseInt(m[1]!, 16), type: m[2]!, section });
  }
  return out;
}
