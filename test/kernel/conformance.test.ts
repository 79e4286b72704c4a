// The BPF conformance suite (../shared/conformance) in the kernel, the way the suite's libbpf
// runner does it: each program is loaded as BPF_PROG_TYPE_XDP (license "MIT", expected attach
// type BPF_XDP) and run once with BPF_PROG_TEST_RUN, the test's memory as packet data (in and
// out). The kernel's answers (verdict, errno and last log line, r0 as 32 bits) are recorded in
// test/kernel/conformance-kernel.json: the machine must give the same answers.
// `UPDATE_KERNEL_CONFORMANCE=1` rewrites the file from the running kernel.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assembleConformance } from '../../src/isa/asm/conformance.js';
import { encode } from '../../src/isa/codec.js';
import { parseConformanceData } from '../../src/isa/conformance-data.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { KernelBackend } from '../../src/sys/kernel/index.js';
import { AttachType, ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';

const SUITE = new URL('../../../shared/conformance/tests', import.meta.url).pathname;
const ETH_HLEN = 14;
const RECORD = new URL('./conformance-kernel.json', import.meta.url).pathname;

/** The kernel's answer for one test file. */
export interface KernelAnswer {
  /** `accepted`: loaded and ran; `rejected`: the load failed; `not-applicable`: calls a helper the kernel lacks for XDP; `unassembled`: the suite's text does not assemble. */
  verdict: 'accepted' | 'rejected' | 'not-applicable' | 'run-failed' | 'unassembled';
  /** r0 as BPF_PROG_TEST_RUN returns it (32 bits, hex), when accepted; `address-dependent` when the program reads the XDP context. */
  r0?: string;
  /** The suite's expected r0 (hex), when it has one. */
  expected?: string;
  /** True when the suite expects an error (`-- error`). */
  expectsError?: boolean;
  /** errno name of a failed load or run. */
  errno?: string;
  /** The memory was shorter than 14 bytes and was zero-padded for the XDP run. */
  padded?: boolean;
  /** Last verifier log line of a failed load. */
  reason?: string;
}

/** True when a load through r1 comes before anything writes r1 (straight-line scan). */
function readsCtx(insns: Uint8Array): boolean {
  for (let p = 0; p + 8 <= insns.length; p += 8) {
    const code = insns[p]!;
    const dst = insns[p + 1]! & 0x0f;
    const src = insns[p + 1]! >> 4;
    const cls = code & 0x07;
    if (cls === 0x01 && src === 1) return true; // LDX from r1
    if (code === 0x85) return false; // a call clobbers r1
    if ((cls === 0x04 || cls === 0x07 || cls === 0x00 || cls === 0x01) && dst === 1) return false;
    if (code === 0x18) p += 8;
  }
  return false;
}

function runOne(k: KernelBackend, file: string): KernelAnswer {
  const t = parseConformanceData(readFileSync(join(SUITE, file), 'utf8'), file);
  const base: KernelAnswer = { verdict: 'accepted' };
  if (t.result !== undefined) base.expected = `0x${t.result.toString(16)}`;
  if (t.error !== undefined) base.expectsError = true;
  let insns: Uint8Array;
  try {
    insns = t.raw ?? encode(assembleConformance(t.asm ?? '', { file, lineBase: t.asmLine }));
  } catch (e) {
    return { ...base, verdict: 'unassembled', reason: (e as Error).message };
  }
  let prog: ReturnType<KernelBackend['progLoad']>;
  try {
    prog = k.progLoad({
      progType: ProgType.XDP,
      insns,
      license: 'MIT',
      expectedAttachType: AttachType.XDP,
      progName: 'conformance',
    });
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const last =
      e instanceof VerifierError ? (e.lines.filter((l) => !l.startsWith('processed ')).pop() ?? '') : '';
    const missingHelper = /invalid func unknown#|program of this type cannot use helper|unknown func /.test(
      last,
    );
    return { ...base, verdict: missingHelper ? 'not-applicable' : 'rejected', errno: e.code, reason: last };
  }
  try {
    const mem = t.mem ?? new Uint8Array(0);
    // XDP test runs need at least an Ethernet header (14 bytes, else EINVAL): shorter memory is
    // zero-padded to 14 bytes and the answer says so.
    const data = new Uint8Array(Math.max(ETH_HLEN, mem.length));
    data.set(mem);
    const r = k.progTestRun({ progFd: prog.fd, dataIn: data, dataOut: data, repeat: 1 });
    // A program that reads the XDP context (r1) gets packet pointers: its r0 depends on kernel
    // addresses and is recorded as such, not as a number.
    const a: KernelAnswer = {
      ...base,
      r0: readsCtx(insns) ? 'address-dependent' : `0x${(r.retval >>> 0).toString(16)}`,
    };
    if (mem.length < ETH_HLEN) a.padded = true;
    return a;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return { ...base, verdict: 'run-failed', errno: e.code };
  } finally {
    prog.close();
  }
}

const available = existsSync(SUITE) || process.env.CI === 'true' ? skip : `${SUITE} is missing`;

describe('kernel: BPF conformance suite as XDP programs', { skip: available }, () => {
  test('every test: the kernel answers as recorded in conformance-kernel.json', () => {
    const k = kernel();
    const files = readdirSync(SUITE)
      .filter((f) => f.endsWith('.data'))
      .sort();
    assert.ok(files.length > 300);
    const answers: Record<string, KernelAnswer> = {};
    for (const f of files) answers[f] = runOne(k, f);
    if (process.env.UPDATE_KERNEL_CONFORMANCE === '1' || !existsSync(RECORD)) {
      writeFileSync(
        RECORD,
        `${JSON.stringify({ kernel: 'Linux 6.18', runner: 'XDP + BPF_PROG_TEST_RUN (libbpf runner); memory zero-padded to 14 bytes', tests: answers }, null, 1)}\n`,
      );
    }
    const recorded = JSON.parse(readFileSync(RECORD, 'utf8')) as { tests: Record<string, KernelAnswer> };
    assert.deepEqual(answers, recorded.tests);
    // Sanity: a plain arithmetic test passes with the expected r0.
    assert.equal(answers['add.data']!.verdict, 'accepted');
    assert.equal(answers['add.data']!.r0, '0x3');
  });
});
