/**
 * Differential tests of the machine's interpreter: generated programs (straight-line and
 * looping, safe by construction) run on the engine and on an independent BigInt reference
 * evaluator, and on the running kernel through BPF_PROG_TEST_RUN (XDP) when bpf(2) is usable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { prepareProgram, Vm } from '../../src/machine/engine/index.js';
import { ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from '../kernel/kernel.js';
import { generateProgram, referenceRun } from './engine-gen.js';

const STRAIGHT = 700;
const LOOPING = 700;

function programs(): { name: string; insns: Insn[] }[] {
  const out: { name: string; insns: Insn[] }[] = [];
  for (let i = 1; i <= STRAIGHT; i++) out.push({ name: `straight #${i}`, insns: generateProgram(i, false) });
  for (let i = 1; i <= LOOPING; i++)
    out.push({ name: `loop #${i}`, insns: generateProgram(100_000 + i, true) });
  return out;
}

function engineRun(vm: Vm, insns: Insn[]): bigint {
  vm.memory.reset();
  return vm.run(prepareProgram(insns)).r0;
}

describe('engine vs reference evaluator', () => {
  it(`${STRAIGHT + LOOPING} generated programs give the same r0`, () => {
    const vm = new Vm();
    let loops = 0;
    for (const p of programs()) {
      const want = referenceRun(p.insns);
      const got = engineRun(vm, p.insns);
      assert.equal(got, want, `${p.name}: engine 0x${got.toString(16)} != reference 0x${want.toString(16)}`);
      if (p.insns.some((x) => x.code === 0x55 && x.off < 0)) loops++;
    }
    assert.ok(loops >= LOOPING / 2, `only ${loops} programs contain a loop`);
  });

  it('the reference evaluator is sensitive to the semantics it checks (sanity)', () => {
    // div by zero gives 0, mod by zero keeps dst, 32-bit ops zero-extend
    const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
      code,
      dst,
      src,
      off,
      imm,
    });
    const p: Insn[] = [
      { code: 0x18, dst: 0, src: 0, off: 0, imm: -1, imm2: -1 },
      I(0xb7, 1, 0, 0, 0),
      I(0x9f, 0, 1, 0, 0), // r0 %= 0 -> r0
      I(0x04, 0, 0, 0, 1), // w0 += 1 -> 0 (zero-extended)
      I(0x95, 0, 0, 0, 0),
    ];
    assert.equal(referenceRun(p), 0n);
    assert.equal(engineRun(new Vm(), p), 0n);
  });
});

describe('engine vs kernel (BPF_PROG_TEST_RUN, XDP)', { skip }, () => {
  it(`${STRAIGHT + LOOPING} generated programs give the same 32-bit r0`, () => {
    const k = kernel();
    const vm = new Vm();
    const data = new Uint8Array(64);
    let n = 0;
    for (const p of programs()) {
      const prog = k.progLoad({ progType: ProgType.XDP, insns: encode(p.insns), license: 'GPL' });
      try {
        const r = k.progTestRun({ progFd: prog.fd, dataIn: data, repeat: 1 });
        const got = engineRun(vm, p.insns) & 0xffffffffn;
        assert.equal(
          BigInt(r.retval >>> 0),
          got,
          `${p.name}: kernel 0x${(r.retval >>> 0).toString(16)} != engine 0x${got.toString(16)}`,
        );
        n++;
      } finally {
        prog.close();
      }
    }
    assert.equal(n, STRAIGHT + LOOPING);
  });
});
