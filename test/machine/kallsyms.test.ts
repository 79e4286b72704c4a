/**
 * `bpf_kallsyms_lookup_name` (helper 179) from a syscall program, on Linux and on the machine:
 * the same verdicts at load (syscall programs only, not GPL-only, an 8-byte aligned result slot)
 * and the same errnos at run time (-EINVAL for flags, a too short or unterminated name; -ENOENT and
 * a zeroed result for a symbol that is not there; Linux 6.18 zeroes the result on -EINVAL too). The machine
 * has no kernel symbols (src/machine/helpers): a symbol Linux finds is -ENOENT there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { VerifierError } from '../../src/sys/errors.js';
import { ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { errorLine } from '../verifier/harness.js';
import { insn, prog } from './core-relo-case.js';

const kernel = backends().find((b) => b.name === 'kernel')!;
const ENOENT = 2;
const EINVAL = 22;
/** What the program stores in the result slot before the call. */
const MARK = 0x1234;

interface Shape {
  nameSz: number;
  flags?: number;
  /** Offset of the result slot from r10 (default -8). */
  resOff?: number;
}

/**
 * A syscall program: the 32-byte `name` at r10-40, the result slot at r10-8 set to MARK, then
 * r6 = lookup(name, nameSz, flags, res); returns (r6 << 8) | what became of the result slot
 * (0: untouched, 1: zeroed, 2: an address).
 */
function lookup(name: Uint8Array, s: Shape): Uint8Array {
  const buf = new Uint8Array(32);
  buf.set(name.subarray(0, 32));
  const dv = new DataView(buf.buffer);
  const slots: Uint8Array[] = [];
  for (let i = 0; i < 32; i += 4) slots.push(insn(0x62, 10, 0, -40 + i, dv.getInt32(i, true)));
  slots.push(
    insn(0x7a, 10, 0, -8, MARK), // *(u64 *)(r10 - 8) = MARK
    insn(0xbf, 1, 10, 0, 0), // r1 = r10
    insn(0x07, 1, 0, 0, -40), // r1 += -40
    insn(0xb7, 2, 0, 0, s.nameSz), // r2 = name_sz
    insn(0xb7, 3, 0, 0, s.flags ?? 0), // r3 = flags
    insn(0xbf, 4, 10, 0, 0), // r4 = r10
    insn(0x07, 4, 0, 0, s.resOff ?? -8), // r4 += resOff
    insn(0x85, 0, 0, 0, 179), // call bpf_kallsyms_lookup_name
    insn(0xbf, 6, 0, 0, 0), // r6 = r0
    insn(0x79, 7, 10, -8, 0), // r7 = *(u64 *)(r10 - 8)
    insn(0xb7, 0, 0, 0, 0), // r0 = 0
    insn(0x15, 7, 0, 3, MARK), // if r7 == MARK goto out
    insn(0xb7, 0, 0, 0, 1), // r0 = 1
    insn(0x15, 7, 0, 1, 0), // if r7 == 0 goto out
    insn(0xb7, 0, 0, 0, 2), // r0 = 2
    insn(0x67, 6, 0, 0, 8), // out: r6 <<= 8
    insn(0x4f, 0, 6, 0, 0), // r0 |= r6
    insn(0x95, 0, 0, 0, 0),
  );
  return prog(...slots);
}

const bytesOf = (name: string | Uint8Array): Uint8Array =>
  typeof name === 'string' ? new TextEncoder().encode(`${name}\0`) : name;

/** Loads and runs the lookup: [helper result, what became of the result slot]. */
function run(b: Backend, name: string | Uint8Array, s: Shape): [number, number] {
  using fd = b.progLoad({
    progType: ProgType.SYSCALL,
    progFlags: ProgFlag.SLEEPABLE,
    insns: lookup(bytesOf(name), s),
    license: 'Dual BSD/GPL',
  });
  const r = b.progTestRun({ progFd: fd.fd }).retval | 0;
  return [r >> 8, r & 0xff];
}

/** The verdict of loading the lookup as `progType` with `license`: 'ok' or errno code + error line. */
function verdict(b: Backend, progType: number, license: string, s: Shape): string {
  try {
    b.progLoad({
      progType,
      progFlags: progType === ProgType.SYSCALL ? ProgFlag.SLEEPABLE : 0,
      insns: lookup(bytesOf('x'), s),
      license,
      logLevel: 1,
    }).close();
    return 'ok';
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return `${e.code}: ${errorLine(e.lines)}`;
  }
}

test('bpf_kallsyms_lookup_name: the same errnos on Linux and the machine', { skip: kernel.skip }, () => {
  const m = new Machine();
  const k = kernel.backend();
  const cases: [string, string | Uint8Array, Shape, [number, number]][] = [
    ['absent symbol: -ENOENT, result zeroed', 'no_such_symbol_here', { nameSz: 20 }, [-ENOENT, 1]],
    ['flags', 'bpf_map_lookup_elem', { nameSz: 20, flags: 1 }, [-EINVAL, 1]],
    ['name_sz 0', 'bpf_map_lookup_elem', { nameSz: 0 }, [-EINVAL, 1]],
    ['name_sz 1', 'bpf_map_lookup_elem', { nameSz: 1 }, [-EINVAL, 1]],
    ['unterminated', 'bpf_map_lookup_elem', { nameSz: 19 }, [-EINVAL, 1]],
    [
      'a NUL before name_sz - 1 ends the name',
      new TextEncoder().encode('no_such\0junk\0'),
      { nameSz: 13 },
      [-ENOENT, 1],
    ],
  ];
  for (const [what, name, s, want] of cases) {
    assert.deepEqual(run(k, name, s), want, `kernel: ${what}`);
    assert.deepEqual(run(m, name, s), want, `machine: ${what}`);
  }
  // A symbol Linux has (a function: this kernel lists no data symbols, CONFIG_KALLSYMS_ALL is off):
  // found there, with its address in the result; the machine has no kernel symbols.
  assert.deepEqual(run(k, 'bpf_map_lookup_elem', { nameSz: 20 }), [0, 2]);
  assert.deepEqual(run(m, 'bpf_map_lookup_elem', { nameSz: 20 }), [-ENOENT, 1]);
  assert.deepEqual(run(k, 'bpf_prog_active', { nameSz: 16 }), [-ENOENT, 1], 'a data symbol');
});

test(
  'bpf_kallsyms_lookup_name: the same load verdicts on Linux and the machine',
  { skip: kernel.skip },
  () => {
    const m = new Machine();
    const k = kernel.backend();
    const cases: [string, number, string, Shape][] = [
      ['syscall, non-GPL license: not GPL-only', ProgType.SYSCALL, 'Proprietary', { nameSz: 2 }],
      ['socket filter: syscall programs only', ProgType.SOCKET_FILTER, 'GPL', { nameSz: 2 }],
      ['xdp: syscall programs only', ProgType.XDP, 'GPL', { nameSz: 2 }],
      ['misaligned result slot', ProgType.SYSCALL, 'GPL', { nameSz: 2, resOff: -12 }],
      ['result slot past the frame', ProgType.SYSCALL, 'GPL', { nameSz: 2, resOff: -4 }],
      ['name larger than its buffer', ProgType.SYSCALL, 'GPL', { nameSz: 48 }],
    ];
    const got = cases.map(([what, t, lic, s]) => `${what}: ${verdict(m, t, lic, s)}`);
    const want = cases.map(([what, t, lic, s]) => `${what}: ${verdict(k, t, lic, s)}`);
    assert.deepEqual(got, want);
    assert.equal(got[0], 'syscall, non-GPL license: not GPL-only: ok');
  },
);
