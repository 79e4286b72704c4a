/**
 * `bpf_btf_find_by_name_kind` (helper 167) from a syscall program, on Linux and on the machine:
 * the same errnos (-EINVAL for flags, a too short or unterminated name; -ENOENT for a name/kind
 * that is not there), and a found type's id is that backend's own vmlinux id of the type (Linux
 * has no module BTF loaded here, the machine never has, so no fd in the upper half).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BTF_KIND, type Btf, parseBtf } from '../../src/btf/index.js';
import { Machine, machineVmlinuxBtf } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { insn, prog } from './core-relo-case.js';

const kernel = backends().find((b) => b.name === 'kernel')!;
const ENOENT = 2;
const EINVAL = 22;

/** A syscall program: the 32-byte `name` on the stack, then find(name, nameSz, kind, flags). */
function finder(name: Uint8Array, nameSz: number, kind: number, flags: number): Uint8Array {
  const buf = new Uint8Array(32);
  buf.set(name.subarray(0, 32));
  const dv = new DataView(buf.buffer);
  const slots: Uint8Array[] = [];
  for (let i = 0; i < 32; i += 4) slots.push(insn(0x62, 10, 0, -32 + i, dv.getInt32(i, true)));
  slots.push(
    insn(0xbf, 1, 10, 0, 0), // r1 = r10
    insn(0x07, 1, 0, 0, -32), // r1 += -32
    insn(0xb7, 2, 0, 0, nameSz), // r2 = name_sz
    insn(0xb7, 3, 0, 0, kind), // r3 = kind
    insn(0xb7, 4, 0, 0, flags), // r4 = flags
    insn(0x85, 0, 0, 0, 167), // call bpf_btf_find_by_name_kind
    insn(0x95, 0, 0, 0, 0),
  );
  return prog(...slots);
}

function run(b: Backend, name: string | Uint8Array, nameSz: number, kind: number, flags = 0): number {
  const bytes = typeof name === 'string' ? new TextEncoder().encode(`${name}\0`) : name;
  using fd = b.progLoad({
    progType: ProgType.SYSCALL,
    progFlags: ProgFlag.SLEEPABLE,
    insns: finder(bytes, nameSz, kind, flags),
    license: 'GPL',
  });
  return b.progTestRun({ progFd: fd.fd }).retval | 0;
}

let real: Btf | undefined;

test('bpf_btf_find_by_name_kind: the same answers on Linux and the machine', { skip: kernel.skip }, () => {
  real ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  const m = new Machine();
  const mb = machineVmlinuxBtf(m.profile);
  const k = kernel.backend();
  const sz = (s: string) => s.length + 1;
  const found: [string, number][] = [
    ['task_struct', BTF_KIND.STRUCT],
    ['__sk_buff', BTF_KIND.STRUCT],
    ['xdp_action', BTF_KIND.ENUM],
    ['pid_t', BTF_KIND.TYPEDEF],
  ];
  for (const [name, kind] of found) {
    assert.equal(run(k, name, sz(name), kind), real.findId(name, kind), `kernel ${name}`);
    assert.equal(run(m, name, sz(name), kind), mb.findId(name, kind), `machine ${name}`);
  }
  const errors: [string, string | Uint8Array, number, number, number][] = [
    ['kind mismatch', 'task_struct', 12, BTF_KIND.UNION, 0],
    ['absent name', 'no_such_type_here', 18, BTF_KIND.STRUCT, 0],
    ['a kfunc Linux 6.18 lacks', 'bpf_loader_verify_metadata', 27, BTF_KIND.FUNC, 0],
    ['flags', 'task_struct', 12, BTF_KIND.STRUCT, 1],
    ['name_sz 1', 'task_struct', 1, BTF_KIND.STRUCT, 0],
    ['unterminated', 'task_struct', 11, BTF_KIND.STRUCT, 0],
    ['kind past BTF_KIND_MAX', 'task_struct', 12, 99, 0],
  ];
  for (const [what, name, nameSz, kind, flags] of errors) {
    const want = run(k, name, nameSz, kind, flags);
    assert.ok(want === -ENOENT || want === -EINVAL, `${what}: kernel says ${want}`);
    assert.equal(run(m, name, nameSz, kind, flags), want, what);
  }
  // A NUL before name_sz - 1: the name ends there, on both.
  const early = new TextEncoder().encode('xdp_md\0junk\0');
  assert.equal(run(k, early, 12, BTF_KIND.STRUCT), real.findId('xdp_md', BTF_KIND.STRUCT));
  assert.equal(run(m, early, 12, BTF_KIND.STRUCT), mb.findId('xdp_md', BTF_KIND.STRUCT));
});

test('bpf_btf_find_by_name_kind finds the kfunc a kfunc-scheme machine offers', () => {
  const m = new Machine({ profile: { kfuncMetadata: true } });
  const id = machineVmlinuxBtf({ kfuncMetadata: true }).findId('bpf_loader_verify_metadata', BTF_KIND.FUNC);
  assert.ok(id !== undefined);
  assert.equal(run(m, 'bpf_loader_verify_metadata', 27, BTF_KIND.FUNC), id);
});

test('bpf_btf_find_by_name_kind is for syscall programs only', () => {
  const m = new Machine();
  assert.throws(
    () =>
      m.progLoad({
        progType: ProgType.SOCKET_FILTER,
        insns: finder(new TextEncoder().encode('xdp_md\0'), 7, BTF_KIND.STRUCT, 0),
        license: 'GPL',
      }),
    /bpf_btf_find_by_name_kind#167/,
  );
});

test('a kfunc call with off 0 names the machine vmlinux (kfunc-scheme machine): it loads and runs', () => {
  const m = new Machine({ profile: { kfuncMetadata: true } });
  const id = machineVmlinuxBtf({ kfuncMetadata: true }).findId('bpf_loader_verify_metadata', BTF_KIND.FUNC)!;
  using map = m.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const slots: Uint8Array[] = [];
  for (let i = 0; i < 32; i += 8) slots.push(insn(0x7a, 10, 0, -32 + i, 0)); // *(u64 *)(r10 - 32 + i) = 0
  const ld = insn(0x18, 1, 1, 0, map.fd); // r1 = map (BPF_PSEUDO_MAP_FD)
  slots.push(
    ld,
    new Uint8Array(8),
    insn(0xbf, 2, 10, 0, 0),
    insn(0x07, 2, 0, 0, -32),
    insn(0xb7, 3, 0, 0, 32),
    insn(0x85, 0, 2, 0, id), // call kfunc, off 0: vmlinux
    insn(0x95, 0, 0, 0, 0),
  );
  using fd = m.progLoad({
    progType: ProgType.SYSCALL,
    progFlags: ProgFlag.SLEEPABLE,
    insns: prog(...slots),
    license: 'GPL',
  });
  // The map is not exclusive to the program: the kfunc says -EPERM.
  assert.equal(m.progTestRun({ progFd: fd.fd }).retval | 0, -1);
  // Without the profile the machine's vmlinux has no such kfunc and the call is refused.
  const plain = new Machine();
  using map2 = plain.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  slots[4] = insn(0x18, 1, 1, 0, map2.fd);
  assert.throws(() =>
    plain.progLoad({
      progType: ProgType.SYSCALL,
      progFlags: ProgFlag.SLEEPABLE,
      insns: prog(...slots),
      license: 'GPL',
    }),
  );
});
