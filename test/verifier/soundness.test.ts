// Soundness: programs the machine's verifier accepts never fault at run time on the machine's
// engine. Every accepted corpus program runs with random packets/contexts, and random programs
// (test/isa arbitraries, which Linux 6.18 accepts by construction) must be accepted and run
// without a fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { Machine } from '../../src/machine/index.js';
import { verify } from '../../src/machine/verifier/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { arbLoadableProgram } from '../isa/arbitraries.js';
import { type CorpusProgram, corpus } from './corpus.js';
import { encodeFuncInfo } from './globals.js';
import { machineAnswer, readRecord } from './harness.js';

const record = readRecord();

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function bytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

/** Loads `p` into a fresh machine and runs it `runs` times; returns the faults seen. */
function runOnMachine(p: CorpusProgram, runs: number, seed: number): string[] {
  const m = new Machine();
  const faults: string[] = [];
  const fds = p.maps.map((spec) =>
    m.mapCreate({
      mapType: spec.type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.maxEntries,
      mapFlags: spec.flags ?? 0,
    }),
  );
  // global functions: the program BTF and func_info go with the load (verified on their own)
  const btf = p.btf !== undefined ? m.btfLoad({ btf: p.btf }) : undefined;
  let prog: ReturnType<Machine['progLoad']>;
  try {
    prog = m.progLoad({
      progType: p.progType,
      insns: encode(p.insns),
      license: p.license,
      ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
      ...(p.sleepable ? { progFlags: ProgFlag.SLEEPABLE } : {}),
      ...(fds.length > 0 ? { fdArray: Int32Array.from(fds.map((f) => f.fd)) } : {}),
      ...(btf !== undefined
        ? { progBtfFd: btf.fd, funcInfo: encodeFuncInfo(p.funcInfo ?? []), funcInfoRecSize: 8 }
        : {}),
    });
  } catch (e) {
    if (e instanceof BpfError) return []; // the machine's own load checks refuse it: nothing to run
    throw e;
  }
  const next = rng(seed);
  for (let r = 0; r < runs; r++) {
    try {
      if (p.progType === ProgType.SYSCALL) {
        m.progTestRun({ progFd: prog.fd, ctxIn: bytes(next, 64) });
      } else if (p.progType !== ProgType.XDP && r % 2 === 1) {
        // __sk_buff fields a test run may set: mark, priority, cb[]
        const ctxIn = new Uint8Array(192);
        for (const [o, n] of [
          [8, 4],
          [32, 4],
          [48, 20],
        ] as const)
          ctxIn.set(bytes(next, n), o);
        m.progTestRun({ progFd: prog.fd, dataIn: bytes(next, 14 + (next() % 200)), ctxIn });
      } else {
        m.progTestRun({ progFd: prog.fd, dataIn: bytes(next, 14 + (next() % 200)) });
      }
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      if (/fault/.test(e.message)) faults.push(`${p.name}: ${e.message}`);
    }
  }
  prog.close();
  for (const f of fds) f.close();
  return faults;
}

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
