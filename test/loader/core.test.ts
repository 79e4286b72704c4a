/**
 * CO-RE relocations: against this machine's vmlinux BTF the patched values equal libbpf's
 * (the `patched insn` lines of `bpftool -d prog loadall`, libbpf 1.1); against a synthetic
 * target where the fields moved, they follow the fields, a missing field reads as not existing
 * and a field access to it is poisoned (`call 0xbad2310`); a type-existence program run on the
 * kernel answers 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { Btf } from '../../src/btf/index.js';
import { LD_IMM64 } from '../../src/isa/opcodes.js';
import {
  BpfObject,
  CORE_POISON,
  LoaderError,
  ProgramLoadError,
  type RelocatedProgram,
} from '../../src/loader/index.js';
import { backends } from '../backend/backends.js';
import { hostOptions, objectBytes, objectPath } from './helpers.js';

function valueAt(r: RelocatedProgram, slot: number): { imm: number; off: number; code: number } {
  let s = 0;
  for (const x of r.insns) {
    if (s === slot) return x;
    s += x.code === LD_IMM64 ? 2 : 1;
  }
  throw new Error(`no insn at slot ${slot}`);
}

/** libbpf's CO-RE results: program → slot → patched value. */
function libbpfCoreResults(path: string): Map<string, Map<number, number>> {
  const dir = `/sys/fs/bpf/tsbpf-core-${process.pid}`;
  const run = spawnSync('bpftool', ['-d', 'prog', 'loadall', path, dir], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const text = run.stderr ?? '';
  const out = new Map<string, Map<number, number>>();
  for (const line of text.split('\n')) {
    const m = /prog '(\w+)': relo #\d+: patched insn #(\d+) \([^)]*\) (?:imm|off) -?\d+ -> (-?\d+)/.exec(
      line,
    );
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, new Map());
    out.get(m[1]!)!.set(Number(m[2]), Number(m[3]));
  }
  return out;
}

const kernel = backends().find((b) => b.name === 'kernel')!;

test('CO-RE against vmlinux: the same patched values as libbpf', { skip: kernel.skip }, () => {
  const want = libbpfCoreResults(objectPath('core'));
  assert.ok(want.size >= 4, 'libbpf reported CO-RE relocations');
  const obj = BpfObject.open(objectBytes('core'), hostOptions(2));
  let n = 0;
  for (const r of obj.relocate()) {
    for (const [slot, v] of want.get(r.program.name) ?? []) {
      const insn = valueAt(r, slot);
      const cls = insn.code & 7;
      assert.equal(
        cls === 1 || cls === 2 || cls === 3 ? insn.off : insn.imm,
        v,
        `${r.program.name} insn ${slot}`,
      );
      n++;
    }
  }
  assert.ok(n >= 8, `${n} relocations compared`);
});

/** A target where task_struct, file and inode have other layouts and task_struct has no loginuid. */
function movedTarget(withFile = true): Btf {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const ptrTask = b.addPtr(int + 2);
  b.addStruct('task_struct', 64, [
    { name: 'real_parent', type: ptrTask, bitOffset: 0 },
    { name: 'tgid', type: int, bitOffset: 96 },
  ]);
  const ino = b.addInt('unsigned long', 8);
  const inode = b.addStruct('inode', 16, [{ name: 'i_ino', type: ino, bitOffset: 64 }]);
  if (withFile) b.addStruct('file', 40, [{ name: 'f_inode', type: b.addPtr(inode), bitOffset: 192 }]);
  return b;
}

test('CO-RE against a target where the fields moved: values follow, missing fields poison', () => {
  const obj = BpfObject.open(objectBytes('core'), { kernelBtf: movedTarget() });
  for (const p of obj.programs.values())
    p.autoload = p.name === 'check_exec' || p.name === 'check_open' || p.name === 'sys_probe';
  const want = libbpfCoreResults(objectPath('core'));
  const rs = new Map(obj.relocate().map((r) => [r.program.name, r]));
  const exec = rs.get('check_exec')!;
  const slots = [...want.get('check_exec')!.keys()].sort((a, b) => a - b);
  // tgid, real_parent, loginuid exists, loginuid.val offset.
  assert.equal(valueAt(exec, slots[0]!).imm, 12);
  assert.equal(valueAt(exec, slots[1]!).imm, 0);
  assert.equal(valueAt(exec, slots[2]!).imm, 0);
  assert.equal(valueAt(exec, slots[3]!).imm, CORE_POISON);
  assert.equal(valueAt(exec, slots[3]!).code, 0x85);
  const open = rs.get('check_open')!;
  const os = [...want.get('check_open')!.keys()].sort((a, b) => a - b);
  assert.equal(valueAt(open, os[0]!).imm, 24);
  assert.equal(valueAt(open, os[1]!).imm, 8);
  const probe = rs.get('sys_probe')!;
  assert.ok(probe.linked.coreRelos.length > 0);
});

test('CO-RE: type_exists is 1 when the target has the type and 0 when it does not', () => {
  for (const [target, want] of [
    [movedTarget(), 1],
    [new Btf(), 0],
  ] as const) {
    const obj = BpfObject.open(objectBytes('core'), { kernelBtf: target });
    for (const p of obj.programs.values()) p.autoload = p.name === 'sys_probe';
    const [r] = obj.relocate();
    assert.deepEqual(
      r!.linked.coreRelos.map((c) => [c.kind, c.access]),
      [[8, '0']],
    );
    assert.equal(valueAt(r!, r!.linked.coreRelos[0]!.slot).imm, want);
  }
});

for (const bc of backends()) {
  test(
    `CO-RE on ${bc.name}: a poisoned field access is refused, the error names the relocation`,
    { skip: bc.skip },
    () => {
      const obj = BpfObject.open(objectBytes('core'), { kernelBtf: movedTarget() });
      for (const p of obj.programs.values()) p.autoload = p.name === 'sock_len';
      assert.throws(
        () => obj.load(bc.backend()),
        (e: unknown) =>
          e instanceof ProgramLoadError &&
          e.program === 'sock_len' &&
          e.insn === 0 &&
          /^program 'sock_len' insn 0 \(.*\): CO-RE FIELD_BYTE_OFFSET __sk_buff 0:0 is not satisfied by the target BTF: /.test(
            e.message,
          ),
      );
    },
  );
}

test('CO-RE without a target BTF: an error naming the program, instruction and symbol', () => {
  const obj = BpfObject.open(objectBytes('core'));
  for (const p of obj.programs.values()) p.autoload = p.name === 'check_open';
  assert.throws(
    () => obj.relocate(),
    (e: unknown) =>
      e instanceof LoaderError &&
      e.program === 'check_open' &&
      e.insn !== undefined &&
      /kernel BTF/.test(e.message),
  );
});

test('CO-RE on the kernel: a type-existence program answers 1', { skip: kernel.skip }, () => {
  const obj = BpfObject.open(objectBytes('core'), hostOptions(2));
  for (const p of obj.programs.values()) p.autoload = p.name === 'sys_probe';
  const c = obj.load(kernel.backend());
  try {
    assert.equal(c.programs.get('sys_probe')!.testRun({}).retval, 1);
  } finally {
    c.close();
  }
});
