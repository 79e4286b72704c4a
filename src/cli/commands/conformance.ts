/**
 * `tsbpf conformance DIR`: runs the BPF conformance suite's `.data` tests on the machine or on
 * the kernel and ends with `N passed, N failed`.
 *
 * On the kernel each test loads as an XDP program whose packet is the test's memory; a prologue
 * sets r1 = the packet pointer and r2 = the memory's length, after a bounds check that tells the
 * verifier the memory is there. The kernel's
 * verifier rejects many suite programs (unbounded memory accesses, reserved encodings): those
 * count as failed with status `rejected`. The kernel returns 32 bits, so only the low 32 bits of
 * r0 are compared there.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { encode } from '../../isa/codec.js';
import { type ConformanceTest, parseConformanceData } from '../../isa/conformance-data.js';
import type { Insn } from '../../isa/insn.js';
import { conformanceProgram, runConformanceTest } from '../../machine/engine/conformance.js';
import { Vm } from '../../machine/engine/interp.js';
import { kernelBackend } from '../../sys/kernel/index.js';
import { ProgType } from '../../uapi/constants.js';
import { choice } from '../common.js';
import { BACKENDS } from './bench.js';

/** One test's record (what `--json` prints per line). */
export interface ConformanceRecord {
  /** File name. */
  name: string;
  /** `pass`, `fail`, or (kernel) `rejected` when the verifier refused the program. */
  status: 'pass' | 'fail' | 'rejected';
  /** Expected r0 (hex), if the test has a result. */
  expected?: string;
  /** Actual r0 (hex), if the program ran. */
  actual?: string;
  /** Why it failed or did not run. */
  error?: string;
}

const hex = (v: bigint | undefined): string | undefined =>
  v === undefined ? undefined : `0x${v.toString(16)}`;

/** Runs one parsed test on the kernel (XDP test_run). */
export function kernelConformanceTest(test: ConformanceTest, name: string): ConformanceRecord {
  const wantsError = test.error !== undefined;
  let insns: Insn[];
  try {
    insns = conformanceProgram(test);
  } catch (e) {
    return { name, status: wantsError ? 'pass' : 'fail', error: `assemble: ${(e as Error).message}` };
  }
  const mem = test.mem ?? new Uint8Array(0);
  // r3 = data_end, r1 = data; if data + len > data_end return 0; r2 = len (the bounds check lets
  // the verifier accept accesses inside the memory)
  const prologue: Insn[] = [
    { code: 0x61, dst: 3, src: 1, off: 4, imm: 0 },
    { code: 0x61, dst: 1, src: 1, off: 0, imm: 0 },
    { code: 0xbf, dst: 2, src: 1, off: 0, imm: 0 },
    { code: 0x07, dst: 2, src: 0, off: 0, imm: mem.length },
    { code: 0x2d, dst: 2, src: 3, off: 2, imm: 0 },
    { code: 0xb7, dst: 2, src: 0, off: 0, imm: mem.length },
    { code: 0x05, dst: 0, src: 0, off: 2, imm: 0 },
    { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  const k = kernelBackend();
  let fd: ReturnType<typeof k.progLoad>;
  try {
    fd = k.progLoad({ progType: ProgType.XDP, insns: encode([...prologue, ...insns]), license: 'GPL' });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    return {
      name,
      status: wantsError ? 'pass' : 'rejected',
      expected: hex(test.result),
      error: `load: ${msg}`,
    };
  }
  try {
    const pkt = new Uint8Array(Math.max(14, mem.length));
    pkt.set(mem);
    const r = k.progTestRun({ progFd: fd.fd, dataIn: pkt, repeat: 1 });
    const actual = BigInt(r.retval >>> 0);
    if (wantsError)
      return {
        name,
        status: 'fail',
        actual: hex(actual),
        error: 'the test expects an error, but the program ran',
      };
    const ok = test.result !== undefined && (test.result & 0xffffffffn) === actual;
    return ok
      ? { name, status: 'pass', expected: hex(test.result), actual: hex(actual) }
      : {
          name,
          status: 'fail',
          expected: hex(test.result),
          actual: hex(actual),
          error: 'low 32 bits of r0 differ',
        };
  } catch (e) {
    return { name, status: 'fail', expected: hex(test.result), error: `run: ${(e as Error).message}` };
  } finally {
    fd.close();
  }
}

/** Runs every `.data` file of `dir` (sorted by name) and returns one record per test. */
export function runConformanceDir(dir: string, backend: 'machine' | 'kernel'): ConformanceRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.data') && statSync(join(dir, n)).isFile())
      .sort();
  } catch (e) {
    throw new Error(
      `${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`,
    );
  }
  const vm = new Vm();
  const out: ConformanceRecord[] = [];
  for (const name of names) {
    let test: ConformanceTest;
    try {
      test = parseConformanceData(readFileSync(join(dir, name), 'utf8'), name);
    } catch (e) {
      out.push({ name, status: 'fail', error: `parse: ${(e as Error).message}` });
      continue;
    }
    if (backend === 'kernel') {
      out.push(kernelConformanceTest(test, name));
      continue;
    }
    const o = runConformanceTest(test, name, vm);
    const rec: ConformanceRecord = {
      name,
      status: o.status,
      expected: hex(o.expected),
      actual: hex(o.actual),
    };
    if (o.error !== undefined) rec.error = o.error;
    out.push(rec);
  }
  return out;
}

/** Registers `conformance`. */
export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('run the BPF conformance suite (.data files) on the machine or the kernel')
    .argument('<dir>', 'directory of .data tests (e.g. ../shared/conformance/tests)')
    .option('--backend <name>', 'machine or kernel', 'machine')
    .option('--json', 'print one JSON record per test (name, status, expected, actual r0)')
    .action((dir: string, opts: { backend: string; json?: boolean }) => {
      const backend = choice('--backend', opts.backend, BACKENDS);
      const recs = runConformanceDir(dir, backend);
      let passed = 0;
      for (const r of recs) {
        if (r.status === 'pass') passed++;
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (r.status !== 'pass')
          process.stdout.write(`${r.status.toUpperCase()} ${r.name}: ${r.error ?? ''}\n`);
      }
      const failed = recs.length - passed;
      process.stdout.write(`${passed} passed, ${failed} failed\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
