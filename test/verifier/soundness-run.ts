/**
 * Runs a program the machine accepts on the machine's engine with random inputs and collects the
 * run-time faults (a fault in an accepted program is a verifier bug). Shared by
 * test/verifier/soundness.test.ts and bench/verifier/fuzz.ts.
 */
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { ProgFlag, ProgType } from '../../src/uapi/constants.js';
import type { CorpusProgram } from './corpus.js';
import { encodeFuncInfo } from './globals.js';

/** A small deterministic PRNG (xorshift32). */
export function rng(seed: number): () => number {
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
export function runOnMachine(p: CorpusProgram, runs: number, seed: number): string[] {
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
