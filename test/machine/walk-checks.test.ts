/**
 * What Linux checks only on the instructions its verifier walk visits (check_helper_call and the
 * register reads of do_check), the machine checks there too (its verifier, not the structural
 * pre-check of src/machine/prog.ts): an unknown helper id or a read of an unwritten register on a
 * branch the verifier proves dead loads on both (and the program runs), the same on a live path is
 * refused with the same line, and a helper call's lines come in Linux's order (unknown id, then
 * program type, then GPL-only).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { AttachType, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { errorLine } from '../verifier/harness.js';
import { insn, prog } from './core-relo-case.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

const mov = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm);
const movReg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0);
const call = (id: number) => insn(0x85, 0, 0, 0, id);
const exit = () => insn(0x95, 0, 0, 0, 0);
/** if r1 == 0 goto +off */
const jeq1 = (off: number) => insn(0x15, 1, 0, off, 0);

interface Case {
  what: string;
  insns: Uint8Array;
  progType?: number;
  attachType?: number;
  license?: string;
}

/** r1 = 0; if r1 == 0 goto +2 (past `body`, two slots); body; r0 = 0; exit. */
const dead = (a: Uint8Array, b: Uint8Array) => prog(mov(1, 0), jeq1(2), a, b, mov(0, 0), exit());

const CASES: Case[] = [
  { what: 'dead unknown helper id', insns: dead(call(9999), exit()) },
  { what: 'dead CO-RE-poisoned call', insns: dead(call(0xbad2310), exit()) },
  { what: 'dead read of an unwritten register', insns: dead(movReg(0, 5), exit()) },
  { what: 'dead GPL-only helper in a non-GPL program', insns: dead(call(6), exit()), license: 'MIT' },
  { what: 'live unknown helper id', insns: prog(call(9999), mov(0, 0), exit()) },
  { what: 'live read of an unwritten register', insns: prog(movReg(0, 5), exit()) },
  {
    what: 'live GPL-only helper (perf_event_output) a flow dissector cannot call, non-GPL',
    insns: prog(call(25), mov(0, 0), exit()),
    progType: ProgType.FLOW_DISSECTOR,
    attachType: AttachType.FLOW_DISSECTOR,
    license: 'MIT',
  },
  {
    what: 'bpf_probe_read in a socket filter',
    insns: prog(call(4), mov(0, 0), exit()),
  },
  {
    what: 'bpf_probe_read in a non-GPL kprobe',
    insns: prog(call(4), mov(0, 0), exit()),
    progType: ProgType.KPROBE,
    license: 'MIT',
  },
  {
    what: 'bpf_snprintf in a non-GPL socket filter',
    insns: prog(call(165), mov(0, 0), exit()),
    license: 'MIT',
  },
  {
    what: 'live GPL-only helper (trace_printk), non-GPL',
    insns: prog(call(6), mov(0, 0), exit()),
    license: 'MIT',
  },
];

/** 'ok <retval>' after one test run, or errno code + error line. */
function answer(b: Backend, c: Case): string {
  try {
    using fd = b.progLoad({
      progType: c.progType ?? ProgType.SOCKET_FILTER,
      ...(c.attachType !== undefined ? { expectedAttachType: c.attachType } : {}),
      insns: c.insns,
      license: c.license ?? 'GPL',
      logLevel: 1,
    });
    const run = b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 1 });
    return `ok ${run.retval}`;
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0) return `${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${e.code} (no log)`;
    throw e;
  }
}

test('checks of the walk: the same answers on Linux and the machine', { skip: kernel.skip }, () => {
  const k = kernel.backend();
  const m = new Machine();
  const want = CASES.map((c) => `${c.what}: ${answer(k, c)}`);
  const got = CASES.map((c) => `${c.what}: ${answer(m, c)}`);
  assert.deepEqual(got, want);
  for (const w of want.slice(0, 4)) assert.match(w, /: ok 0$/);
});

test(
  'known difference: reserved fields on a dead branch (Linux checks them in the walk; the machine before it)',
  { skip: kernel.skip },
  () => {
    // Linux checks most reserved fields in do_check (check_alu_op, check_mem_access...), so an
    // instruction with one set on a branch it never visits loads; the machine checks every
    // instruction's encoding before its verifier runs (src/machine/prog.ts, and the engine's
    // preparation), as Linux does only for ldx (resolve_pseudo_ldimm64).
    const bad = [
      insn(0xb7, 0, 1, 0, 0),
      insn(0x07, 0, 0, 1, 0),
      insn(0x7b, 10, 0, -8, 1),
      insn(0x85, 1, 0, 0, 5),
    ];
    const k = kernel.backend();
    const m = new Machine();
    for (const b of bad) {
      const c: Case = { what: 'dead reserved field', insns: dead(b, exit()) };
      assert.equal(answer(k, c), 'ok 0');
      assert.match(answer(m, c), /^EINVAL: .*reserved/);
    }
    const ldx: Case = { what: 'dead ldx with imm', insns: dead(insn(0x79, 0, 10, -8, 1), exit()) };
    assert.equal(answer(k, ldx), 'EINVAL: BPF_LDX uses reserved fields');
    assert.equal(answer(m, ldx), 'EINVAL: BPF_LDX uses reserved fields');
  },
);
