// Programs with BTF func_info (function pointers, bpf_loop callbacks): the subprogs fixture,
// loaded by the loader on the kernel (live), and verified by the machine with funcInfo.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { BpfObject } from '../../src/loader/index.js';
import { verify } from '../../src/machine/verifier/index.js';
import { ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from '../kernel/kernel.js';
import { corpus } from './corpus.js';

const SUBPROGS = new URL('../fixtures/subprogs.bpfel.o', import.meta.url).pathname;

test('the kernel loads every subprogs program with its BTF (bpf_loop callback included)', { skip }, () => {
  const c = BpfObject.open(new Uint8Array(readFileSync(SUBPROGS))).load(kernel());
  try {
    assert.deepEqual([...c.programs.keys()].sort(), ['sys_entry', 'tc_first', 'tc_second', 'tc_third']);
  } finally {
    c.close();
  }
});

test('the machine accepts them with func_info, and refuses function pointers without it', () => {
  const progs = corpus().filter((p) => p.name.startsWith('fix/subprogs/'));
  assert.equal(progs.length, 4);
  for (const p of progs) {
    const r = verify(p.insns, { progType: p.progType, gpl: true, funcInfo: true });
    assert.equal(r.ok, true, `${p.name}: ${r.error}`);
  }
  const first = progs.find((p) => p.name.endsWith('tc_first'))!;
  assert.equal(verify(first.insns, { progType: first.progType, gpl: true }).error, 'missing btf func_info');
});

test('bpf_loop callbacks: return range, ctx bounds, and iterations that change the caller state', () => {
  const run = (text: string): ReturnType<typeof verify> =>
    verify(assembleLlvm(text), { progType: ProgType.XDP, funcInfo: true });
  const prologue =
    'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = 16\nr2 = func[cb] ll\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\n';
  assert.equal(run(`${prologue}r0 = *(u64 *)(r10 - 8)\nexit\ncb:\nr0 = 0\nexit`).ok, true);
  assert.equal(
    run(`${prologue}r0 = 0\nexit\ncb:\nr0 = 2\nexit`).error,
    'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]',
  );
  assert.equal(
    run(`${prologue}r0 = 0\nexit\ncb:\nr0 = *(u64 *)(r2 + 8)\nr0 = 0\nexit`).error,
    'invalid read from stack R2 off=0 size=8',
  );
  // the callback stores a pointer into the caller's slot on a later iteration: the caller must
  // not trust the slot's first value
  const flip = `${prologue}r1 = *(u64 *)(r10 - 8)\nr0 = *(u8 *)(r1 + 0)\nr0 = 0\nexit\ncb:\nr3 = *(u64 *)(r2 + 0)\n*(u64 *)(r2 + 0) = r1\nr0 = 0\nexit`;
  assert.equal(run(flip).ok, false);
  assert.equal(run(`${prologue}r0 = 0\nexit\ncb:\nr1 = 0\nr0 = 0\nexit`).ok, true);
});
