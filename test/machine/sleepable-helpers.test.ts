/**
 * `bpf_copy_from_user` (helper 148), a helper that might sleep: Linux 6.18 gives it to every
 * program type and refuses a call from a non-sleepable program ("helper call might sleep in a
 * non-sleepable prog"). A sleepable kprobe and a syscall program may call it. The machine gives
 * the same verdicts and error lines, sleepable or not, for every type that needs no attach BTF.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { errorLine } from '../verifier/harness.js';
import { insn, prog } from './core-relo-case.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

/** r1 = r10 - 8; copy_from_user(r1, 8, NULL); return 0. */
const COPY = prog(
  insn(0xbf, 1, 10, 0, 0),
  insn(0x07, 1, 0, 0, -8),
  insn(0xb7, 2, 0, 0, 8),
  insn(0xb7, 3, 0, 0, 0),
  insn(0x85, 0, 0, 0, 148),
  insn(0xb7, 0, 0, 0, 0),
  insn(0x95, 0, 0, 0, 0),
);

/** Types whose load needs an attach BTF id (or that this host's lockdown refuses): left out. */
const BTF_TYPES: ReadonlySet<number> = new Set([
  ProgType.TRACING,
  ProgType.LSM,
  ProgType.EXT,
  ProgType.STRUCT_OPS,
]);

function verdict(b: Backend, progType: number, sleepable: boolean): string {
  try {
    b.progLoad({
      progType,
      progFlags: sleepable ? ProgFlag.SLEEPABLE : 0,
      insns: COPY,
      license: 'GPL',
      logLevel: 1,
    }).close();
    return 'ok';
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0) return `${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${e.code} (no log)`;
    throw e;
  }
}

test(
  'bpf_copy_from_user: sleepable programs only, the same verdicts on Linux and the machine',
  {
    skip: kernel.skip,
  },
  () => {
    const k = kernel.backend();
    const m = new Machine();
    const got: string[] = [];
    const want: string[] = [];
    for (const [name, t] of Object.entries(ProgType)) {
      if (typeof t !== 'number' || t === 0 || BTF_TYPES.has(t)) continue;
      for (const sleepable of [false, true]) {
        const what = `${name}${sleepable ? ' sleepable' : ''}`;
        want.push(`${what}: ${verdict(k, t, sleepable)}`);
        got.push(`${what}: ${verdict(m, t, sleepable)}`);
      }
    }
    assert.deepEqual(got, want);
    assert.ok(want.includes('KPROBE sleepable: ok'));
    assert.ok(want.includes('KPROBE: EINVAL: helper call might sleep in a non-sleepable prog'));
    assert.ok(want.includes('SYSCALL sleepable: ok'));
  },
);
