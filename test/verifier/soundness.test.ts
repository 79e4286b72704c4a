// Soundness: programs the machine's verifier accepts never fault at run time on the machine's
// engine. Every accepted corpus program runs with random packets/contexts, and random programs
// (test/isa arbitraries, which Linux 6.18 accepts by construction) must be accepted and run
// without a fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import { verify } from '../../src/machine/verifier/index.js';
import { ProgType } from '../../src/uapi/constants.js';
import { arbLoadableProgram } from '../isa/arbitraries.js';
import { corpus } from './corpus.js';
import { machineAnswer, readRecord } from './harness.js';
import { runOnMachine } from './soundness-run.js';

const record = readRecord();

test('accepted corpus programs run on the engine without a fault', () => {
  const faults: string[] = [];
  let ran = 0;
  corpus().forEach((p, k) => {
    // the kernel's own 1M-instruction walks are verified in bench/verifier, not here
    if (record[p.name]?.line?.startsWith('BPF program is too large')) return;
    const a = machineAnswer(p);
    if (a.verdict !== 'accepted' || a.processed > 100_000) return;
    ran++;
    // may_goto loops run their whole 8M-iteration budget: once is enough
    const loops = p.insns.some((i) => i.code === 0xe5);
    faults.push(...runOnMachine(p, loops ? 1 : 4, k + 1));
  });
  assert.ok(ran > 300, `${ran} programs ran`);
  assert.deepEqual(faults, []);
});

test('random programs Linux accepts: the verifier accepts them and they run without a fault', () => {
  fc.assert(
    fc.property(arbLoadableProgram({ maxLength: 40 }), fc.integer(), (insns: Insn[], seed: number) => {
      const r = verify(insns, { progType: ProgType.SOCKET_FILTER });
      assert.equal(r.ok, true, r.error);
      const faults = runOnMachine(
        { name: 'random', progType: ProgType.SOCKET_FILTER, insns, maps: [], license: 'GPL' },
        2,
        seed,
      );
      assert.deepEqual(faults, []);
    }),
    { numRuns: 300 },
  );
});
