/**
 * What Linux checks only on the instructions its verifier walk visits (check_helper_call and the
 * register reads of do_check), the machine checks there too (its verifier, not the structural
 * pre-check of src/machine/prog.ts): an unknown helper id or a read of an unwritten register on a
 * branch the verifier proves dead loads on both (and the program runs), the same on a live path is
 * refused with the same line, and a helper call's lines come in Linux's order (unknown id, then
 * program type, then GPL-only). So do reserved fields and register numbers, except the few Linux
 * checks up front (bench/verifier/probe-dead-reserved.ts); the engine keeps such an instruction
 * in the image only as one that faults if it ever runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER_CASES, RESERVED_CASES, reservedAnswer } from '../../bench/verifier/probe-dead-reserved.js';
import { encode } from '../../src/isa/index.js';
import { EngineFault, prepareProgram, Vm } from '../../src/machine/engine/index.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { AttachType, ProgType } from '../../src/uapi/constants.js';
import { FormatError } from '../../src/util/errors.js';
import { backends } from '../backend/backends.js';
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
  return reservedAnswer(b, c.insns, c);
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
  'reserved fields and register numbers: what Linux checks up front, and only in its walk',
  { skip: kernel.skip },
  () => {
    // bench/verifier/probe-dead-reserved.ts: each invalid encoding (and each write to r10) on a
    // branch the verifier proves dead, then on the live path. Linux refuses LDX fields, unknown
    // opcodes and unrecognized ld_imm64 kinds up front (resolve_pseudo_ldimm64); everything else
    // only where do_check goes, so a dead one loads and runs.
    const k = kernel.backend();
    const m = new Machine();
    const run = (b: Backend) =>
      RESERVED_CASES.flatMap((c) => [
        `${c.name}, dead: ${reservedAnswer(b, c.dead)}`,
        `${c.name}, live: ${reservedAnswer(b, c.live)}`,
      ]);
    const want = run(k);
    assert.deepEqual(run(m), want);
    // Within one instruction: reserved fields, invalid register numbers and unwritten registers
    // come in Linux's order.
    const order = (b: Backend) => ORDER_CASES.map((c) => `${c.name}: ${reservedAnswer(b, c.insns)}`);
    assert.deepEqual(order(m), order(k));
    // The probe has both kinds: some refused on a dead branch, most loaded there.
    const dead = want.filter((w) => w.includes(', dead: '));
    assert.ok(dead.filter((w) => w.endsWith(': ok 0')).length >= 50);
    assert.ok(dead.some((w) => w.endsWith('dead: EINVAL: BPF_LDX uses reserved fields')));
    assert.ok(want.some((w) => w.endsWith('live: EINVAL: BPF_ALU uses reserved fields')));
  },
);

test('the machine never runs an instruction with an invalid encoding', () => {
  const bad = { code: 0xb7, dst: 0, src: 1, off: 0, imm: 7 }; // mov r0, 7 with src_reg set
  const body = [
    { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
    bad,
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  // The strict default (conformance runner, CLI bench) refuses it up front.
  assert.throws(() => prepareProgram(body), FormatError);
  // Kept for the verifier to judge, it faults if ever reached.
  const image = prepareProgram(body, { invalidInsns: 'fault' });
  const vm = new Vm();
  assert.throws(
    () => vm.run(image),
    (e: unknown) => e instanceof EngineFault && e.kind === 'invalid_insn' && e.pc === 1,
  );
  // A write to r10 too.
  const fp = prepareProgram([{ code: 0x07, dst: 10, src: 0, off: 0, imm: 8 }, ...body.slice(2)], {
    invalidInsns: 'fault',
  });
  assert.throws(
    () => vm.run(fp),
    (e: unknown) => e instanceof EngineFault && e.kind === 'invalid_insn' && e.pc === 0,
  );
  // A machine load of it on the live path is refused by the verifier, with Linux's line.
  const m = new Machine();
  assert.equal(answer(m, { what: 'live', insns: encode(body) }), 'EINVAL: BPF_MOV uses reserved fields');
});
