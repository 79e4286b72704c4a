/**
 * The loader's target BTF when no `kernelBtf` option is given: the backend's vmlinux BTF object,
 * found through bpf(2) (BTF_GET_NEXT_ID, kernel_btf named `vmlinux`). On the machine that is the
 * machine's own BTF: test/fixtures/core.c relocates against it with the values the real vmlinux
 * gives, and its socket/xdp/tc/syscall programs load and run. On the kernel it is the running
 * kernel's BTF, byte for byte /sys/kernel/btf/vmlinux. An explicit `kernelBtf` still wins, and the
 * lookup is made once per backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Btf } from '../../src/btf/index.js';
import { LD_IMM64 } from '../../src/isa/opcodes.js';
import { BpfObject, LoaderError, type RelocatedProgram } from '../../src/loader/index.js';
import { backendKernelBtf, readBackendVmlinux } from '../../src/loader/kernelbtf.js';
import { Machine, machineVmlinuxBtf, machineVmlinuxBytes } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { backends } from '../backend/backends.js';
import { objectBytes, vmlinuxBtf } from './helpers.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

/** slot → patched immediate/offset of every CO-RE relocated instruction, per program. */
function coreValues(rs: RelocatedProgram[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rs) {
    const bySlot = new Map<number, (typeof r.insns)[number]>();
    let s = 0;
    for (const x of r.insns) {
      bySlot.set(s, x);
      s += x.code === LD_IMM64 ? 2 : 1;
    }
    out.set(
      r.program.name,
      r.linked.coreRelos.map((c) => {
        const x = bySlot.get(c.slot)!;
        const cls = x.code & 7;
        return cls === 1 || cls === 2 || cls === 3 ? x.off : x.imm;
      }),
    );
  }
  return out;
}

/** A backend that counts BTF_GET_NEXT_ID calls. */
function counting(b: Backend): { backend: Backend; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(b, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (prop === 'btfGetNextId')
        return (id: number) => {
          n++;
          return (v as Backend['btfGetNextId']).call(target, id);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { backend: proxy, calls: () => n };
}

test('the machine backend: CO-RE against the machine BTF, the same values as against vmlinux', () => {
  const m = new Machine();
  const kb = backendKernelBtf(m);
  assert.ok(kb !== undefined);
  assert.deepEqual(kb.serialize(), machineVmlinuxBytes(m.profile));
  // Every CO-RE relocation of core.c (all programs) gets the real vmlinux's value.
  const onMachine = coreValues(BpfObject.open(objectBytes('core'), { kernelBtf: kb }).relocate());
  const onVmlinux = coreValues(BpfObject.open(objectBytes('core'), { kernelBtf: vmlinuxBtf() }).relocate());
  assert.deepEqual(onMachine, onVmlinux);
  assert.ok([...onMachine.values()].flat().length >= 8);
});

test('BpfObject.load(machine) without kernelBtf: the machine programs of core.c load and run', () => {
  const m = new Machine();
  const obj = BpfObject.open(objectBytes('core'));
  const machineProgs = ['sock_len', 'xdp_drop_small', 'tc_mark', 'sys_probe'];
  for (const p of obj.programs.values()) p.autoload = machineProgs.includes(p.name);
  using coll = obj.load(m);
  // sys_probe: bpf_core_type_exists(struct task_struct) + 0 -> 1 on the machine.
  const sys = coll.programs.get('sys_probe')!;
  assert.equal(m.progTestRun({ progFd: sys.fd.fd }).retval, 1);
  // sock_len reads skb->len through a CO-RE offset: the packet length past the Ethernet header
  // (test_run pulls it, as on Linux: 60 - 14).
  const sock = coll.programs.get('sock_len')!;
  assert.equal(m.progTestRun({ progFd: sock.fd.fd, dataIn: new Uint8Array(60), repeat: 1 }).retval, 46);
  // xdp_drop_small: XDP_DROP (1) under 64 bytes, XDP_PASS (2) from 64.
  const xdp = coll.programs.get('xdp_drop_small')!;
  assert.equal(m.progTestRun({ progFd: xdp.fd.fd, dataIn: new Uint8Array(40), repeat: 1 }).retval, 1);
  assert.equal(m.progTestRun({ progFd: xdp.fd.fd, dataIn: new Uint8Array(80), repeat: 1 }).retval, 2);
});

test('an explicit kernelBtf wins, and the backend lookup runs once per backend', () => {
  const m = new Machine();
  const { backend, calls } = counting(m);
  const open = (opts = {}) => {
    const o = BpfObject.open(objectBytes('core'), opts);
    for (const p of o.programs.values()) p.autoload = p.name === 'sys_probe';
    return o;
  };
  // An explicit target without task_struct: type_exists is 0, and the backend is not asked.
  open({ kernelBtf: new Btf() }).load(backend)[Symbol.dispose]();
  assert.equal(calls(), 0);
  using c1 = open().load(backend);
  const after = calls();
  assert.ok(after >= 1);
  using c2 = open().load(backend);
  assert.equal(calls(), after, 'cached');
  assert.equal(m.progTestRun({ progFd: c2.programs.get('sys_probe')!.fd.fd }).retval, 1);
  void c1;
});

test('explicit empty target: sys_probe answers 0 on the machine', () => {
  const m = new Machine();
  const o = BpfObject.open(objectBytes('core'), { kernelBtf: new Btf() });
  for (const p of o.programs.values()) p.autoload = p.name === 'sys_probe';
  using c = o.load(m);
  assert.equal(m.progTestRun({ progFd: c.programs.get('sys_probe')!.fd.fd }).retval, 0);
});

test('without CAP_SYS_ADMIN the ids cannot be walked: a clear loader error', () => {
  const m = new Machine().process({ caps: ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON'] });
  assert.equal(readBackendVmlinux(m), undefined);
  const o = BpfObject.open(objectBytes('core'));
  for (const p of o.programs.values()) p.autoload = p.name === 'sys_probe';
  assert.throws(
    () => o.load(m),
    (e: unknown) => e instanceof LoaderError && /needs the kernel BTF/.test(e.message),
  );
});

test(
  'the kernel backend: the discovered BTF is /sys/kernel/btf/vmlinux, and core.c loads without kernelBtf',
  { skip: kernel.skip },
  () => {
    const k = kernel.backend();
    assert.deepEqual(readBackendVmlinux(k), vmlinuxBtf());
    const o = BpfObject.open(objectBytes('core'));
    for (const p of o.programs.values())
      p.autoload = ['sock_len', 'xdp_drop_small', 'tc_mark', 'sys_probe'].includes(p.name);
    using coll = o.load(k);
    assert.equal(k.progTestRun({ progFd: coll.programs.get('sys_probe')!.fd.fd }).retval, 1);
    assert.equal(
      k.progTestRun({ progFd: coll.programs.get('sock_len')!.fd.fd, dataIn: new Uint8Array(60), repeat: 1 })
        .retval,
      46,
    );
  },
);

test('the machine BTF also serves a kfunc-scheme machine', () => {
  const m = new Machine({ profile: { kfuncMetadata: true } });
  const kb = backendKernelBtf(m);
  assert.ok(kb?.findId('bpf_loader_verify_metadata') !== undefined);
  assert.deepEqual(kb.serialize(), machineVmlinuxBtf({ kfuncMetadata: true }).serialize());
});
