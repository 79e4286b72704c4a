/**
 * Helpers to run LLVM's BPF assembler (llvm-mc 14 on the project machine) from tests: assemble
 * text to raw `.text` bytes, disassemble bytes with llvm-objdump, and the subset of instruction
 * forms llvm-mc 14 reads.
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  AluOp,
  AtomicOp,
  CallKind,
  Class,
  type Insn,
  JmpOp,
  LD_IMM64,
  Mode,
  Source,
} from '../../src/isa/index.js';
import { arbInsn } from './arbitraries.js';

/** Why llvm-mc cannot be used, or undefined when it can. */
export function llvmMcMissing(): string | undefined {
  for (const tool of ['llvm-mc', 'llvm-objcopy', 'llvm-objdump']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

/** Result of one llvm-mc run. */
export type McResult = { ok: true; bytes: Uint8Array } | { ok: false; stderr: string };

function withTmp<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-llvm-mc-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Assembles `text` with `llvm-mc -triple bpfel|bpfeb -filetype=obj` and extracts `.text` with
 * `llvm-objcopy -O binary --only-section=.text`.
 */
export function llvmMc(text: string, endian: 'little' | 'big' = 'little'): McResult {
  return withTmp((dir) => {
    const src = join(dir, 'p.s');
    const obj = join(dir, 'p.o');
    const bin = join(dir, 'p.bin');
    writeFileSync(src, text);
    const triple = endian === 'little' ? 'bpfel' : 'bpfeb';
    const mc = spawnSync('llvm-mc', ['-triple', triple, '-filetype=obj', '-o', obj, src], {
      encoding: 'utf8',
    });
    if (mc.status !== 0) return { ok: false, stderr: mc.stderr };
    const cp = spawnSync('llvm-objcopy', ['-O', 'binary', '--only-section=.text', obj, bin], {
      encoding: 'utf8',
    });
    if (cp.status !== 0) return { ok: false, stderr: cp.stderr };
    return { ok: true, bytes: new Uint8Array(readFileSync(bin)) };
  });
}

/** Like {@link llvmMc} but throws with llvm-mc's message on failure. */
export function llvmMcBytes(text: string, endian: 'little' | 'big' = 'little'): Uint8Array {
  const r = llvmMc(text, endian);
  if (!r.ok) throw new Error(`llvm-mc failed:\n${r.stderr.split('\n').slice(0, 6).join('\n')}`);
  return r.bytes;
}

/**
 * The instruction text lines `llvm-objdump -d` prints for `bytes` (little endian), without the
 * address and byte columns and without the `<sym+off>` target comments.
 */
export function llvmObjdumpLines(bytes: Uint8Array): string[] {
  return withTmp((dir) => {
    const src = join(dir, 'p.s');
    const obj = join(dir, 'p.o');
    const lines: string[] = [];
    for (let p = 0; p < bytes.length; p += 8) {
      let v = 0n;
      for (let b = 7; b >= 0; b--) v = (v << 8n) | BigInt(bytes[p + b]!);
      lines.push(`.quad 0x${v.toString(16)}`);
    }
    writeFileSync(src, `${lines.join('\n')}\n`);
    const mc = spawnSync('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', '-o', obj, src], {
      encoding: 'utf8',
    });
    if (mc.status !== 0) throw new Error(mc.stderr);
    const od = spawnSync('llvm-objdump', ['-d', '--no-show-raw-insn', '--mattr=+alu32', obj], {
      encoding: 'utf8',
    });
    if (od.status !== 0) throw new Error(od.stderr);
    const out: string[] = [];
    for (const line of od.stdout.split('\n')) {
      const m = /^\s*\d+:\s+(.*)$/.exec(line);
      if (m) out.push(m[1]!.replace(/\s*<[^<>]*>\s*$/, '').trim());
    }
    return out;
  });
}

/**
 * Whether llvm-mc 14 reads the LLVM-syntax form of `insn` and encodes it the same way (pseudo
 * calls are checked separately: their target must be inside the program).
 */
export function llvm14Knows(insn: Insn): boolean {
  const { code, src, off, imm } = insn;
  const cls = code & 7;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = code & 0xf0;
      if (off !== 0) return false; // sdiv/smod, movsx, addr_space_cast
      if (op === AluOp.END) return cls === Class.ALU; // bswap is cpu v4
      return op !== AluOp.MOD; // the 14 parser does not tokenize '%='
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = code & 0xf0;
      if (op === JmpOp.JA) return cls === Class.JMP; // gotol is cpu v4
      if (op === JmpOp.JCOND) return false; // may_goto
      if (op === JmpOp.CALL)
        return (code & Source.X) === 0 && (src === CallKind.HELPER || src === CallKind.PSEUDO_CALL);
      if (op === JmpOp.EXIT) return off === 0;
      return op !== JmpOp.JSET; // the 14 parser does not tokenize '&'
    }
    case Class.LD:
      if (code === LD_IMM64) return src === 0;
      return (code & 0xe0) === Mode.ABS || imm === 0; // LD_IND: only skb[rN]
    case Class.LDX:
      return (code & 0xe0) === Mode.MEM;
    case Class.ST:
      return false;
    default:
      if ((code & 0xe0) === Mode.MEM) return true;
      return imm === AtomicOp.ADD || imm === AtomicOp.OR || imm === AtomicOp.AND || imm === AtomicOp.XOR;
  }
}

/** Programs of instructions llvm-mc 14 knows, pseudo-calls pointing inside the program. */
export function arbLlvm14Program(minLength: number, maxLength: number): fc.Arbitrary<Insn[]> {
  return fc
    .array(
      arbInsn.filter((i) => llvm14Knows(i)),
      { minLength, maxLength },
    )
    .chain((p) =>
      fc.array(fc.nat(), { minLength: p.length, maxLength: p.length }).map((picks) => {
        // Retarget pseudo-calls to the start of a random instruction.
        const starts: number[] = [];
        let s = 0;
        for (const i of p) {
          starts.push(s);
          s += i.code === LD_IMM64 ? 2 : 1;
        }
        return p.map((i, k) =>
          i.code === (Class.JMP | JmpOp.CALL) && i.src === CallKind.PSEUDO_CALL
            ? { ...i, imm: starts[picks[k]! % starts.length]! - (starts[k]! + 1) }
            : i,
        );
      }),
    );
}
